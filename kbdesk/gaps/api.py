"""API: the gap report, dismissing a gap, and recording an opened search result."""

from __future__ import annotations

from flask import request

from kbdesk.accounts.permissions import require_staff
from kbdesk.api.blueprint import actor, bp, iso, json_body, route
from kbdesk.gaps import report as reports
from kbdesk.gaps import services

S, INT, NUM = {"type": "string"}, {"type": "integer"}, {"type": "number"}
NS = {"type": "string", "nullable": True}
TAG = "gaps"
GAP_SCHEMAS = {
    "Gap": {"type": "object", "properties": {
        "kind": {"type": "string", "enum": ["query", "tickets"]}, "key": S, "title": S,
        "score": NUM, "searches": INT, "zero_results": INT, "no_click": INT, "users": INT,
        "customers": INT, "scopes": {"type": "array", "items": S}, "last_seen": S,
        "examples": {"type": "array", "items": S}, "application": NS,
        "tickets": {"type": "array", "items": {"type": "object", "properties": {
            "id": INT, "number": S, "subject": S}}}}},
    "GapReport": {"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Gap"}},
        "total": INT, "scope": S, "days": INT,
        "weeks": {"type": "array", "items": {"type": "object", "properties": {
            "week": S, "zero_results": INT}}}}},
    "GapDismissInput": {"type": "object", "properties": {"normalised": S},
                        "required": ["normalised"]},
    "SearchClickInput": {"type": "object", "properties": {
        "kind": {"type": "string", "enum": ["article", "config", "ticket"]}, "id": INT},
        "required": ["kind", "id"]},
    "SearchLog": {"type": "object", "properties": {
        "id": INT, "scope": S, "query": S, "normalised": S, "results": INT, "clicked_at": NS,
        "clicked_kind": NS, "clicked_id": {"type": "integer", "nullable": True}}},
}
PARAMS = [{"name": "scope", "in": "query", "schema": {
              "type": "string", "enum": ["staff", "portal", "api", "tickets"]}},
          {"name": "days", "in": "query", "schema": INT}]
LOG_ID = [{"name": "log_id", "in": "path", "required": True, "schema": INT}]


@bp.record_once
def _document_schemas(_state) -> None:
    from kbdesk.api.openapi import SCHEMAS

    SCHEMAS.update(GAP_SCHEMAS)


def gap_json(gap: dict) -> dict:
    """The API shape of one gap."""
    return {**{k: v for k, v in gap.items() if k != "last_seen"}, "last_seen": iso(gap["last_seen"])}


@route("/gaps", ["GET"], "Ranked knowledge gaps: articles to write (staff)", tag=TAG,
       params=PARAMS, response={"$ref": "#/components/schemas/GapReport"})
def gaps_list():
    """GET /gaps."""
    who = actor()
    require_staff(who)  # before parsing: a customer learns nothing, not even the filter rules
    scope, days = reports.parse_filters(request.args.to_dict())
    data = reports.report(who, scope, days)
    return {"items": [gap_json(g) for g in data["gaps"]], "total": data["total"],
            "scope": scope, "days": days, "weeks": data["weeks"]}


@route("/gaps/dismiss", ["POST"], "Dismiss a gap until it recurs (staff)", tag=TAG,
       body={"$ref": "#/components/schemas/GapDismissInput"}, status=201,
       response={"type": "object", "properties": {"normalised": S, "dismissed_at": S}})
def gaps_dismiss():
    """POST /gaps/dismiss."""
    row = services.dismiss(actor(), json_body())
    return {"normalised": row.normalised, "dismissed_at": iso(row.created_at)}, 201


@route("/search-log/<int:log_id>/click", ["POST"],
       "Record that the caller opened a result of their logged search", tag=TAG,
       params=LOG_ID, body={"$ref": "#/components/schemas/SearchClickInput"},
       response={"$ref": "#/components/schemas/SearchLog"})
def search_log_click(log_id: int):
    """POST /search-log/<id>/click."""
    e = services.record_click(actor(), log_id, json_body())
    return {"id": e.id, "scope": e.scope, "query": e.query, "normalised": e.normalised,
            "results": e.results, "clicked_at": iso(e.clicked_at),
            "clicked_kind": e.clicked_kind, "clicked_id": e.clicked_id}
