"""Clock rows: the calendar they run in, due and warning instants, pauses, display state.

A clock is due at started_at + target + business time spent paused, in the calendar of the
ticket's target; the pauses themselves are kept so another calendar can measure them again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kbdesk.extensions import db
from kbdesk.sla.calendar import BusinessCalendar, add_business_seconds, business_seconds_between
from kbdesk.sla.models import PolicyTarget, SlaClock, TicketSla
from kbdesk.tickets.models import Ticket

PAUSE_STATUSES = ("waiting_customer",)
DONE_STATUSES = ("resolved", "closed")
CLOCK_LABELS = {"first_response": _l("first response"), "resolution": _l("resolution"),
                "update": _l("update")}
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC, or None."""
    return dt.astimezone(UTC).isoformat() if dt is not None else None


def _fromiso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def calendar_of(sla: TicketSla) -> BusinessCalendar:
    """The business calendar a ticket's clocks run in."""
    return sla.calendar.business() if sla.calendar is not None else BusinessCalendar.always()


def sla_for(ticket: Ticket | int) -> TicketSla | None:
    """A ticket's SLA row, if it has one."""
    ticket_id = ticket if isinstance(ticket, int) else ticket.id
    return db.session.scalar(select(TicketSla).where(TicketSla.ticket_id == ticket_id))


def target_seconds(target: PolicyTarget, kind: str) -> int | None:
    """A target of a policy for one clock, in seconds (None: no update interval)."""
    minutes = {"first_response": target.first_response_minutes,
               "resolution": target.resolution_minutes, "update": target.update_minutes}[kind]
    return None if minutes is None else int(minutes) * 60


def schedule(clock: SlaClock, bc: BusinessCalendar) -> None:
    """Warning and due instants from the start, the target and the time spent paused."""
    extra = clock.paused_seconds or 0
    clock.due_at = add_business_seconds(bc, clock.started_at, clock.target_seconds + extra)
    clock.warn_at = add_business_seconds(
        bc, clock.started_at, clock.target_seconds * clock.warning_percent / 100 + extra)


def close_pause(clock: SlaClock, at: datetime, bc: BusinessCalendar) -> None:
    """End the current pause at `at` and add its business time."""
    start = clock.paused_since
    if start is not None and at > start:
        clock.pauses = [*(clock.pauses or []), [iso(start), iso(at)]]
        clock.paused_seconds = (clock.paused_seconds or 0) + round(
            business_seconds_between(bc, start, at))
    clock.paused_since = None


def remeasure_pauses(clock: SlaClock, bc: BusinessCalendar) -> None:
    """Paused business time measured again, e.g. in another calendar after a severity change."""
    clock.paused_seconds = round(sum(
        business_seconds_between(bc, _fromiso(a), _fromiso(b)) for a, b in clock.pauses or []))


def refresh_next_due(sla: TicketSla) -> None:
    """The nearest due time of a running clock (queues sort by it)."""
    dues = [c.due_at for c in sla.clocks if c.state == "running" and c.due_at is not None]
    sla.next_due_at = min(dues) if dues else None


def clock_state(clock: SlaClock, now: datetime | None = None) -> str:
    """running, paused, met or breached (a late clock stays breached once met).

    A running clock past its due time is breached even before the timer has recorded it.
    """
    if clock.breached_at is not None:
        return "breached"
    if (now is not None and clock.state == "running" and clock.due_at is not None
            and clock.due_at < now):
        return "breached"
    return clock.state


def remaining_seconds(clock: SlaClock, bc: BusinessCalendar, now: datetime) -> int | None:
    """Business seconds left before the due time (negative when overdue); None once met."""
    if clock.state == "met" or clock.due_at is None:
        return None
    since = clock.paused_since if clock.state == "paused" else now
    return round(business_seconds_between(bc, since, clock.due_at))
