"""The one Whoosh schema for articles, config notes and tickets, and document shaping.

Field names are shared with the matching code; keep them stable.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from functools import lru_cache

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3PerDocReader, _lenfield
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length

from .analysis import ANALYZER, terms

KINDS = ("article", "config", "ticket")
FACET_FIELDS = ("kind", "customer", "application", "tags", "language")
FILTER_FIELDS = ("kind", "customer", "application", "tags", "language", "status")
ID_FIELDS = ("kind", "customer", "application", "component", "visibility", "language",
             "status", "severity")

# Stored body text is cut here: snippets come from the start of long tickets, and
# storing whole bodies made the index bigger and builds slower (see bench/search.py).
STORED_BODY_CHARS = 2000


class Text(TEXT):
    """A TEXT field that indexes by counting terms() in C instead of token by token.

    terms() yields exactly what ANALYZER yields, so queries (which use ANALYZER) agree
    with the index; this only removes Whoosh's per-token work when writing, the
    biggest part of a rebuild after the postings themselves.
    """

    def __init__(self, **kwargs):
        super().__init__(analyzer=ANALYZER, phrase=False, **kwargs)

    def index(self, value, **kwargs):
        boost = self.format.field_boost
        # The writer keeps every posting in memory until it sorts them: shared objects
        # for the term bytes and small numbers halve what a posting costs there.
        return [(_term_bytes(w), n, _weight(n, boost), _PACKED[n] if n < 256 else pack_uint(n))
                for w, n in Counter(terms(value)).items()]


_PACKED = [pack_uint(n) for n in range(256)]


@lru_cache(maxsize=1 << 18)
def _term_bytes(term: str) -> bytes:
    return term.encode("utf-8")


@lru_cache(maxsize=4096)
def _weight(count: int, boost: float) -> float:
    return count * boost


class LengthsReader(W3PerDocReader):
    """Per-document reader that loads each field-length column once, as bytes.

    Whoosh asks for one document's field length per posting while writing a segment
    and per document while scoring; for fields without lengths (ID, KEYWORD) it even
    stats the column file every time. Reading each column whole cut commits by about a
    third, and the search engine scores from these bytes directly.
    """

    _TABLE = [None] + [byte_to_length(b) for b in range(1, 256)]

    def __init__(self, storage, segment):
        super().__init__(storage, segment)
        self._kb_lengths: dict[str, bytes] = {}

    def length_bytes(self, fieldname: str) -> bytes:
        """One length byte per document (b"" for a field without lengths)."""
        lengths = self._kb_lengths.get(fieldname)
        if lengths is None:
            reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            lengths = b""
            if reader is not None:
                try:  # the column is one byte per document: read it whole
                    lengths = reader._dbfile.get(reader._basepos, reader._count)
                except AttributeError:  # another column layout: go through the API
                    lengths = bytes(reader.load())
                lengths = bytes(lengths).ljust(self._doccount, b"\0")
            self._kb_lengths[fieldname] = lengths
        return lengths

    def doc_field_length(self, docnum, fieldname, default=0):
        lengths = self._kb_lengths.get(fieldname)  # called once per posting: stay short
        if lengths is None:
            lengths = self.length_bytes(fieldname)
        if not lengths:
            return default
        return self._TABLE[lengths[docnum]] if docnum < len(lengths) else None


class Codec(W3Codec):
    """Whoosh's W3 format with the faster length reader (stored in the index TOC by
    class name: keep this name and module, or old indexes read as corrupt)."""

    def __init__(self, compression: int = 0, blocklimit: int = 1024, **kwargs):
        # compression=0: zlib on every posting block cost build and query time for
        # about a quarter more disk. blocklimit=1024 (Whoosh: 128): the search engine
        # reads whole posting lists, never skips inside one, and pays per block read.
        super().__init__(compression=compression, blocklimit=blocklimit, **kwargs)

    def per_document_reader(self, storage, segment):
        return LengthsReader(storage, segment)


def build_schema() -> Schema:
    """The schema of the search index."""
    # phrase=False: no positions. Nobody searches phrases here, and positions cost
    # build time and index size; snippets re-analyse the stored text instead.
    return Schema(
        docid=ID(stored=True, unique=True, sortable=True),
        kind=ID(stored=True, sortable=True),
        obj_id=STORED(),
        title=Text(stored=True, field_boost=2.0),
        # Stored as a prefix only (to_fields passes _stored_body), for snippets.
        body=Text(stored=True),
        internal=Text(),
        tags=KEYWORD(commas=True, lowercase=True, sortable=True),
        customer=ID(sortable=True),
        application=ID(sortable=True),
        component=ID(),
        visibility=ID(),
        language=ID(sortable=True),
        status=ID(),
        severity=ID(),
        created=NUMERIC(bits=64, stored=True, signed=False, shift_step=64),
        updated=NUMERIC(bits=64, stored=True, signed=False, sortable=True, shift_step=64),
    )


def epoch(value) -> int:
    """Whole epoch seconds from a datetime (naive means UTC), date, number or None (0)."""
    if value is None or value == "":
        return 0
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    return int(float(value))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(_text(v) for v in value)
    return str(value)


def _tags(value) -> str:
    if not value:
        return ""
    items = value.split(",") if isinstance(value, str) else value
    return ",".join(t.strip().lower() for t in items if t and t.strip())


def to_fields(doc: dict) -> dict:
    """Turn a caller's document dict into index fields (fills docid, normalises types)."""
    docid = doc.get("docid") or f"{doc.get('kind')}:{doc.get('obj_id')}"
    kind, _, obj_id = docid.partition(":")
    if kind not in KINDS or not obj_id or obj_id == "None":
        raise ValueError(f"document needs kind and obj_id (or docid): {docid!r}")
    body = _text(doc.get("body"))
    fields = {
        "docid": docid,
        "kind": kind,
        "obj_id": int(obj_id) if str(obj_id).isdigit() else obj_id,
        "title": _text(doc.get("title")),
        "body": body,
        "_stored_body": body[:STORED_BODY_CHARS],
        "internal": _text(doc.get("internal")),
        "tags": _tags(doc.get("tags")),
        "created": epoch(doc.get("created")),
        "updated": epoch(doc.get("updated")),
    }
    for name in ID_FIELDS[1:]:
        value = doc.get(name)
        if value is not None and value != "":
            fields[name] = str(value)  # absent means none: customer "" is not indexed
    return fields
