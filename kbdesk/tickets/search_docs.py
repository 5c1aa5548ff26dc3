"""Tickets as search documents: public text in body, internal notes in internal."""

from __future__ import annotations

from flask import url_for
from sqlalchemy.orm import selectinload

from kbdesk.search.indexing import register
from kbdesk.tickets.models import Ticket


def ticket_document(ticket: Ticket) -> dict:
    """The index document of a ticket."""
    public = [ticket.subject, ticket.description]
    internal = []
    for m in ticket.messages:
        (internal if m.internal else public).append(m.body)
    for a in ticket.attachments:
        if a.text:
            (internal if a.internal else public).append(f"{a.filename}\n{a.text}")
    return {
        "kind": "ticket", "obj_id": ticket.id, "title": f"{ticket.number} {ticket.subject}",
        "body": "\n\n".join(p for p in public if p), "internal": "\n\n".join(internal),
        "customer": str(ticket.customer_id or ""), "application": str(ticket.application_id or ""),
        "component": ticket.component or "", "visibility": "customer", "status": ticket.status,
        "severity": ticket.severity, "created": ticket.created_at, "updated": ticket.updated_at,
    }


def _url(ticket: Ticket) -> str:
    try:
        return url_for("tickets.detail", number=ticket.number)
    except Exception:  # no tickets pages registered, or no request
        return f"/tickets/{ticket.number}"


def _visible(actor, ticket: Ticket) -> bool:
    if actor.is_staff:
        return True
    if ticket.customer_id != actor.customer_id:
        return False
    return actor.customer.portal_sees_all or ticket.reporter_user_id == actor.id


register(
    Ticket, kinds=("ticket",), docid=lambda t: f"ticket:{t.id}", document=ticket_document,
    url=lambda t: _url(t),
    load_options=(selectinload(Ticket.messages), selectinload(Ticket.attachments)),
    visible=lambda actor, t: _visible(actor, t),
)
