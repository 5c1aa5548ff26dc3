"""API: tickets, their messages, links, merge, attachments, events, visits and matches."""

from __future__ import annotations

from flask import request

from kbdesk.api.blueprint import actor, bp, iso, json_body, page, page_args, route
from kbdesk.errors import ValidationError
from kbdesk.extensions import db
from kbdesk.sla.services import sla_json
from kbdesk.tickets import links as link_service
from kbdesk.tickets import services
from kbdesk.tickets.attachments import (
    add_attachment,
    download_response,
    get_attachment,
    visible_attachments,
)
from kbdesk.tickets.models import Ticket
from kbdesk.tickets.severity import suggest_severity
from kbdesk.tickets.similar import severities_of, similar_for
from kbdesk.tickets.timeline import visible_events, visible_messages
from kbdesk.tickets.visits import add_visit, list_visits
from kbdesk.validation import Checker

TAG = "tickets"
ID = [{"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
]
FILTERS = [{"name": n, "in": "query", "schema": {"type": "string"}}
           for n in ("status", "customer", "assignee", "severity", "q", "sort")]


def _ref(schema: str) -> dict:
    return {"$ref": f"#/components/schemas/{schema}"}


def _obj(props: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": props, **({"required": required} if required else {})}


def _page(schema: str) -> dict:
    return _obj({"items": {"type": "array", "items": _ref(schema)},
                 "total": {"type": "integer"}, "limit": {"type": "integer"},
                 "offset": {"type": "integer"}, "next": {"type": "string", "nullable": True}})


def _person(user) -> dict | None:
    return {"id": user.id, "name": user.name} if user is not None else None


def ticket_json(t, viewer) -> dict:
    """A ticket as the API shows it (watchers only to staff)."""
    out = {
        "id": t.id, "number": t.number, "customer": t.customer.slug if t.customer else None,
        "application": ({"id": t.application.id, "name": t.application.name}
                        if t.application else None),
        "component": t.component, "subject": t.subject, "description": t.description,
        "channel": t.channel, "severity": t.severity, "status": t.status,
        "reporter": {"name": t.reporter_name,
                     "contact": t.reporter_contact_id, "user": t.reporter_user_id},
        "assignee": _person(t.assignee), "team": ({"id": t.team.id, "name": t.team.name}
                                                 if t.team else None),
        "merged_into": ({"id": t.merged_into.id, "number": t.merged_into.number}
                        if t.merged_into else None),
        "created_at": iso(t.created_at), "updated_at": iso(t.updated_at),
        "first_response_at": iso(t.first_response_at), "resolved_at": iso(t.resolved_at),
        "closed_at": iso(t.closed_at),
        "sla": sla_json(t),
    }
    if viewer.is_staff:
        out["watchers"] = [_person(w.user) for w in t.watchers]
    return out


def message_json(m) -> dict:
    """A message as the API shows it."""
    return {"id": m.id, "ticket": m.ticket_id, "author": m.author_name, "internal": m.internal,
            "automatic": m.automatic, "via": m.via, "body": m.body,
            "attachments": [a.id for a in m.attachments], "created_at": iso(m.created_at)}


def attachment_json(a) -> dict:
    """An attachment's metadata."""
    return {"id": a.id, "ticket": a.ticket_id, "message": a.message_id, "filename": a.filename,
            "content_type": a.content_type, "size": a.size, "sha256": a.sha256,
            "internal": a.internal, "created_at": iso(a.created_at)}


def event_json(e) -> dict:
    """One history event."""
    return {"id": e.id, "kind": e.kind, "at": iso(e.at), "actor": e.actor.name if e.actor else
            (e.actor_label or None), "public": e.public, "data": e.data or {}}


def visit_json(v) -> dict:
    """An on-site visit."""
    return {"id": v.id, "ticket": v.ticket_id, "visit_date": v.visit_date.isoformat(),
            "engineer": _person(v.engineer), "duration_minutes": v.duration_minutes,
            "work_done": v.work_done, "confirmed_by": v.confirmed_by,
            "created_at": iso(v.created_at)}


def matches(ticket) -> dict:
    """similar + suggested_severity for a ticket, as the viewer may see them."""
    similar = similar_for(actor(), ticket)
    severity, reason = suggest_severity(ticket.description, severities_of(similar),
                                        subject=ticket.subject)
    return {"similar": similar, "suggested_severity": {"severity": severity, "reason": reason}}


@route("/tickets", ["POST"], "Open a ticket (answers with similar cases and a severity "
       "suggestion)", tag=TAG, status=201, body=_ref("TicketInput"),
       response=_ref("TicketCreated"))
def tickets_create():
    """POST /tickets."""
    data = json_body()
    channel = data.pop("channel", None) or "api"
    if not isinstance(channel, str):
        raise ValidationError({"channel": "Must be a string."})
    ticket = services.open_ticket(actor(), data, channel=channel)
    return {**ticket_json(ticket, actor()), **matches(ticket)}, 201


@route("/tickets", ["GET"], "List tickets the caller may see", tag=TAG,
       params=PAGING + FILTERS, response=_ref("TicketPage"))
def tickets_list():
    """GET /tickets."""
    limit, offset = page_args()
    filters = {k: request.args.get(k, "").strip() for k in
               ("status", "customer", "assignee", "severity", "q")}
    items, total = services.list_tickets(actor(), filters, limit=limit, offset=offset,
                                         order=request.args.get("sort") or "-created")
    return page([ticket_json(t, actor()) for t in items], total, limit, offset)


@route("/tickets/<int:ticket_id>", ["GET"], "One ticket", tag=TAG, params=ID,
       response=_ref("Ticket"))
def tickets_get(ticket_id: int):
    """GET /tickets/<id>."""
    return ticket_json(services.get_ticket(actor(), ticket_id), actor())


@route("/tickets/<int:ticket_id>", ["PATCH"], "Change status, severity, assignee, team, "
       "subject or description", tag=TAG, params=ID, body=_ref("TicketPatch"),
       response=_ref("Ticket"))
def tickets_patch(ticket_id: int):
    """PATCH /tickets/<id>."""
    ticket = services.update_ticket(actor(), ticket_id, json_body())
    return ticket_json(ticket, actor())


@route("/tickets/<int:ticket_id>/similar", ["GET"], "Similar tickets, articles and config "
       "notes, and the severity suggestion", tag=TAG, params=ID, response=_ref("Matches"))
def tickets_similar(ticket_id: int):
    """GET /tickets/<id>/similar."""
    return matches(services.get_ticket(actor(), ticket_id))


@route("/tickets/<int:ticket_id>/messages", ["GET"], "Messages (customers: public only)",
       tag=TAG, params=ID + PAGING, response=_ref("MessagePage"))
def messages_list(ticket_id: int):
    """GET /tickets/<id>/messages."""
    limit, offset = page_args()
    items = visible_messages(actor(), services.get_ticket(actor(), ticket_id))
    return page([message_json(m) for m in items[offset:offset + limit]], len(items), limit,
                offset)


@route("/tickets/<int:ticket_id>/messages", ["POST"], "Add a public reply or (staff) an "
       "internal note", tag=TAG, params=ID, status=201, body=_ref("MessageInput"),
       response=_ref("Message"))
def messages_create(ticket_id: int):
    """POST /tickets/<id>/messages (on a merged ticket: added to the surviving one)."""
    ticket = link_service.surviving(services.get_ticket(actor(), ticket_id))
    c = Checker(json_body())
    internal = c.boolean("internal")
    c.done()
    message = services.add_message(actor(), ticket, c.data.get("body"), internal=internal,
                                   via="api")
    return message_json(message), 201


@route("/tickets/<int:ticket_id>/events", ["GET"], "The ticket's history (customers: public "
       "events only)", tag=TAG, params=ID + PAGING, response=_ref("EventPage"))
def events_list(ticket_id: int):
    """GET /tickets/<id>/events."""
    limit, offset = page_args(200)
    items = visible_events(actor(), services.get_ticket(actor(), ticket_id))
    return page([event_json(e) for e in items[offset:offset + limit]], len(items), limit, offset)


@route("/tickets/<int:ticket_id>/links", ["GET"], "Links to other tickets", tag=TAG,
       params=ID, response={"type": "array", "items": _ref("Link")})
def links_list(ticket_id: int):
    """GET /tickets/<id>/links (only links to tickets the caller may see)."""
    ticket = services.get_ticket(actor(), ticket_id)
    items = link_service.links_of(ticket)
    ids = [i["ticket"].id for i in items]
    visible = set(db.session.scalars(services.visible_tickets(actor())
                                     .where(Ticket.id.in_(ids)).with_only_columns(Ticket.id)))
    return [{"id": i["link"].id, "kind": i["kind"], "ticket": i["ticket"].id,
             "number": i["ticket"].number, "status": i["ticket"].status}
            for i in items if i["ticket"].id in visible]


@route("/tickets/<int:ticket_id>/links", ["POST"], "Link to another ticket (staff)", tag=TAG,
       params=ID, status=201, body=_ref("LinkInput"), response=_ref("Link"))
def links_create(ticket_id: int):
    """POST /tickets/<id>/links."""
    ticket = services.get_ticket(actor(), ticket_id)
    data = json_body()
    link = link_service.link_tickets(actor(), ticket, data.get("target"), data.get("kind"))
    return {"id": link.id, "kind": link.kind, "ticket": link.target.id,
            "number": link.target.number, "status": link.target.status}, 201


@route("/tickets/<int:ticket_id>/merge", ["POST"], "Merge this ticket into another (staff)",
       tag=TAG, params=ID, body=_ref("MergeInput"), response=_ref("Ticket"))
def tickets_merge(ticket_id: int):
    """POST /tickets/<id>/merge: answers with the surviving ticket."""
    ticket = services.get_ticket(actor(), ticket_id)
    survivor = link_service.merge_tickets(actor(), ticket, json_body().get("target"))
    return ticket_json(survivor, actor())


@route("/tickets/<int:ticket_id>/attachments", ["GET"], "Attachments (customers: public only)",
       tag=TAG, params=ID, response={"type": "array", "items": _ref("Attachment")})
def attachments_list(ticket_id: int):
    """GET /tickets/<id>/attachments."""
    ticket = services.get_ticket(actor(), ticket_id)
    return [attachment_json(a) for a in visible_attachments(actor(), ticket)]


@route("/tickets/<int:ticket_id>/attachments", ["POST"], "Upload an attachment "
       "(multipart/form-data: file, optional internal)", tag=TAG, params=ID, status=201,
       response=_ref("Attachment"))
def attachments_create(ticket_id: int):
    """POST /tickets/<id>/attachments (on a merged ticket: added to the surviving one)."""
    ticket = link_service.surviving(services.get_ticket(actor(), ticket_id))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError({"file": "Send the file as multipart/form-data field `file`."})
    c = Checker(request.form.to_dict())
    internal = c.boolean("internal")
    c.done()
    att = add_attachment(actor(), ticket, upload.stream, upload.filename, internal=internal)
    return attachment_json(att), 201


@route("/tickets/<int:ticket_id>/attachments/<int:attachment_id>", ["GET"],
       "Download an attachment", tag=TAG,
       params=ID + [{"name": "attachment_id", "in": "path", "required": True,
                     "schema": {"type": "integer"}}])
def attachments_get(ticket_id: int, attachment_id: int):
    """GET /tickets/<id>/attachments/<aid>: the file, as a download."""
    ticket = services.get_ticket(actor(), ticket_id)
    return download_response(get_attachment(actor(), ticket, attachment_id))


@route("/tickets/<int:ticket_id>/visits", ["GET"], "On-site visits", tag=TAG, params=ID,
       response={"type": "array", "items": _ref("Visit")})
def visits_list(ticket_id: int):
    """GET /tickets/<id>/visits."""
    ticket = services.get_ticket(actor(), ticket_id)
    return [visit_json(v) for v in list_visits(actor(), ticket)]


@route("/tickets/<int:ticket_id>/visits", ["POST"], "Record an on-site visit (staff)",
       tag=TAG, params=ID, status=201, body=_ref("VisitInput"), response=_ref("Visit"))
def visits_create(ticket_id: int):
    """POST /tickets/<id>/visits."""
    ticket = services.get_ticket(actor(), ticket_id)
    return visit_json(add_visit(actor(), ticket, json_body())), 201


S, INT, B, NUM = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}, {"type": "number"}
NS = {"type": "string", "nullable": True}
REF = _obj({"id": INT, "name": S})
SEVERITY = {"type": "string", "enum": ["critical", "high", "normal", "low"]}
STATUS = {"type": "string", "enum": ["new", "open", "waiting_customer", "waiting_third_party",
                                     "resolved", "closed"]}
MATCH = _obj({"id": INT, "kind": S, "title": S, "url": S, "score": NUM,
              "reasons": {"type": "array", "items": S}, "status": NS, "resolution": NS,
              "possible_duplicate": B})
TICKET = {
    "id": INT, "number": S, "customer": NS, "application": REF, "component": S, "subject": S,
    "description": S, "channel": S, "severity": SEVERITY, "status": STATUS,
    "reporter": _obj({"name": S, "contact": INT, "user": INT}), "assignee": REF, "team": REF,
    "merged_into": _obj({"id": INT, "number": S}), "watchers": {"type": "array", "items": REF},
    "created_at": S, "updated_at": S, "first_response_at": NS, "resolved_at": NS,
    "closed_at": NS,
}
MATCHES = {
    "similar": _obj({g: {"type": "array", "items": _ref("Match")}
                     for g in ("tickets", "articles", "notes")}),
    "suggested_severity": _obj({"severity": SEVERITY, "reason": S}),
}
TICKET_SCHEMAS = {
    "Ticket": _obj(TICKET),
    "TicketCreated": _obj({**TICKET, **MATCHES}),
    "Matches": _obj(MATCHES),
    "Match": MATCH,
    "TicketInput": _obj({"customer": S, "subject": S, "description": S, "severity": SEVERITY,
                         "application": S, "component": S, "contact": INT,
                         "channel": {"type": "string", "enum": ["email", "phone", "portal",
                                                                "web", "api", "monitor"]}},
                        ["subject"]),
    "TicketPatch": _obj({"status": STATUS, "severity": SEVERITY, "assignee": S, "team": S,
                         "subject": S, "description": S, "application": S}),
    "TicketPage": _page("Ticket"),
    "Message": _obj({"id": INT, "ticket": INT, "author": S, "internal": B, "automatic": B,
                     "via": S, "body": S, "attachments": {"type": "array", "items": INT},
                     "created_at": S}),
    "MessageInput": _obj({"body": S, "internal": B}, ["body"]),
    "MessagePage": _page("Message"),
    "Event": _obj({"id": INT, "kind": S, "at": S, "actor": NS, "public": B,
                   "data": {"type": "object"}}),
    "EventPage": _page("Event"),
    "Link": _obj({"id": INT, "kind": S, "ticket": INT, "number": S, "status": STATUS}),
    "LinkInput": _obj({"kind": {"type": "string", "enum": ["duplicate_of", "related_to",
                                                           "caused_by"]},
                       "target": {"description": "Ticket id or number", "type": "string"}},
                      ["kind", "target"]),
    "MergeInput": _obj({"target": {"description": "Id or number of the surviving ticket",
                                   "type": "string"}}, ["target"]),
    "Attachment": _obj({"id": INT, "ticket": INT, "message": {"type": "integer",
                                                              "nullable": True},
                        "filename": S, "content_type": S, "size": INT, "sha256": S,
                        "internal": B, "created_at": S}),
    "Visit": _obj({"id": INT, "ticket": INT, "visit_date": S, "engineer": REF,
                   "duration_minutes": INT, "work_done": S, "confirmed_by": S,
                   "created_at": S}),
    "VisitInput": _obj({"visit_date": S, "engineer": S, "duration_minutes": INT,
                        "work_done": S, "confirmed_by": S},
                       ["visit_date", "duration_minutes", "work_done"]),
}


@bp.record_once
def _document_schemas(_state) -> None:
    # At registration, not import: kbdesk.api.openapi may still be half-imported here.
    from kbdesk.api.openapi import SCHEMAS

    SCHEMAS.update(TICKET_SCHEMAS)
