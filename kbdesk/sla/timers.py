"""Thresholds: record each warning and breach once, with history, notices and escalation."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kbdesk.extensions import db
from kbdesk.sla import notify
from kbdesk.sla.clocks import CLOCK_LABELS, calendar_of, iso
from kbdesk.sla.models import SlaClock, SlaEvent, TicketSla
from kbdesk.tickets.models import Ticket


def settle(clock: SlaClock, now: datetime, *, alert: bool = True) -> list[SlaEvent]:
    """Record the warning and the breach a running clock has crossed by `now`, once each."""
    if clock.state != "running" or clock.due_at is None:
        return []
    recorded = []
    breached = clock.breached_at is None and clock.due_at < now
    if clock.warned_at is None and clock.warn_at is not None and clock.warn_at <= now:
        clock.warned_at = clock.warn_at
        if event := _record(clock, "warning", clock.warn_at, now):
            recorded.append(event)
            # A late run that finds the breach too tells people about the breach only.
            _consequences(clock, event, now, alert=alert and not breached)
    if breached:
        clock.breached_at = clock.due_at
        if event := _record(clock, "breach", clock.due_at, now):
            recorded.append(event)
            _consequences(clock, event, now, alert=alert)
    return recorded


def _record(clock: SlaClock, kind: str, at: datetime, now: datetime) -> SlaEvent | None:
    """Insert the event unless it exists; a concurrent insert loses quietly."""
    exists = db.session.scalar(select(SlaEvent.id).where(
        SlaEvent.ticket_id == clock.ticket_id, SlaEvent.clock == clock.kind,
        SlaEvent.cycle == clock.cycle, SlaEvent.kind == kind))
    if exists is not None:
        return None
    event = SlaEvent(ticket_id=clock.ticket_id, clock=clock.kind, cycle=clock.cycle, kind=kind,
                     at=at, recorded_at=now)
    savepoint = db.session.begin_nested()
    try:
        db.session.add(event)
        db.session.flush()
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        return None
    return event


def _consequences(clock: SlaClock, event: SlaEvent, now: datetime, *, alert: bool) -> None:
    """History, notices and escalation for a newly recorded event."""
    from kbdesk.tickets.services import record

    ticket = db.session.get(Ticket, clock.ticket_id)
    sla, policy = clock.sla, clock.sla.policy
    record(ticket, None, f"sla_{event.kind}", label="SLA", at=event.at, clock=clock.kind,
           cycle=clock.cycle, due=iso(clock.due_at), noticed=iso(now))
    escalate = policy is not None and policy.escalate_on == event.kind
    if escalate and policy.escalate_raise and not sla.escalated:
        sla.escalated, sla.escalated_at = True, now
        record(ticket, None, "sla_escalated", label="SLA", at=now, clock=clock.kind,
               reason=event.kind)
    if not alert:
        return
    fields = {"number": ticket.number, "due": _local(clock.due_at, sla)}

    def text():
        label = str(CLOCK_LABELS[clock.kind])
        if event.kind == "warning":
            return _("%(number)s: %(clock)s due %(due)s (SLA warning)", clock=label, **fields)
        return _("%(number)s: %(clock)s SLA breached, was due %(due)s", clock=label, **fields)

    def lead_text():
        return _("%(number)s escalated to you: %(clock)s SLA %(kind)s (due %(due)s)",
                 clock=str(CLOCK_LABELS[clock.kind]),
                 kind=_("warning") if event.kind == "warning" else _("breach"), **fields)

    leads = notify.team_leads(ticket) if escalate and policy.escalate_to_lead else []
    lead_ids = {u.id for u in leads}
    # A lead who is also on the team hears once, with the escalation.
    notify.notify([u for u in notify.watchers(ticket) if u.id not in lead_ids], ticket,
                  f"sla_{event.kind}", text)
    notify.notify(leads, ticket, "sla_escalation", lead_text)


def _local(dt: datetime | None, sla: TicketSla) -> str:
    """A due time on the calendar's wall clock, for notices sent outside any request."""
    if dt is None:
        return ""
    tz = calendar_of(sla).tz
    return dt.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def check_due(now: datetime, limit: int = 1000) -> list[SlaEvent]:
    """Record every threshold running clocks crossed by `now` (the periodic task's work)."""
    stmt = select(SlaClock).where(
        SlaClock.state == "running",
        ((SlaClock.warned_at.is_(None) & (SlaClock.warn_at <= now))
         | (SlaClock.breached_at.is_(None) & (SlaClock.due_at < now))),
    ).order_by(SlaClock.due_at, SlaClock.id).limit(limit)
    # Two workers on PostgreSQL take different rows; SQLite ignores the clause.
    stmt = stmt.with_for_update(skip_locked=True, of=SlaClock)
    recorded: list[SlaEvent] = []
    for clock in db.session.scalars(stmt).all():
        recorded += settle(clock, now)
    db.session.flush()
    return recorded
