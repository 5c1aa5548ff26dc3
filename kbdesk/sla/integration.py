"""How SLA plugs into the app: signal receivers, template helpers and panels, demo data.

Runs once per app when the SLA blueprint is registered, so the web app and the worker (which
builds the same app) both follow the ticket signals.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, g, url_for
from flask_babel import format_date, format_datetime
from flask_login import current_user
from werkzeug.routing import BuildError

from kbdesk.sla import clock, handlers, notify, panels, services
from kbdesk.sla.clocks import CLOCK_LABELS

DASHBOARD_PANEL = "sla/_dashboard_panel.html"
CUSTOMER_PANEL = "sla/_customer_panel.html"


def _unread():
    if not current_user or not current_user.is_authenticated or not current_user.is_staff:
        return [], 0
    return notify.unread(current_user, 8)


def _contracts(customer):
    from kbdesk.sla import contracts

    return contracts.list_contracts(current_user, customer)


def _once(key: str) -> bool:
    """True the first time per request: a panel both listed and included shows once."""
    shown = g.setdefault("sla_shown", set())
    if key in shown:
        return False
    shown.add(key)
    return True


def _ticket_url(ticket) -> str:
    try:
        return url_for("tickets.detail", number=ticket.number)
    except BuildError:
        return "#"


def _datetime(value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value, "short")


def _date(value) -> str:
    return format_date(value, "medium") if isinstance(value, date) else "—"


def init_app(app: Flask) -> None:
    """Connect the signals and give templates the SLA helpers and panels."""
    handlers.connect()
    env = app.jinja_env
    env.globals.update(
        sla_countdown=lambda ticket: services.countdown(ticket),
        sla_json=lambda ticket: services.sla_json(ticket),
        sla_at_risk=lambda: panels.at_risk(clock.now(), limit=10),
        sla_unread=_unread,
        sla_contracts=_contracts,
        sla_duration=services.format_seconds,
        sla_once=_once,
        sla_ticket_url=_ticket_url,
        sla_clock_label=lambda kind: str(CLOCK_LABELS.get(kind, kind)),
    )
    env.filters.update(sla_datetime=_datetime, sla_date=_date)
    # Shared lists the dashboard and customer page loop over when no context variable of the
    # same name hides them; the panels guard themselves against showing twice.
    for name, template in (("dashboard_panels", DASHBOARD_PANEL),
                           ("customer_panels", CUSTOMER_PANEL)):
        items = env.globals.setdefault(name, [])
        if template not in items:
            items.append(template)
    from kbdesk.demo import DEMO_HOOKS
    from kbdesk.sla.demo import load_demo

    if load_demo not in DEMO_HOOKS:
        DEMO_HOOKS.append(load_demo)
