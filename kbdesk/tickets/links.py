"""Links between tickets, merging duplicates, and watchers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from kbdesk.accounts.models import User
from kbdesk.accounts.permissions import require_staff
from kbdesk.db_types import utcnow
from kbdesk.errors import Conflict, NotFound, ValidationError
from kbdesk.extensions import db
from kbdesk.search.indexing import mark_dirty
from kbdesk.tickets.models import LINK_KINDS, Ticket, TicketLink, TicketWatcher
from kbdesk.tickets.services import (
    apply_changes,
    get_ticket,
    get_ticket_by_number,
    record,
)

# How a link reads from the other end.
INVERSE = {"duplicate_of": "has_duplicate", "related_to": "related_to", "caused_by": "causes"}


def find_ticket(actor: User, ref, field: str = "target") -> Ticket:
    """A ticket by id, number (2026-000123) or Ticket; unknown ones are a field error."""
    if isinstance(ref, Ticket):
        return ref
    raw = str(ref if ref is not None else "").strip().lstrip("#")
    if not raw:
        raise ValidationError({field: "This field is required."})
    try:
        if raw.isdigit():
            return get_ticket(actor, int(raw))
        return get_ticket_by_number(actor, raw)
    except NotFound:
        raise ValidationError({field: "No such ticket."}) from None


def links_of(ticket: Ticket) -> list[dict]:
    """Every link touching a ticket, as seen from it: kind, the other ticket, the link."""
    rows = db.session.scalars(select(TicketLink).where(
        or_(TicketLink.source_id == ticket.id, TicketLink.target_id == ticket.id))
        .order_by(TicketLink.id))
    out = []
    for link in rows:
        outgoing = link.source_id == ticket.id
        out.append({"link": link, "kind": link.kind if outgoing else INVERSE[link.kind],
                    "ticket": link.target if outgoing else link.source, "outgoing": outgoing})
    return out


def link_tickets(actor: User, ticket: Ticket, target_ref, kind: str, *,
                 now: datetime | None = None) -> TicketLink:
    """Link ticket <kind> target (staff); no self-links, no duplicates; an event on both."""
    require_staff(actor)
    now = now or utcnow()
    if kind not in LINK_KINDS:
        raise ValidationError({"kind": "Must be one of: " + ", ".join(LINK_KINDS) + "."})
    target = find_ticket(actor, target_ref)
    if target.id == ticket.id:
        raise ValidationError({"target": "A ticket cannot be linked to itself."})
    pair = [(ticket.id, target.id)]
    if kind == "related_to":  # symmetric: either direction is the same link
        pair.append((target.id, ticket.id))
    exists = db.session.scalar(select(TicketLink.id).where(
        TicketLink.kind == kind,
        or_(*[(TicketLink.source_id == s) & (TicketLink.target_id == t) for s, t in pair])))
    if exists:
        raise Conflict("These tickets are already linked.", {"target": "Already linked."})
    link = TicketLink(source=ticket, target=target, kind=kind, created_by_id=actor.id,
                      created_at=now)
    db.session.add(link)
    db.session.flush()
    # Internal events: the other ticket may belong to another customer.
    record(ticket, actor, "link", at=now, link=kind, ticket_id=target.id, number=target.number)
    record(target, actor, "link", at=now, link=INVERSE[kind], ticket_id=ticket.id,
           number=ticket.number)
    ticket.updated_at = target.updated_at = now
    db.session.flush()
    return link


def unlink_tickets(actor: User, ticket: Ticket, link_id: int, *,
                   now: datetime | None = None) -> None:
    """Remove a link touching this ticket; an event on both."""
    require_staff(actor)
    now = now or utcnow()
    link = db.session.get(TicketLink, link_id)
    if link is None or ticket.id not in (link.source_id, link.target_id):
        raise NotFound("No such link.")
    record(link.source, actor, "unlink", at=now, link=link.kind, ticket_id=link.target_id,
           number=link.target.number)
    record(link.target, actor, "unlink", at=now, link=INVERSE[link.kind],
           ticket_id=link.source_id, number=link.source.number)
    db.session.delete(link)
    db.session.flush()


def merge_tickets(actor: User, ticket: Ticket, survivor_ref, *,
                  now: datetime | None = None) -> Ticket:
    """Merge ticket into the survivor: move messages and attachments, close ticket, point it."""
    require_staff(actor)
    now = now or utcnow()
    survivor = find_ticket(actor, survivor_ref)
    if survivor.id == ticket.id:
        raise ValidationError({"target": "A ticket cannot be merged into itself."})
    if ticket.merged_into_id is not None:
        raise Conflict("This ticket is already merged.", {"target": "Already merged."})
    if survivor.merged_into_id is not None:
        raise ValidationError({"target": "That ticket was merged into another one; merge into "
                                         "that one instead."})
    if survivor.customer_id != ticket.customer_id:
        raise ValidationError({"target": "Tickets of different customers cannot be merged."})
    moved_messages = list(ticket.messages)
    moved_attachments = list(ticket.attachments)
    for message in moved_messages:
        message.ticket = survivor
    for att in moved_attachments:
        att.ticket = survivor
    watching = {w.user_id for w in survivor.watchers}
    for w in list(ticket.watchers):
        if w.user_id not in watching:
            survivor.watchers.append(TicketWatcher(user_id=w.user_id))
    ticket.merged_into = survivor
    record(ticket, actor, "merged_into", public=True, at=now, ticket_id=survivor.id,
           number=survivor.number, messages=len(moved_messages),
           attachments=len(moved_attachments))
    record(survivor, actor, "merged_from", public=True, at=now, ticket_id=ticket.id,
           number=ticket.number, subject=ticket.subject, messages=len(moved_messages),
           attachments=len(moved_attachments))
    survivor.updated_at = now
    changes = {"status": (ticket.status, "closed")} if ticket.status != "closed" else {}
    apply_changes(ticket, actor, changes, now=now)
    ticket.updated_at = now
    mark_dirty(ticket)
    mark_dirty(survivor)
    db.session.flush()
    return survivor


def surviving(ticket: Ticket) -> Ticket:
    """The ticket a merged one lives on in (itself when not merged); replies go there."""
    seen = {ticket.id}
    while ticket.merged_into is not None and ticket.merged_into.id not in seen:
        ticket = ticket.merged_into
        seen.add(ticket.id)
    return ticket


def add_watcher(actor: User, ticket: Ticket, user_ref) -> TicketWatcher:
    """Add a staff user to the ticket's watchers (staff); an event."""
    require_staff(actor)
    user = _staff(user_ref)
    if any(w.user_id == user.id for w in ticket.watchers):
        raise Conflict("Already watching.", {"user": "Already watching."})
    watcher = TicketWatcher(ticket=ticket, user=user)
    db.session.add(watcher)
    record(ticket, actor, "watcher_added", user_id=user.id, name=user.name)
    db.session.flush()
    return watcher


def remove_watcher(actor: User, ticket: Ticket, user_ref) -> None:
    """Remove a watcher (staff); an event."""
    require_staff(actor)
    user = _staff(user_ref)
    watcher = next((w for w in ticket.watchers if w.user_id == user.id), None)
    if watcher is None:
        raise NotFound("Not watching.")
    ticket.watchers.remove(watcher)
    record(ticket, actor, "watcher_removed", user_id=user.id, name=user.name)
    db.session.flush()


def _staff(ref) -> User:
    if isinstance(ref, User):
        user = ref
    elif ref in (None, ""):
        raise ValidationError({"user": "This field is required."})
    else:
        raw = str(ref).strip()
        user = (db.session.get(User, int(raw)) if raw.isdigit()
                else db.session.scalar(select(User).where(User.email == raw.lower())))
    if user is None or not user.is_staff or not user.active:
        raise ValidationError({"user": "Not an active staff user."})
    return user
