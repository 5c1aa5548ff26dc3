"""API: problems, their tickets and proposals (staff only; customers get 403/404)."""

from __future__ import annotations

from flask import request

from kbdesk.accounts.permissions import require_staff
from kbdesk.api.blueprint import actor, bp, iso, json_body, page, page_args, route
from kbdesk.kb.render import render_markdown
from kbdesk.problems import services
from kbdesk.problems.models import STATUSES, Problem
from kbdesk.problems.proposals import propose
from kbdesk.tickets import services as tickets

S, INT = {"type": "string"}, {"type": "integer"}
NS, NI = {"type": "string", "nullable": True}, {"type": "integer", "nullable": True}
TAG = "problems"
STATUS = {"type": "string", "enum": list(STATUSES)}
REF = "#/components/schemas/"
PID = [{"name": "problem_id", "in": "path", "required": True, "schema": INT}]
TID = [{"name": "ticket_id", "in": "path", "required": True, "schema": INT}]
TICKET = {"type": "object", "properties": {"id": INT, "number": S, "subject": S, "status": S,
                                           "customer_id": NI, "application_id": NI}}
PROBLEM_SCHEMAS = {
    "Problem": {"type": "object", "properties": {
        "id": INT, "number": S, "title": S, "status": STATUS, "application_id": NI,
        "root_cause": S, "workaround": S, "workaround_html": S, "release_id": NI,
        "release": {"type": "object", "nullable": True, "properties": {
            "id": INT, "version": S, "state": S, "planned_on": NS, "released_on": NS}},
        "fixed_in": NS, "owner_id": NI, "created_by_id": NI, "created_at": S, "updated_at": S,
        "ticket_count": INT, "tickets": {"type": "array", "items": TICKET},
        "history": {"type": "array", "items": {"type": "object", "properties": {
            "at": S, "actor": NS, "kind": S, "data": {"type": "object"}}}}}},
    "ProblemInput": {"type": "object", "properties": {
        "title": S, "status": STATUS, "application_id": NI, "root_cause": S, "workaround": S,
        "release_id": NI, "owner_id": NI}},
    "ProblemPage": {"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": REF + "Problem"}},
        "total": INT, "limit": INT, "offset": INT, "next": NS}},
    "ProblemTicketInput": {"type": "object", "properties": {
        "ticket_id": {"oneOf": [INT, S], "description": "ticket id or number"}},
        "required": ["ticket_id"]},
    "ProblemList": {"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": REF + "Problem"}}}},
}


@bp.record_once
def _document_schemas(_state) -> None:
    from kbdesk.api.openapi import SCHEMAS

    SCHEMAS.update(PROBLEM_SCHEMAS)


def problem_json(p: Problem, *, full: bool = False) -> dict:
    """The API shape of a problem (full: with its tickets and history)."""
    rel = p.release
    data = {
        "id": p.id, "number": p.number, "title": p.title, "status": p.status,
        "application_id": p.application_id, "root_cause": p.root_cause,
        "workaround": p.workaround, "workaround_html": str(render_markdown(p.workaround)),
        "release_id": p.release_id,
        "release": rel and {"id": rel.id, "version": rel.version, "state": rel.state,
                            "planned_on": rel.planned_on and rel.planned_on.isoformat(),
                            "released_on": rel.released_on and rel.released_on.isoformat()},
        "fixed_in": p.fixed_in.version if p.fixed_in else None,
        "owner_id": p.owner_id, "created_by_id": p.created_by_id,
        "created_at": iso(p.created_at), "updated_at": iso(p.updated_at),
        "ticket_count": len(p.links),
    }
    if full:
        data["tickets"] = [{"id": t.id, "number": t.number, "subject": t.subject,
                            "status": t.status, "customer_id": t.customer_id,
                            "application_id": t.application_id}
                           for t in services.linked_tickets(p)]
        data["history"] = [{"at": iso(e.at), "actor": e.actor.name if e.actor else None,
                            "kind": e.kind, "data": e.data} for e in p.events]
    return data


@route("/problems", ["GET"], "Problems, newest first, optionally of one status (staff)",
       tag=TAG, params=[{"name": "status", "in": "query", "schema": STATUS},
                        {"name": "limit", "in": "query", "schema": INT},
                        {"name": "offset", "in": "query", "schema": INT}],
       response={"$ref": REF + "ProblemPage"})
def problems_list():
    """GET /problems."""
    limit, offset = page_args()
    rows, total = services.list_problems(actor(), request.args.get("status") or None,
                                         limit=limit, offset=offset)
    return page([problem_json(p) for p, _n in rows], total, limit, offset)


@route("/problems", ["POST"], "Open a problem (staff)", tag=TAG, status=201,
       body={"$ref": REF + "ProblemInput"}, response={"$ref": REF + "Problem"})
def problems_create():
    """POST /problems."""
    return problem_json(services.create_problem(actor(), json_body()), full=True), 201


@route("/problems/propose", ["POST"], "Compute problem proposals now (staff)", tag=TAG,
       response={"$ref": REF + "ProblemList"})
def problems_propose():
    """POST /problems/propose."""
    require_staff(actor())
    return {"items": [problem_json(p, full=True) for p in propose(actor())]}


@route("/problems/<int:problem_id>", ["GET"], "One problem with its tickets and history",
       tag=TAG, params=PID, response={"$ref": REF + "Problem"})
def problems_get(problem_id: int):
    """GET /problems/<id>."""
    return problem_json(services.get_problem(actor(), problem_id), full=True)


@route("/problems/<int:problem_id>", ["PATCH"],
       "Change a problem; a fix release plans its customer's linked tickets into it", tag=TAG,
       params=PID, body={"$ref": REF + "ProblemInput"}, response={"$ref": REF + "Problem"})
def problems_patch(problem_id: int):
    """PATCH /problems/<id>."""
    return problem_json(services.update_problem(actor(), problem_id, json_body()), full=True)


@route("/problems/<int:problem_id>/accept", ["POST"], "Accept a proposal (optional new title)",
       tag=TAG, params=PID, body={"$ref": REF + "ProblemInput"},
       response={"$ref": REF + "Problem"})
def problems_accept(problem_id: int):
    """POST /problems/<id>/accept."""
    return problem_json(services.accept(actor(), problem_id, json_body()), full=True)


@route("/problems/<int:problem_id>/reject", ["POST"], "Reject a proposal; never re-proposed",
       tag=TAG, params=PID, response={"$ref": REF + "Problem"})
def problems_reject(problem_id: int):
    """POST /problems/<id>/reject."""
    return problem_json(services.reject(actor(), problem_id), full=True)


@route("/problems/<int:problem_id>/tickets", ["POST"], "Link a ticket to a problem", tag=TAG,
       params=PID, status=201, body={"$ref": REF + "ProblemTicketInput"},
       response={"$ref": REF + "Problem"})
def problems_link(problem_id: int):
    """POST /problems/<id>/tickets."""
    services.link_ticket(actor(), problem_id, json_body().get("ticket_id"))
    return problem_json(services.get_problem(actor(), problem_id), full=True), 201


@route("/problems/<int:problem_id>/tickets/<int:ticket_id>", ["DELETE"],
       "Unlink a ticket from a problem", tag=TAG, params=PID + TID,
       response={"$ref": REF + "Problem"})
def problems_unlink(problem_id: int, ticket_id: int):
    """DELETE /problems/<id>/tickets/<ticket_id>."""
    services.unlink_ticket(actor(), problem_id, ticket_id)
    return problem_json(services.get_problem(actor(), problem_id), full=True)


@route("/tickets/<int:ticket_id>/problems", ["GET"], "The problems a ticket is linked to (staff)",
       tag=TAG, params=TID, response={"$ref": REF + "ProblemList"})
def ticket_problems(ticket_id: int):
    """GET /tickets/<id>/problems."""
    ticket = tickets.get_ticket(actor(), ticket_id)
    require_staff(actor())
    return {"items": [problem_json(p) for p in services.problems_for_ticket(actor(), ticket)]}
