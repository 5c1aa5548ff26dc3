"""The validity end of a DER certificate, read without a crypto library.

ssl hands back the parsed certificate only when it was verified; monitors that do not verify
(self-signed internal services) still need to know when the certificate expires.
"""

from __future__ import annotations

from datetime import UTC, datetime


class BadCertificate(ValueError):
    """The bytes are not a certificate this reader understands."""


def _read(der: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at pos."""
    if pos + 2 > len(der):
        raise BadCertificate("truncated")
    tag = der[pos]
    length = der[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4 or pos + count > len(der):
            raise BadCertificate("bad length")
        length = int.from_bytes(der[pos:pos + count], "big")
        pos += count
    if pos + length > len(der):
        raise BadCertificate("truncated")
    return tag, pos, pos + length


def _time(tag: int, raw: bytes) -> datetime:
    text = raw.decode("ascii")
    if tag == 0x17:  # UTCTime: YYMMDDHHMMSSZ, years 1950-2049
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != 0x18:  # GeneralizedTime: YYYYMMDDHHMMSSZ
        raise BadCertificate("not a time")
    return datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def not_after(der: bytes) -> datetime:
    """When the certificate stops being valid (aware UTC)."""
    tag, start, _end = _read(der, 0)  # Certificate
    if tag != 0x30:
        raise BadCertificate("not a sequence")
    tag, pos, _end = _read(der, start)  # TBSCertificate
    if tag != 0x30:
        raise BadCertificate("no tbsCertificate")
    tag, _s, end = _read(der, pos)
    if tag == 0xA0:  # explicit version
        pos = end
    for _field in ("serial", "signature", "issuer"):
        _tag, _s, pos = _read(der, pos)
    tag, validity, _end = _read(der, pos)
    if tag != 0x30:
        raise BadCertificate("no validity")
    _tag, _s, after = _read(der, validity)  # notBefore
    tag, s, e = _read(der, after)  # notAfter
    return _time(tag, der[s:e])
