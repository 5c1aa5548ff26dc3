"""What one immutable segment yields: posting arrays, field lengths, per-segment caches."""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable
from itertools import accumulate, repeat
from operator import lshift, or_

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import length_to_byte

from .bitmaps import _ids_to_mask
from .schema import LengthsReader

PUBLIC_FIELDS = ("title", "body")
STAFF_FIELDS = ("title", "body", "internal")
TEXT_FIELDS = frozenset(STAFF_FIELDS)
# Cache budgets (bytes). At 100,000 documents a common word's postings take ~150 KB,
# a bitmap 12 KB and a per-document array 200 KB.
POSTINGS_BYTES = 24 << 20  # posting lists and bitmaps, per segment
DENSE_BYTES = 12 << 20  # per-document score inputs, per segment


# -- Posting lists --------------------------------------------------------------------


def _weight_bytes(weights) -> bytes:
    # Frequency x field boost: whole numbers; BM25 has saturated long before 255.
    return bytes(map(min, map(int, weights), repeat(255)))


def _blocks(m):
    """(ids, weight bytes) of a posting list, block by block (deleted documents too)."""
    if isinstance(m, FilterMatcher):
        m = m.child  # deletions are applied through the live bitmap instead
    if isinstance(m, W3LeafMatcher) and not m._byteids:
        # Whole blocks decoded in C: several times faster than id()/next() per
        # posting. Relies on whoosh-reloaded 2.7 internals (the tests cover them).
        while not m._atend:
            if m._data is None:
                m._read_data()
            ids = list(accumulate(m._data[0]))
            weights = m._data[1]  # None: all 1; a float: all the same; else an array
            if weights is None or isinstance(weights, float):
                yield ids, bytes((min(int(weights or 1), 255),)) * len(ids)
            else:
                yield ids, _weight_bytes(weights)
            m._next_block()
        return
    ids, weights = [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    yield ids, _weight_bytes(weights)


class _Postings:
    """One term of one segment: bitmap; for text fields also ids and weights (<= 255)."""

    __slots__ = ("mask", "ids", "weights")

    def __init__(self, leaf, fieldname: str, text: str, scored: bool):
        ids, weights = array("I"), bytearray()
        try:
            for block_ids, block_weights in _blocks(leaf.postings(fieldname, text)):
                ids.extend(block_ids)
                if scored:
                    weights += block_weights
        except TermNotFound:
            pass
        self.mask = _ids_to_mask(ids)
        self.ids = ids if scored else None
        self.weights = bytes(weights)

    def nbytes(self) -> int:
        return (self.mask.bit_length() >> 3) + (5 * len(self.ids) if self.ids is not None else 0)


def _field_lengths(leaf, fieldname: str) -> bytes:
    """One length byte per document of a segment (Whoosh's own quantised lengths)."""
    perdoc = getattr(leaf, "_perdoc", None)
    if isinstance(perdoc, LengthsReader):
        return perdoc.length_bytes(fieldname)
    return bytes(length_to_byte(leaf.doc_field_length(d, fieldname, 0) or 0)
                 for d in range(leaf.doc_count_all()))


# -- Caches ---------------------------------------------------------------------------


class _LRU:
    """A thread-safe least-recently-used cache with a byte budget."""

    def __init__(self, budget: int, size: Callable[[object], int]):
        self.budget, self.size, self.used = budget, size, 0
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key, make: Callable[[], object]):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
                return value
        value = make()  # outside the lock: two threads may both build it, harmlessly
        with self.lock:
            if key not in self.items:
                self.items[key] = value
                self.used += self.size(value)
                while self.used > self.budget and len(self.items) > 1:
                    self.used -= self.size(self.items.popitem(last=False)[1])
        return value


def _nbytes(value) -> int:
    if isinstance(value, int):
        return value.bit_length() >> 3
    if isinstance(value, array):
        return value.itemsize * len(value)
    return len(value)


class _SegmentCache:
    """What one immutable segment yields: postings, score inputs, vocabulary."""

    def __init__(self):
        self.postings = _LRU(POSTINGS_BYTES, _Postings.nbytes)
        self.dense = _LRU(DENSE_BYTES, _nbytes)
        self.vocab: frozenset[str] | None = None

    def get(self, leaf, fieldname: str, text: str) -> _Postings:
        return self.postings.get((fieldname, text), lambda: _Postings(
            leaf, fieldname, text, scored=fieldname in TEXT_FIELDS))

    def keys(self, leaf, fieldname: str, text: str) -> array:
        """Per document: weight << 8 | length byte of (field, term), 0 where absent.

        The two numbers BM25 needs, in one array lookup per document."""
        def make():
            p = self.get(leaf, fieldname, text)
            lengths = _field_lengths(leaf, fieldname)
            out = array("H", bytes(2 * leaf.doc_count_all()))
            keys = map(or_, map(lshift, p.weights, repeat(8)), map(lengths.__getitem__, p.ids))
            any(map(out.__setitem__, p.ids, keys))  # a scatter, in C
            return out

        return self.dense.get((fieldname, text), make)


def _probe_segment(leaf) -> None:
    """Read a little of every part of a segment, so that damaged files raise here."""
    n = leaf.doc_count_all()
    if n:
        leaf.stored_fields(0)
        leaf.stored_fields(n - 1)
        leaf.column_reader("updated")[n - 1]
        leaf.column_reader("docid")[n - 1]
        leaf.doc_field_length(n - 1, "body")
    for i, term in enumerate(leaf.field_terms("title")):
        _Postings(leaf, "title", term, scored=True)
        if i == 5:
            break
