"""Release rules: staff plan, customers read their own applications' releases; never commit."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select

from kbdesk.accounts.permissions import customer_scope, require_staff
from kbdesk.customers import services as customers
from kbdesk.customers.models import Application
from kbdesk.db_types import utcnow
from kbdesk.errors import Conflict, NotFound, ValidationError
from kbdesk.extensions import db
from kbdesk.releases.models import STATES, Release, ReleaseTicket
from kbdesk.releases.signals import release_shipped
from kbdesk.tickets import services as tickets
from kbdesk.tickets.models import Ticket
from kbdesk.validation import Checker

log = logging.getLogger("kbdesk.releases")


def _date(c: Checker, key: str) -> date | None:
    raw = c.text(key, max_len=10)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        c.error(key, "Use the form YYYY-MM-DD.")
        return None


def list_releases(actor, application_id: int) -> list[Release]:
    """An application's releases, newest plan first (customers: own applications only)."""
    app = customers.get_application(actor, application_id)
    return list(db.session.scalars(select(Release).where(Release.application_id == app.id)
                                   .order_by(Release.planned_on.desc().nulls_last(),
                                             Release.id.desc())))


def customer_applications(actor) -> list[Application]:
    """The applications of the actor's customer (staff: none here, they use the customer page)."""
    scope = customer_scope(actor)
    if scope is None:
        return list(db.session.scalars(select(Application).order_by(Application.name)))
    return list(db.session.scalars(select(Application).where(Application.customer_id == scope)
                                   .order_by(Application.name)))


def get_release(actor, release_id: int) -> Release:
    """One release the actor may see; another customer's is NotFound."""
    release = db.session.get(Release, release_id)
    scope = customer_scope(actor)
    if release is None or (scope is not None and release.application.customer_id != scope):
        raise NotFound("No such release.")
    return release


def create_release(actor, application_id: int, data: dict) -> Release:
    """Staff add a release to an application."""
    app = customers.get_application(actor, application_id)
    require_staff(actor)
    c = Checker(data)
    version = c.text("version", required=True, max_len=50)
    planned = _date(c, "planned_on")
    released = _date(c, "released_on")
    state = c.choice("state", STATES, default="planned")
    notes = c.text("notes", max_len=100_000)
    c.done()
    if db.session.scalar(select(Release.id).where(Release.application_id == app.id,
                                                  Release.version == version)):
        raise ValidationError({"version": "This application already has this version."})
    release = Release(application=app, version=version, planned_on=planned,
                      released_on=released, state="planned", notes=notes)
    db.session.add(release)
    db.session.flush()
    if state != "planned":
        _set_state(actor, release, state)
    return release


def update_release(actor, release_id: int, data: dict) -> Release:
    """Staff change a release; moving it to `released` notifies the reporters."""
    release = get_release(actor, release_id)
    require_staff(actor)
    c = Checker(data)
    if "version" in data:
        release.version = c.text("version", required=True, max_len=50)
    if "planned_on" in data:
        release.planned_on = _date(c, "planned_on")
    if "released_on" in data:
        release.released_on = _date(c, "released_on")
    if "notes" in data:
        release.notes = c.text("notes", max_len=100_000)
    state = c.choice("state", STATES) if "state" in data else None
    c.done()
    if state and state != release.state:
        _set_state(actor, release, state)
    db.session.flush()
    return release


def _set_state(actor, release: Release, state: str) -> None:
    release.state = state
    if state == "released":
        release.released_on = release.released_on or utcnow().date()
        notify_released(actor, release)
        release_shipped.send(release, actor=actor)


def notify_released(actor, release: Release) -> None:
    """Record a public event on every planned ticket and mail each reporter once."""
    for plan in release.plans:
        ticket = plan.ticket
        tickets.record(ticket, actor, "release", public=True, at=utcnow(),
                       release_id=release.id, version=release.version)
        _mail_reporter(ticket, release)
    db.session.flush()


def _mail_reporter(ticket: Ticket, release: Release) -> None:
    try:
        from kbdesk.mail.outbound import language_for, queue_mail, recipient
    except ImportError:  # mail is optional; the ticket event is the record
        return
    addr, name = recipient(ticket)
    if not addr:
        return
    lang = language_for(ticket)
    if lang == "cs":
        subject = f"[{ticket.number}] Opraveno ve verzi {release.version}"
        body = (f"Dobrý den,\n\nopravu k požadavku {ticket.number} ({ticket.subject}) obsahuje "
                f"vydaná verze {release.version} aplikace {release.application.name}.\n")
    else:
        subject = f"[{ticket.number}] Fixed in release {release.version}"
        body = (f"Hello,\n\nthe fix for {ticket.number} ({ticket.subject}) is in release "
                f"{release.version} of {release.application.name}, now released.\n")
    queue_mail(kind="notification", to_addr=addr, to_name=name, subject=subject, body=body,
               automatic=True, ticket=ticket, language=lang)


def plan_ticket(actor, release_id: int, ticket_ref) -> ReleaseTicket:
    """Staff plan a ticket into a release (moving it from any earlier plan)."""
    release = get_release(actor, release_id)
    require_staff(actor)
    ticket = _find_ticket(actor, ticket_ref)
    if ticket.customer_id != release.application.customer_id:
        raise ValidationError({"ticket": "The ticket belongs to another customer."})
    if release.state == "released":
        raise Conflict("This release is already out.")
    plan = db.session.scalar(select(ReleaseTicket).where(ReleaseTicket.ticket_id == ticket.id))
    if plan is None:
        plan = ReleaseTicket(ticket=ticket, release=release)
        db.session.add(plan)
    else:
        plan.release = release
    db.session.flush()
    tickets.record(ticket, actor, "planned", public=True, at=utcnow(),
                   release_id=release.id, version=release.version)
    return plan


def _find_ticket(actor, ref) -> Ticket:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return tickets.get_ticket(actor, int(ref))
    if isinstance(ref, str) and ref.strip():
        return tickets.get_ticket_by_number(actor, ref.strip())
    raise ValidationError({"ticket": "Give the ticket id or number."})


def planned_release(ticket: Ticket) -> Release | None:
    """The release a ticket's fix is planned in (the caller already may see the ticket)."""
    return db.session.scalar(select(Release).join(ReleaseTicket).where(
        ReleaseTicket.ticket_id == ticket.id))


def fixed_tickets(actor, release: Release) -> list[Ticket]:
    """The release's tickets the actor may see (customers: their visible tickets only)."""
    ids = [p.ticket_id for p in release.plans]
    if not ids:
        return []
    return list(db.session.scalars(tickets.visible_tickets(actor).where(Ticket.id.in_(ids))
                                   .order_by(Ticket.number)))


def release_json(release: Release) -> dict:
    """The API shape of a release."""
    return {"id": release.id, "application_id": release.application_id,
            "version": release.version, "state": release.state,
            "planned_on": release.planned_on.isoformat() if release.planned_on else None,
            "released_on": release.released_on.isoformat() if release.released_on else None,
            "notes": release.notes}
