"""API: one search over articles, configuration notes and tickets."""

from __future__ import annotations

from flask import request

from kbdesk.api.blueprint import actor, page_args, route
from kbdesk.api.openapi import INT, SCHEMAS, B, S, _obj
from kbdesk.gaps import services as gaps
from kbdesk.search import services

PARAMS = [{"name": n, "in": "query", "schema": {"type": "string"}} for n in
          ("q", "kind", "customer", "application", "tag", "language")] + [
    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
    {"name": "offset", "in": "query", "schema": {"type": "integer"}}]

SCHEMAS.update({
    "SearchHit": _obj({"id": INT, "kind": S, "title": S, "snippet": S,
                       "score": {"type": "number"}, "url": S}),
    "SearchPage": _obj({
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
        "total": INT, "limit": INT, "offset": INT, "did_you_mean": {"type": "string", "nullable": True},
        "corrected": B, "rebuilding": B,
        "search_log_id": {"type": "integer", "nullable": True,
                          "description": "POST /search-log/{id}/click when a result is opened"},
        "facets": {"type": "object", "additionalProperties": {"type": "array", "items": _obj(
            {"value": S, "label": S, "count": INT})}}}),
})


@route("/search", ["GET"], "Search what the caller may read", tag="search", params=PARAMS,
       response={"$ref": "#/components/schemas/SearchPage"})
def search():
    """GET /search."""
    limit, offset = page_args(default=20)
    filters = {k: request.args.get(k, "") for k in services.FILTERS}
    result = services.search(actor(), request.args.get("q", ""), filters, limit=limit,
                             offset=offset)
    log_id = gaps.log_page(actor(), "api", request.args.get("q", ""), result, offset)
    return {
        "items": [{"id": h.id, "kind": h.kind, "title": h.title, "snippet": h.snippet,
                   "score": h.score, "url": h.url} for h in result.hits],
        "total": result.total, "limit": limit, "offset": offset, "facets": result.facets,
        "did_you_mean": result.did_you_mean, "corrected": result.corrected,
        "rebuilding": result.rebuilding, "search_log_id": log_id,
    }
