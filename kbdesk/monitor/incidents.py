"""Incidents: a confirmed outage opens (or carries on) one ticket; recovery annotates it.

Everything goes through the ticket services, so SLA, matching and history apply as for any
ticket. One open outage per monitor is enforced by the database (Outage.open_key), and a
monitor that goes down again while its incident is still open — or was resolved only a little
while ago — carries on in that same ticket: flapping never opens a second one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from kbdesk.errors import ServiceError
from kbdesk.extensions import db
from kbdesk.monitor import linking, notices, notify
from kbdesk.monitor.models import Monitor, Outage, ProbeResult
from kbdesk.tickets.models import OPEN_STATUSES, Ticket
from kbdesk.tickets.services import add_message, apply_changes, open_ticket, record

log = logging.getLogger("kbdesk.monitor.incidents")
LABEL = "monitor"


def open_outage(monitor_id: int) -> Outage | None:
    """The monitor's open outage, if any."""
    return db.session.scalar(select(Outage).where(Outage.open_key == monitor_id))


def _reopen_window() -> timedelta:
    return timedelta(minutes=current_app.config.get("MONITOR_REOPEN_MINUTES", 60))


def _carry_on_ticket(monitor: Monitor, now: datetime) -> Ticket | None:
    """The incident ticket a new outage continues: still open, or resolved a moment ago."""
    last = db.session.scalar(select(Outage).where(
        Outage.monitor_id == monitor.id, Outage.ticket_id.is_not(None))
        .order_by(Outage.started_at.desc(), Outage.id.desc()).limit(1))
    ticket = last.ticket if last is not None else None
    if ticket is None or ticket.merged_into_id is not None:
        return None
    if ticket.status in OPEN_STATUSES:
        return ticket
    if ticket.status == "resolved" and ticket.resolved_at and \
            now - ticket.resolved_at <= _reopen_window():
        return ticket
    return None


def _context(monitor: Monitor, outage: Outage) -> dict:
    return {"monitor_name": monitor.name, "app_name": monitor.application.name,
            "target": monitor.target, "layer": outage.layer, "detail": outage.detail,
            "started": outage.started_at, "confirmed": outage.confirmed_at,
            "ended": outage.ended_at, "downtime_s": outage.downtime_s,
            "failures": monitor.failures_before_down, "auto_resolve": monitor.auto_resolve}


def _customer_text(monitor: Monitor, name: str, outage: Outage, **extra) -> tuple[str, str]:
    """A notice in the customer's own language, for the ticket itself."""
    customer = monitor.customer
    language = notices.lang(customer.language)
    ctx = _context(monitor, outage) | extra
    for key in ("started", "confirmed", "ended"):
        ctx[key] = notices.when(ctx[key], customer.timezone, language)
    ctx["downtime"] = notices.duration(ctx["downtime_s"], language)
    ctx["kind_text"] = notices.KIND_TEXT[language].get(monitor.kind, monitor.kind)
    return notices.render(name, language, **ctx)


def confirmed_down(monitor: Monitor, result: ProbeResult, now: datetime) -> Outage:
    """Open the outage and its incident (or carry on the recent one) and tell the customer."""
    existing = open_outage(monitor.id)
    if existing is not None:
        return existing
    outage = Outage(monitor=monitor, started_at=monitor.fail_since or result.slot_at,
                    confirmed_at=result.slot_at, layer=result.layer, detail=result.detail,
                    open_key=monitor.id)
    db.session.add(outage)
    db.session.flush()
    ticket = _carry_on_ticket(monitor, now)
    again = ticket is not None
    if ticket is None:
        subject, description = _customer_text(monitor, "ticket", outage)
        try:
            ticket = open_ticket(None, {
                "customer": monitor.customer, "application": monitor.application,
                "subject": subject, "description": description, "severity": monitor.severity},
                channel="monitor", label=LABEL, now=now)
        except ServiceError as exc:  # the outage is still recorded and shown
            log.error("monitor %s: could not open the incident: %s %s", monitor.id,
                      exc.message, exc.fields)
            return outage
    elif not ticket.is_open:
        apply_changes(ticket, None, {"status": (ticket.status, "open")}, now=now, label=LABEL)
    outage.ticket = ticket
    record(ticket, None, "monitor_down", public=True, label=LABEL, at=now, monitor_id=monitor.id,
           outage_id=outage.id, layer=outage.layer, detail=outage.detail, again=again,
           started_at=outage.started_at.isoformat())
    if again:
        _subject, body = _customer_text(monitor, "down", outage, again=True,
                                        ticket_number=ticket.number)
        add_message(None, ticket, body, automatic=True, via=LABEL, now=now)
    notify.tell_contacts(ticket, "down", now=now, again=again, **_context(monitor, outage))
    linking.link_recent(ticket, monitor, since=outage.started_at, now=now)
    db.session.flush()
    return outage


def recovered(monitor: Monitor, result: ProbeResult, now: datetime) -> Outage | None:
    """End the open outage: a timeline entry with the downtime, the customer told, resolve."""
    outage = open_outage(monitor.id)
    if outage is None:
        return None
    outage.ended_at = result.slot_at
    outage.open_key = None
    db.session.flush()
    ticket = outage.ticket
    if ticket is None:
        return outage
    record(ticket, None, "monitor_recovered", public=True, label=LABEL, at=now,
           monitor_id=monitor.id, outage_id=outage.id, downtime_s=outage.downtime_s,
           started_at=outage.started_at.isoformat(), ended_at=outage.ended_at.isoformat())
    _subject, body = _customer_text(monitor, "recovered", outage, ticket_number=ticket.number)
    add_message(None, ticket, body, automatic=True, via=LABEL, now=now)
    notify.tell_contacts(ticket, "recovered", now=now, **_context(monitor, outage))
    if monitor.auto_resolve and ticket.is_open:
        apply_changes(ticket, None, {"status": (ticket.status, "resolved")}, now=now, label=LABEL)
    db.session.flush()
    return outage


def end_silently(monitor: Monitor, now: datetime, reason: str) -> None:
    """Close an open outage without a recovery (monitor paused or retargeted)."""
    outage = open_outage(monitor.id)
    if outage is None:
        return
    outage.ended_at = now
    outage.open_key = None
    if outage.ticket is not None:
        record(outage.ticket, None, "monitor_stopped", label=LABEL, at=now,
               monitor_id=monitor.id, outage_id=outage.id, reason=reason)
    db.session.flush()
