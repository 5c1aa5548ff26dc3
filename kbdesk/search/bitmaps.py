"""Document-number bitmaps: sorted ids <-> a Python int with one bit per document."""

from __future__ import annotations

import re
from itertools import compress, repeat

_ONE = re.compile("1")
_FLAGS = str.maketrans("01", "\x00\x01")
_TO_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _ids_to_mask(ids) -> int:
    """Sorted document numbers -> bitmap int."""
    if not len(ids):
        return 0
    if len(ids) * 16 > ids[-1]:
        # Many: one flag byte each, set in C, then read "0101..." as a base-2 int.
        flags = bytearray(ids[-1] + 1)
        any(map(flags.__setitem__, ids, repeat(1)))
        return int(flags.translate(_TO_DIGITS)[::-1], 2)
    buf = bytearray((ids[-1] >> 3) + 1)
    for d in ids:
        buf[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buf, "little")


def _mask_to_ids(mask: int) -> list[int]:
    """Bitmap int -> sorted document numbers, scanning its binary string in C."""
    bits = bin(mask)[:1:-1]  # character i is document i
    if mask.bit_count() * 4 > len(bits):
        return list(compress(range(len(bits)), bits.translate(_FLAGS).encode()))
    return [m.start() for m in _ONE.finditer(bits)]
