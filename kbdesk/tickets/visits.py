"""On-site visits: an engineer's work at the customer, confirmed by a person there."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from kbdesk.accounts.models import User
from kbdesk.accounts.permissions import require_staff
from kbdesk.db_types import utcnow
from kbdesk.errors import NotFound
from kbdesk.extensions import db
from kbdesk.tickets.models import OnsiteVisit, Ticket
from kbdesk.tickets.services import record
from kbdesk.validation import Checker

MAX_MINUTES = 24 * 60 * 7


def list_visits(actor: User, ticket: Ticket) -> list[OnsiteVisit]:
    """The visits of a ticket the actor may already see, newest first."""
    return list(db.session.scalars(select(OnsiteVisit).where(OnsiteVisit.ticket_id == ticket.id)
                                   .order_by(OnsiteVisit.visit_date.desc(), OnsiteVisit.id.desc())))


def _date(c: Checker, raw) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if raw in (None, ""):
        c.error("visit_date", "This field is required.")
        return None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        c.error("visit_date", "A date as YYYY-MM-DD.")
        return None


def _minutes(c: Checker, raw) -> int:
    try:
        minutes = int(str(raw).strip()) if not isinstance(raw, bool) else -1
    except (TypeError, ValueError):
        minutes = -1
    if not 1 <= minutes <= MAX_MINUTES:
        c.error("duration_minutes", f"Whole minutes from 1 to {MAX_MINUTES}.")
        return 0
    return minutes


def _engineer(c: Checker, raw, actor: User) -> User | None:
    if raw in (None, "", 0):
        return actor
    if isinstance(raw, User):
        user = raw
    else:
        text = str(raw).strip()
        user = (db.session.get(User, int(text)) if text.isdigit()
                else db.session.scalar(select(User).where(User.email == text.lower())))
    if user is None or not user.is_staff:
        c.error("engineer", "Not a staff user.")
        return None
    return user


def add_visit(actor: User, ticket: Ticket, data: dict, *,
              now: datetime | None = None) -> OnsiteVisit:
    """Record an on-site visit (staff): date, engineer, duration, work done, who confirmed."""
    require_staff(actor)
    c = Checker(data)
    visit_date = _date(c, c.data.get("visit_date"))
    engineer = _engineer(c, c.data.get("engineer"), actor)
    minutes = _minutes(c, c.data.get("duration_minutes"))
    work_done = c.text("work_done", required=True, max_len=20_000)
    confirmed_by = c.text("confirmed_by", max_len=200)
    c.done()
    now = now or utcnow()
    visit = OnsiteVisit(ticket_id=ticket.id, visit_date=visit_date, engineer=engineer,
                        duration_minutes=minutes, work_done=work_done,
                        confirmed_by=confirmed_by, created_at=now)
    db.session.add(visit)
    db.session.flush()
    record(ticket, actor, "visit", public=True, at=now, visit_id=visit.id,
           date=visit_date.isoformat(), engineer=engineer.name if engineer else "",
           minutes=minutes, confirmed_by=confirmed_by)
    ticket.updated_at = now
    db.session.flush()
    return visit


def get_visit(ticket: Ticket, visit_id: int) -> OnsiteVisit:
    """One visit of the ticket."""
    visit = db.session.get(OnsiteVisit, visit_id)
    if visit is None or visit.ticket_id != ticket.id:
        raise NotFound("No such visit.")
    return visit
