"""SLA fixtures: a movable clock, calendars, a policy and a contract for customer alfa."""

from __future__ import annotations

from datetime import datetime

import pytest

from kbdesk.sla import contracts
from kbdesk.sla.calendar import PRAGUE
from kbdesk.sla.clock import FrozenClock
from kbdesk.tickets import services as tickets


def local(*args) -> datetime:
    """An aware Prague wall-clock time: local(2026, 4, 2, 16, 30)."""
    return datetime(*args, tzinfo=PRAGUE)


@pytest.fixture
def clock(app):
    """The SLA clock, frozen at a Prague time tests move forward."""
    frozen = FrozenClock(local(2026, 4, 1, 9, 0))
    app.config["SLA_CLOCK"] = frozen
    yield frozen
    app.config.pop("SLA_CLOCK", None)


def targets(calendar: str, critical=("4h", "16h", None), other=("8h", "40h", None)) -> dict:
    out = {}
    for sev in ("critical", "high", "normal", "low"):
        fr, res, upd = critical if sev == "critical" else other
        out[sev] = {"first_response": fr, "resolution": res, "update": upd, "calendar": calendar}
    return out


@pytest.fixture
def sla(db, users):
    """Business hours Mon-Fri 08:00-17:00 in Prague, a 24/7 calendar, policies and contracts.

    alfa: 'Business' policy (critical: 4 h first response, 16 h resolution) from 2026-01-01.
    beta: no contract.
    """
    admin = users["admin"]
    office = contracts.save_calendar(admin, {"name": "Office", "kind": "business",
                                             "hours": "Mon-Fri 08:00-17:00"})
    always = contracts.save_calendar(admin, {"name": "Always", "kind": "24x7"})
    business = contracts.save_policy(admin, {"name": "Business", "targets": targets("Office")})
    nonstop = contracts.save_policy(admin, {"name": "Nonstop", "targets": targets("Always")})
    contract = contracts.save_contract(admin, users["alfa"], {
        "name": "Alfa 2026", "policy": "Business", "valid_from": "2026-01-01"})
    db.session.commit()
    return {"office": office, "always": always, "business": business, "nonstop": nonstop,
            "contract": contract, **users}


def open_at(actor, customer, at: datetime, severity: str = "critical", channel: str = "web",
            **extra):
    """Open a ticket at a given time through the real ticket service."""
    data = {"subject": "Objednávky nejdou odeslat", "customer": customer.slug,
            "severity": severity, **extra}
    return tickets.open_ticket(actor, data, channel=channel, now=at)


def change(actor, ticket, at: datetime, **data):
    """Change a ticket at a given time through the real ticket service."""
    return tickets.update_ticket(actor, ticket.id, data, now=at)


def reply(actor, ticket, at: datetime, body: str = "Díváme se na to.", **kw):
    """Add a message at a given time through the real ticket service."""
    return tickets.add_message(actor, ticket, body, now=at, **kw)
