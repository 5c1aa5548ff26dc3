"""Ticket rules: every channel opens tickets here; every change becomes an event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from kbdesk.accounts.models import Team, User
from kbdesk.accounts.permissions import customer_scope, require_staff
from kbdesk.customers.models import Application, Contact, Customer
from kbdesk.db_types import utcnow
from kbdesk.errors import Forbidden, NotFound, ValidationError
from kbdesk.extensions import db
from kbdesk.search.indexing import mark_dirty
from kbdesk.tickets.models import (
    CHANNELS,
    OPEN_STATUSES,
    SEVERITIES,
    STATUSES,
    Message,
    Ticket,
    TicketCounter,
    TicketEvent,
)
from kbdesk.tickets.signals import message_added, ticket_changed, ticket_opened
from kbdesk.validation import Checker

# Fields a customer user may change on its own tickets.
CUSTOMER_FIELDS = {"status"}
CUSTOMER_STATUSES = ("open", "closed")


def next_number(now: datetime) -> str:
    """The next readable ticket number of the year, e.g. 2026-000123."""
    year = now.year
    bumped = db.session.execute(
        update(TicketCounter).where(TicketCounter.year == year)
        .values(last=TicketCounter.last + 1)).rowcount
    if not bumped:
        db.session.add(TicketCounter(year=year, last=1))
        db.session.flush()
    last = db.session.scalar(select(TicketCounter.last).where(TicketCounter.year == year))
    return f"{year}-{last:06d}"


def record(ticket: Ticket, actor: User | None, kind: str, *, public: bool = False,
           label: str = "", at: datetime | None = None, **data) -> TicketEvent:
    """Add one event to a ticket's history."""
    event = TicketEvent(ticket=ticket, actor=actor, actor_label=label or (actor.name if actor else ""),
                        kind=kind, data=data, public=public, at=at or utcnow())
    db.session.add(event)
    return event


def _resolve_refs(c: Checker, actor, data: dict) -> dict:
    """Customer, application and contact from ids or slugs, checked against each other."""
    out: dict = {}
    customer = None
    raw = data.get("customer")
    if isinstance(raw, Customer):
        customer = raw
    elif raw not in (None, ""):
        stmt = select(Customer)
        stmt = stmt.where(Customer.id == int(raw)) if str(raw).isdigit() else stmt.where(
            Customer.slug == str(raw))
        customer = db.session.scalar(stmt)
        if customer is None:
            c.error("customer", "No such customer.")
    scope = customer_scope(actor) if actor is not None else None
    if scope is not None:
        if customer is not None and customer.id != scope:
            c.error("customer", "No such customer.")
        customer = db.session.get(Customer, scope)
    out["customer"] = customer
    app_raw = data.get("application")
    app = app_raw if isinstance(app_raw, Application) else None
    if app is None and app_raw not in (None, ""):
        app = db.session.get(Application, int(app_raw)) if str(app_raw).isdigit() else None
        if app is None and customer is not None:
            app = db.session.scalar(select(Application).where(
                Application.customer_id == customer.id, Application.name == str(app_raw)))
        if app is None:
            c.error("application", "No such application.")
    if app is not None and (customer is None or app.customer_id != customer.id):
        c.error("application", "The application belongs to another customer.")
        app = None
    out["application"] = app
    contact_raw = data.get("contact")
    contact = contact_raw if isinstance(contact_raw, Contact) else None
    if contact is None and contact_raw not in (None, ""):
        contact = db.session.get(Contact, int(contact_raw)) if str(contact_raw).isdigit() else None
        if contact is None:
            c.error("contact", "No such contact.")
    if contact is not None and (customer is None or contact.customer_id != customer.id):
        c.error("contact", "The contact belongs to another customer.")
        contact = None
    out["contact"] = contact
    return out


def open_ticket(actor: User | None, data: dict, *, channel: str, label: str = "",
                reporter_email: str = "", now: datetime | None = None) -> Ticket:
    """Open a ticket from any channel; actor None means a system channel (mail, monitor)."""
    now = now or utcnow()
    c = Checker(data)
    subject = c.text("subject", required=True, max_len=300)
    description = c.text("description", max_len=200_000)
    severity = c.choice("severity", SEVERITIES, default="normal")
    component = c.text("component", max_len=100)
    if channel not in CHANNELS:
        c.error("channel", "Must be one of: " + ", ".join(CHANNELS) + ".")
    if actor is not None and not actor.is_staff and channel not in ("portal", "api"):
        c.error("channel", "Customers file through the portal or the API.")
    refs = _resolve_refs(c, actor, data)
    if actor is not None and actor.is_staff and refs["customer"] is None:
        c.error("customer", "Choose the customer.")
    c.done()
    ticket = Ticket(
        number=next_number(now), customer=refs["customer"], application=refs["application"],
        component=component, reporter_contact=refs["contact"],
        reporter_user=actor if actor is not None and not actor.is_staff else None,
        reporter_email=reporter_email or (refs["contact"].email if refs["contact"] else ""),
        subject=subject, description=description, channel=channel, severity=severity,
        status="new", created_at=now, updated_at=now)
    db.session.add(ticket)
    db.session.flush()
    record(ticket, actor, "created", public=True, label=label, at=now, channel=channel,
           severity=severity)
    db.session.flush()
    ticket_opened.send(ticket, actor=actor)
    return ticket


def visible_tickets(actor: User):
    """A select of the tickets the actor may see."""
    stmt = select(Ticket)
    scope = customer_scope(actor)
    if scope is not None:
        stmt = stmt.where(Ticket.customer_id == scope)
        if actor.customer is not None and not actor.customer.portal_sees_all:
            stmt = stmt.where(Ticket.reporter_user_id == actor.id)
    return stmt


def get_ticket(actor: User, ticket_id: int) -> Ticket:
    """One ticket the actor may see; anything else is NotFound."""
    ticket = db.session.scalar(visible_tickets(actor).where(Ticket.id == ticket_id))
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def get_ticket_by_number(actor: User, number: str) -> Ticket:
    """One ticket by its readable number."""
    ticket = db.session.scalar(visible_tickets(actor).where(Ticket.number == number))
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def list_tickets(actor: User, filters: dict, *, limit: int = 50, offset: int = 0,
                 order: str = "-created") -> tuple[list[Ticket], int]:
    """Tickets the actor may see, filtered and ordered, with the total."""
    stmt = visible_tickets(actor)
    f = filters or {}
    if status := f.get("status"):
        statuses = OPEN_STATUSES if status == "open_any" else tuple(str(status).split(","))
        stmt = stmt.where(Ticket.status.in_(statuses))
    if severity := f.get("severity"):
        stmt = stmt.where(Ticket.severity.in_(str(severity).split(",")))
    if customer := f.get("customer"):
        stmt = stmt.join(Customer, Ticket.customer_id == Customer.id).where(
            Customer.slug == customer)
    if (assignee := f.get("assignee")) is not None and assignee != "":
        if assignee in ("none", "unassigned"):
            stmt = stmt.where(Ticket.assignee_id.is_(None))
        elif str(assignee).isdigit():
            stmt = stmt.where(Ticket.assignee_id == int(assignee))
        else:
            stmt = stmt.join(User, Ticket.assignee_id == User.id).where(User.email == assignee)
    if team := f.get("team"):
        stmt = stmt.where(Ticket.team_id == int(team))
    if (teams := f.get("teams")) is not None:
        stmt = stmt.where(Ticket.team_id.in_([int(t) for t in teams]))
    if f.get("unsorted"):
        stmt = stmt.where(Ticket.customer_id.is_(None))
    if q := (f.get("q") or "").strip():
        like = f"%{q}%"
        stmt = stmt.where(Ticket.subject.ilike(like) | Ticket.number.ilike(like))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    orders = {
        "-created": Ticket.created_at.desc(), "created": Ticket.created_at.asc(),
        "-updated": Ticket.updated_at.desc(), "updated": Ticket.updated_at.asc(),
        "severity": _severity_rank().asc(), "number": Ticket.number.asc(),
        "-number": Ticket.number.desc(), "-severity": _severity_rank().desc(),
    }
    if order in ("customer", "-customer"):
        named = aliased(Customer)
        stmt = stmt.outerjoin(named, Ticket.customer_id == named.id)
        key = named.name.asc() if order == "customer" else named.name.desc()
        stmt = stmt.order_by(key, _severity_rank().asc(), Ticket.id.desc())
    elif order == "due":
        from kbdesk.sla.services import due_order

        stmt = stmt.order_by(*due_order(), Ticket.id.desc())
    else:
        stmt = stmt.order_by(orders.get(order, Ticket.created_at.desc()), Ticket.id.desc())
    return list(db.session.scalars(stmt.limit(limit).offset(offset))), total


def _severity_rank():
    from sqlalchemy import case

    return case({s: i for i, s in enumerate(SEVERITIES)}, value=Ticket.severity, else_=9)


def update_ticket(actor: User, ticket_id: int, data: dict, *, now: datetime | None = None) -> Ticket:
    """Change status, severity, assignee, team, subject or description; each change is an event."""
    now = now or utcnow()
    ticket = get_ticket(actor, ticket_id)
    c = Checker(data)
    allowed = set(data) if actor.is_staff else CUSTOMER_FIELDS
    if forbidden := [k for k in data if k not in allowed]:
        raise Forbidden("You may not change: " + ", ".join(sorted(forbidden)) + ".")
    changes: dict[str, tuple] = {}
    if "status" in data:
        choices = STATUSES if actor.is_staff else CUSTOMER_STATUSES
        status = c.choice("status", choices)
        if status != ticket.status:
            changes["status"] = (ticket.status, status)
    if "severity" in data:
        severity = c.choice("severity", SEVERITIES)
        if severity != ticket.severity:
            changes["severity"] = (ticket.severity, severity)
    if "subject" in data:
        subject = c.text("subject", required=True, max_len=300)
        if subject != ticket.subject:
            changes["subject"] = (ticket.subject, subject)
    if "description" in data:
        description = c.text("description", max_len=200_000)
        if description != ticket.description:
            changes["description"] = (ticket.description, description)
    if "assignee" in data:
        assignee = _staff_user(c, data.get("assignee"))
        if (assignee.id if assignee else None) != ticket.assignee_id:
            changes["assignee"] = (ticket.assignee, assignee)
    if "team" in data:
        team = _team(c, data.get("team"))
        if (team.id if team else None) != ticket.team_id:
            changes["team"] = (ticket.team, team)
    if "application" in data:
        refs = _resolve_refs(c, actor, {"customer": ticket.customer,
                                        "application": data.get("application")})
        if (refs["application"].id if refs["application"] else None) != ticket.application_id:
            changes["application"] = (ticket.application, refs["application"])
    c.done()
    apply_changes(ticket, actor, changes, now=now)
    return ticket


def apply_changes(ticket: Ticket, actor: User | None, changes: dict[str, tuple], *,
                  now: datetime, label: str = "") -> None:
    """Set changed fields, stamp status times and record one event per change."""
    for field, (old, new) in changes.items():
        if field in ("assignee", "team", "application"):
            setattr(ticket, field, new)
            record(ticket, actor, field, label=label, at=now,
                   old=_ref(old), new=_ref(new), public=False)
            continue
        setattr(ticket, field, new)
        if field == "status":
            _stamp_status(ticket, new, now)
        public = field in ("status", "severity", "subject")
        data = {"old": old, "new": new} if field != "description" else {}
        record(ticket, actor, field, label=label, at=now, public=public, **data)
    if changes:
        ticket.updated_at = now
        if {"subject", "description"} & set(changes):
            mark_dirty(ticket)
        db.session.flush()
        ticket_changed.send(ticket, actor=actor, changes=changes)


def _stamp_status(ticket: Ticket, status: str, now: datetime) -> None:
    if status == "resolved":
        ticket.resolved_at = now
    elif status == "closed":
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    else:
        ticket.resolved_at = None
        ticket.closed_at = None


def _ref(obj) -> dict | None:
    if obj is None:
        return None
    return {"id": obj.id, "name": getattr(obj, "name", str(obj))}


def _staff_user(c: Checker, raw) -> User | None:
    if raw in (None, "", 0):
        return None
    if isinstance(raw, User):
        return raw
    user = (db.session.get(User, int(raw)) if str(raw).isdigit()
            else db.session.scalar(select(User).where(User.email == str(raw).lower())))
    if user is None or not user.is_staff or not user.active:
        c.error("assignee", "Not an active staff user.")
        return None
    return user


def _team(c: Checker, raw) -> Team | None:
    if raw in (None, "", 0):
        return None
    team = (db.session.get(Team, int(raw)) if str(raw).isdigit()
            else db.session.scalar(select(Team).where(Team.name == str(raw))))
    if team is None:
        c.error("team", "No such team.")
    return team


def add_message(actor: User | None, ticket: Ticket, body: str, *, internal: bool = False,
                via: str = "web", author_contact: Contact | None = None, author_email: str = "",
                automatic: bool = False, mail_message_id: str = "",
                now: datetime | None = None) -> Message:
    """Add a public reply or an internal note; a customer's reply reopens a resolved ticket."""
    now = now or utcnow()
    customer_side = actor is None and not automatic or (actor is not None and not actor.is_staff)
    if internal and (actor is None or not actor.is_staff):
        raise Forbidden("Only staff write internal notes.")
    if not isinstance(body, str) or not body.strip():
        raise ValidationError({"body": "This field is required."})
    if len(body) > 200_000:
        raise ValidationError({"body": "At most 200000 characters."})
    message = Message(ticket=ticket, author=actor, author_contact=author_contact,
                      author_email=author_email, internal=internal, automatic=automatic,
                      via=via, body=body.strip(), mail_message_id=mail_message_id,
                      created_at=now)
    db.session.add(message)
    db.session.flush()
    record(ticket, actor, "message", public=not internal, at=now,
           label=(author_contact.name if author_contact else author_email),
           message_id=message.id, internal=internal)
    changes: dict[str, tuple] = {}
    if customer_side and ticket.status in ("resolved", "closed", "waiting_customer"):
        changes["status"] = (ticket.status, "open")
    elif (actor is not None and actor.is_staff and not internal and not automatic):
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        if ticket.status == "new":
            changes["status"] = ("new", "open")
    ticket.updated_at = now
    mark_dirty(ticket)
    apply_changes(ticket, actor, changes, now=now)
    db.session.flush()
    message_added.send(message, actor=actor, ticket=ticket)
    return message


def require_ticket_staff(actor: User) -> None:
    """Staff-only ticket operations."""
    require_staff(actor)
