"""What people and integrations see: the API's `sla` object, the countdown, queue order."""

from __future__ import annotations

from datetime import datetime

from flask import has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select

from kbdesk.sla import clock as sla_clock
from kbdesk.sla.calendar import BusinessCalendar, open_until
from kbdesk.sla.clocks import (
    CLOCK_LABELS,
    FAR_FUTURE,
    calendar_of,
    clock_state,
    iso,
    remaining_seconds,
    sla_for,
)
from kbdesk.sla.models import SlaClock, TicketSla
from kbdesk.tickets.models import Ticket

REASON_LABELS = {"no_customer": _l("No SLA: the ticket has no customer."),
                 "no_contract": _l("No SLA: no contract was in force when the ticket was filed."),
                 "no_target": _l("No SLA: the policy sets no target for this severity."),
                 "not_tracked": _l("No SLA: the ticket predates SLA tracking.")}


def _text(lazy) -> str:
    """A translated label; outside a request (tasks, the CLI) in English."""
    if has_request_context():
        return str(lazy)
    with force_locale("en"):
        return str(lazy)


def clock_json(clock: SlaClock, bc: BusinessCalendar, now: datetime) -> dict:
    """One clock as the API shows it."""
    return {
        "state": clock_state(clock, now), "running": clock.state == "running",
        "paused": clock.state == "paused", "at_risk": clock.warned_at is not None
        or (clock.state == "running" and clock.warn_at is not None and clock.warn_at <= now),
        "due_at": iso(clock.due_at), "warn_at": iso(clock.warn_at), "met_at": iso(clock.met_at),
        "breached_at": iso(clock.breached_at), "target_seconds": clock.target_seconds,
        "paused_seconds": clock.paused_seconds or 0, "paused_since": iso(clock.paused_since),
        "remaining_seconds": remaining_seconds(clock, bc, now), "cycle": clock.cycle,
    }


def sla_json(ticket: Ticket, now: datetime | None = None) -> dict:
    """The `sla` object of a ticket in the API: state, due times, paused, per clock."""
    now = now or sla_clock.now()
    sla = sla_for(ticket)
    if sla is None or sla.state != "active":
        reason = sla.reason if sla is not None else "not_tracked"
        return {"state": "none", "reason": reason, "message": _text(REASON_LABELS.get(reason, "")),
                "paused": False, "escalated": False, "next_due_at": None,
                "first_response": None, "resolution": None, "update": None}
    bc = calendar_of(sla)
    clocks = {kind: None for kind in ("first_response", "resolution", "update")}
    for clock in sla.clocks:
        clocks[clock.kind] = clock_json(clock, bc, now)
    return {
        "state": "active", "reason": "", "message": "",
        "contract": {"id": sla.contract_id, "name": sla.contract.name if sla.contract else None},
        "policy": sla.policy.name if sla.policy else None,
        "calendar": sla.calendar.name if sla.calendar else None, "severity": sla.severity,
        "paused": any(c.state == "paused" for c in sla.clocks),
        "escalated": sla.escalated, "escalated_at": iso(sla.escalated_at),
        "next_due_at": iso(sla.next_due_at), **clocks,
    }


def countdown(ticket: Ticket, now: datetime | None = None) -> dict:
    """What the ticket page's countdown shows: sla_json plus labels and whether time ticks."""
    now = now or sla_clock.now()
    data = sla_json(ticket, now)
    if data["state"] != "active":
        return data
    sla = sla_for(ticket)
    bc = calendar_of(sla)
    until = open_until(bc, now)
    data["ticking_until"] = None if until is None else (
        None if until == FAR_FUTURE else iso(until))
    data["ticking"] = until is not None
    data["now"] = iso(now)
    rows = []
    for kind in ("first_response", "resolution", "update"):
        if data[kind] is not None:
            rows.append({"kind": kind, "label": str(CLOCK_LABELS[kind]), **data[kind]})
    data["rows"] = rows
    return data


def due_sort_key(ticket: Ticket) -> tuple:
    """Sort key for queues: escalated first, then the nearest due time, no SLA last."""
    sla = sla_for(ticket)
    escalated = bool(sla and sla.escalated)
    due = sla.next_due_at if sla is not None and sla.next_due_at else FAR_FUTURE
    return (0 if escalated else 1, due, ticket.id)


def due_order() -> tuple:
    """ORDER BY clauses for a select of Ticket: escalated first, nearest due, no SLA last.

    Correlated subqueries, so a queue adds them without a join:
    ``stmt.order_by(*due_order(), Ticket.id.desc())``.
    """
    escalated = select(TicketSla.escalated).where(
        TicketSla.ticket_id == Ticket.id).correlate(Ticket).scalar_subquery()
    due = select(TicketSla.next_due_at).where(
        TicketSla.ticket_id == Ticket.id).correlate(Ticket).scalar_subquery()
    return (case((escalated.is_(True), 0), else_=1), case((due.is_(None), 1), else_=0), due.asc())


def format_seconds(seconds: int | float | None) -> str:
    """Business time for people: '3 h 05 min', '-1 h 10 min' when overdue."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    minutes = int(abs(seconds)) // 60
    h, m = divmod(minutes, 60)
    if h:
        return _("%(sign)s%(h)d h %(m)02d min", sign=sign, h=h, m=m)
    return _("%(sign)s%(m)d min", sign=sign, m=m)
