"""Ticket clocks: due times from the contract in force, pauses, meets, severity changes.

Each ticket gets one TicketSla row; an active one has a first-response and a resolution clock
(and an update clock when the policy sets an interval). The ticket signals drive the clocks
(handlers.py); the periodic task records crossed thresholds (timers.py). What the API, the
ticket page and the queues read lives in present.py and is re-exported here.
"""

from __future__ import annotations

from datetime import datetime

from kbdesk.extensions import db
from kbdesk.sla.calendar import BusinessCalendar
from kbdesk.sla.clocks import (
    DONE_STATUSES,
    PAUSE_STATUSES,
    calendar_of,
    close_pause,
    refresh_next_due,
    remeasure_pauses,
    schedule,
    sla_for,
    target_seconds,
)
from kbdesk.sla.contracts import contract_in_force
from kbdesk.sla.models import PolicyTarget, SlaClock, TicketSla
from kbdesk.sla.present import (  # noqa: F401 - the public names other features use
    countdown,
    due_order,
    due_sort_key,
    format_seconds,
    sla_json,
)
from kbdesk.sla.timers import settle
from kbdesk.tickets.models import Ticket


def pause(clock: SlaClock, at: datetime, bc: BusinessCalendar) -> None:
    """Stop a running clock (thresholds crossed before `at` are recorded first)."""
    if clock.state != "running":
        return
    settle(clock, at)
    clock.state, clock.paused_since = "paused", at


def resume(clock: SlaClock, at: datetime, bc: BusinessCalendar) -> None:
    """Start a paused clock again; its due time moves by the business time that passed."""
    if clock.state != "paused":
        return
    close_pause(clock, at, bc)
    clock.state = "running"
    schedule(clock, bc)


def meet(clock: SlaClock, at: datetime, bc: BusinessCalendar) -> None:
    """Stop a clock for good: on time, or late (then its breach is recorded)."""
    if clock.state == "met":
        return
    if clock.state == "paused":
        close_pause(clock, at, bc)
        clock.state = "running"
        schedule(clock, bc)
    # Crossings found only now concern a clock that is already done: record, do not alert.
    settle(clock, at, alert=False)
    clock.state, clock.met_at = "met", at


def reopen(clock: SlaClock, at: datetime, bc: BusinessCalendar) -> None:
    """Run a met clock again; the time it stood met counts as a pause."""
    if clock.state != "met" or clock.met_at is None:
        return
    clock.paused_since = clock.met_at
    close_pause(clock, at, bc)
    clock.state, clock.met_at = "running", None
    schedule(clock, bc)


def start(ticket: Ticket, at: datetime | None = None) -> TicketSla:
    """Give a new ticket its SLA from the contract in force at its creation (or none)."""
    sla = sla_for(ticket)
    if sla is None:
        sla = TicketSla(ticket_id=ticket.id, severity=ticket.severity)
        db.session.add(sla)
    _attach(sla, ticket, at or ticket.created_at)
    db.session.flush()
    return sla


def _attach(sla: TicketSla, ticket: Ticket, at: datetime) -> None:
    sla.severity = ticket.severity
    if ticket.customer_id is None:
        sla.state, sla.reason = "none", "no_customer"
        return
    contract = contract_in_force(ticket.customer_id, ticket.created_at)
    target = contract.policy.target(ticket.severity) if contract is not None else None
    if contract is None or target is None:
        sla.state, sla.reason = "none", "no_contract" if contract is None else "no_target"
        return
    sla.state, sla.reason = "active", ""
    sla.contract, sla.policy, sla.calendar = contract, contract.policy, target.calendar
    bc = target.calendar.business()
    for kind in ("first_response", "resolution"):
        clock = SlaClock(ticket_id=ticket.id, kind=kind, cycle=0, state="running",
                         started_at=ticket.created_at, target_seconds=target_seconds(target, kind),
                         warning_percent=contract.policy.warning_percent, pauses=[],
                         paused_seconds=0)
        sla.clocks.append(clock)
        schedule(clock, bc)
    _catch_up(sla, ticket, at, bc)
    refresh_next_due(sla)


def _catch_up(sla: TicketSla, ticket: Ticket, at: datetime, bc: BusinessCalendar) -> None:
    """A ticket that gets its SLA late (a customer set afterwards) starts in its real state."""
    if ticket.first_response_at is not None:
        meet(sla.clock("first_response"), ticket.first_response_at, bc)
    if ticket.status in DONE_STATUSES:
        for clock in sla.clocks:
            meet(clock, ticket.resolved_at or at, bc)
    elif ticket.status in PAUSE_STATUSES:
        for clock in sla.clocks:
            pause(clock, at, bc)


def ticket_changed(ticket: Ticket, changes: dict, at: datetime) -> None:
    """Follow a ticket change: customer, severity, status."""
    sla = sla_for(ticket)
    if sla is None:
        start(ticket, at)
        return
    if "customer" in changes and sla.state == "none":
        _attach(sla, ticket, at)
    if sla.state != "active":
        sla.severity = ticket.severity
        return
    if "severity" in changes:
        recompute(sla, ticket, at)
    if "status" in changes:
        old, new = changes["status"]
        status_changed(sla, ticket, old, new, at)
    refresh_next_due(sla)
    db.session.flush()


def status_changed(sla: TicketSla, ticket: Ticket, old: str, new: str, at: datetime) -> None:
    """Resolved meets every clock, reopening resumes, waiting on the customer pauses."""
    bc = calendar_of(sla)
    if new in DONE_STATUSES:
        for clock in sla.clocks:  # a resolution also answers a pending first response
            meet(clock, ticket.resolved_at or at, bc)
        return
    if old in DONE_STATUSES:
        for clock in sla.clocks:
            if clock.kind != "first_response":
                reopen(clock, at, bc)
    if new in PAUSE_STATUSES:
        for clock in sla.clocks:
            pause(clock, at, bc)
    else:
        for clock in sla.clocks:
            resume(clock, at, bc)


def recompute(sla: TicketSla, ticket: Ticket, at: datetime) -> None:
    """A new severity: targets of that severity, counted again from creation minus pauses."""
    target = sla.policy.target(ticket.severity) if sla.policy is not None else None
    sla.severity = ticket.severity
    if target is None:
        return
    changed_calendar = sla.calendar_id != target.calendar_id
    sla.calendar = target.calendar
    bc = target.calendar.business()
    for clock in list(sla.clocks):
        if clock.state == "met":
            continue
        seconds = target_seconds(target, clock.kind)
        if seconds is None:  # the new severity has no update interval
            sla.clocks.remove(clock)
            continue
        clock.target_seconds = seconds
        if changed_calendar:
            remeasure_pauses(clock, bc)
        schedule(clock, bc)
        settle(clock, at)
    if target.update_minutes and sla.clock("update") is None and ticket.first_response_at:
        restart_update(sla, ticket, at, target)


def public_reply(ticket: Ticket, at: datetime) -> None:
    """A public staff reply: meets the first response and starts the next update interval."""
    sla = sla_for(ticket)
    if sla is None:
        sla = start(ticket, at)
    if sla.state != "active":
        return
    bc = calendar_of(sla)
    first = sla.clock("first_response")
    if first is not None and first.state != "met":
        meet(first, ticket.first_response_at or at, bc)
    target = sla.policy.target(sla.severity) if sla.policy is not None else None
    if target is not None and target.update_minutes and ticket.status not in DONE_STATUSES:
        restart_update(sla, ticket, at, target)
    refresh_next_due(sla)
    db.session.flush()


def restart_update(sla: TicketSla, ticket: Ticket, at: datetime, target: PolicyTarget) -> None:
    """Begin a new update interval at `at` (the previous one is met, or late)."""
    bc = calendar_of(sla)
    clock = sla.clock("update")
    if clock is None:
        clock = SlaClock(ticket_id=ticket.id, kind="update", cycle=0)
        sla.clocks.append(clock)
    elif clock.state != "met":
        meet(clock, at, bc)
    clock.cycle = (clock.cycle or 0) + 1
    clock.started_at, clock.target_seconds = at, target_seconds(target, "update")
    clock.warning_percent = sla.policy.warning_percent
    clock.pauses, clock.paused_since, clock.paused_seconds = [], None, 0
    clock.met_at = clock.warned_at = clock.breached_at = None
    clock.state = "running"
    schedule(clock, bc)
    if ticket.status in PAUSE_STATUSES:
        clock.state, clock.paused_since = "paused", at
