"""The one Whoosh schema for articles, config notes and tickets, and document shaping.

Field names are shared with the matching code; keep them stable.
"""

from __future__ import annotations

from datetime import date, datetime

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import ANALYZER

KINDS = ("article", "config", "ticket")
FACET_FIELDS = ("kind", "customer", "application", "tags", "language")
FILTER_FIELDS = ("kind", "customer", "application", "tags", "language", "status")
ID_FIELDS = ("kind", "customer", "application", "component", "visibility", "language",
             "status", "severity")

# Stored body text is cut here: snippets come from the start of long tickets, and
# storing whole bodies made the index bigger and builds slower (see bench/search.py).
STORED_BODY_CHARS = 2000


def build_schema() -> Schema:
    """The schema of the search index."""
    # phrase=False: no positions. Nobody searches phrases here, and positions cost
    # build time and index size; snippets re-analyse the stored text instead.
    return Schema(
        docid=ID(stored=True, unique=True, sortable=True),
        kind=ID(stored=True, sortable=True),
        obj_id=STORED(),
        title=TEXT(analyzer=ANALYZER, phrase=False, stored=True, field_boost=2.0),
        body=TEXT(analyzer=ANALYZER, phrase=False),
        # Stored-only prefix of body, for snippets (the full body is indexed, not stored).
        excerpt=STORED(),
        internal=TEXT(analyzer=ANALYZER, phrase=False),
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


def _epoch(value) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day).timestamp())
    return int(value)


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
        "excerpt": body[:STORED_BODY_CHARS],
        "internal": _text(doc.get("internal")),
        "tags": _tags(doc.get("tags")),
        "created": _epoch(doc.get("created")),
        "updated": _epoch(doc.get("updated")),
    }
    for name in ID_FIELDS[1:]:
        value = doc.get(name)
        if value is not None and value != "":
            fields[name] = str(value)  # absent means none: customer "" is not indexed
    return fields
