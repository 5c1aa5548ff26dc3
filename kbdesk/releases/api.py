"""API: releases per application and planning tickets into them (customers read their own)."""

from __future__ import annotations

from kbdesk.api.blueprint import actor, bp, json_body, page, route
from kbdesk.releases import services

S, INT = {"type": "string"}, {"type": "integer"}
NS = {"type": "string", "nullable": True}
TAG = "releases"
STATE = {"type": "string", "enum": ["planned", "in_testing", "released"]}
APP_ID = [{"name": "application_id", "in": "path", "required": True, "schema": INT}]
REL_ID = [{"name": "release_id", "in": "path", "required": True, "schema": INT}]
RELEASE_SCHEMAS = {
    "Release": {"type": "object", "properties": {
        "id": INT, "application_id": INT, "version": S, "state": STATE,
        "planned_on": NS, "released_on": NS, "notes": S,
        "tickets": {"type": "array", "items": {"type": "object", "properties": {
            "id": INT, "number": S, "subject": S, "status": S}}}}},
    "ReleaseInput": {"type": "object", "properties": {
        "version": S, "state": STATE, "planned_on": NS, "released_on": NS, "notes": S},
        "required": ["version"]},
    "ReleasePage": {"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Release"}},
        "total": INT, "limit": INT, "offset": INT, "next": NS}},
    "ReleaseTicketInput": {"type": "object", "properties": {
        "ticket": {"oneOf": [INT, S], "description": "ticket id or number"}},
        "required": ["ticket"]},
}


@bp.record_once
def _document_schemas(_state) -> None:
    from kbdesk.api.openapi import SCHEMAS

    SCHEMAS.update(RELEASE_SCHEMAS)


def _one(release) -> dict:
    data = services.release_json(release)
    data["tickets"] = [{"id": t.id, "number": t.number, "subject": t.subject, "status": t.status}
                       for t in services.fixed_tickets(actor(), release)]
    return data


@route("/applications/<int:application_id>/releases", ["GET"],
       "An application's releases (a customer token sees its own applications')", tag=TAG,
       params=APP_ID, response={"$ref": "#/components/schemas/ReleasePage"})
def releases_list(application_id: int):
    """GET /applications/<id>/releases."""
    items = [_one(r) for r in services.list_releases(actor(), application_id)]
    return page(items, len(items), max(len(items), 1), 0)


@route("/applications/<int:application_id>/releases", ["POST"], "Add a release (staff)",
       tag=TAG, params=APP_ID, status=201, body={"$ref": "#/components/schemas/ReleaseInput"},
       response={"$ref": "#/components/schemas/Release"})
def releases_create(application_id: int):
    """POST /applications/<id>/releases."""
    return _one(services.create_release(actor(), application_id, json_body())), 201


@route("/releases/<int:release_id>", ["GET"], "One release", tag=TAG, params=REL_ID,
       response={"$ref": "#/components/schemas/Release"})
def releases_get(release_id: int):
    """GET /releases/<id>."""
    return _one(services.get_release(actor(), release_id))


@route("/releases/<int:release_id>", ["PATCH"],
       "Change a release (staff); state `released` notifies the reporters", tag=TAG,
       params=REL_ID, body={"$ref": "#/components/schemas/ReleaseInput"},
       response={"$ref": "#/components/schemas/Release"})
def releases_patch(release_id: int):
    """PATCH /releases/<id>."""
    return _one(services.update_release(actor(), release_id, json_body()))


@route("/releases/<int:release_id>/tickets", ["POST"], "Plan a ticket into a release (staff)",
       tag=TAG, params=REL_ID, status=201,
       body={"$ref": "#/components/schemas/ReleaseTicketInput"},
       response={"$ref": "#/components/schemas/Release"})
def releases_plan(release_id: int):
    """POST /releases/<id>/tickets."""
    services.plan_ticket(actor(), release_id, json_body().get("ticket"))
    return _one(services.get_release(actor(), release_id)), 201
