"""Demo SLA data: two calendars, two policies, a contract for each demo customer (idempotent)."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.customers.models import Customer
from kbdesk.extensions import db
from kbdesk.sla import clock, contracts
from kbdesk.sla.models import Calendar, Contract, Policy

CALENDARS = [
    {"name": "Pracovní doba Praha", "kind": "business", "timezone": "Europe/Prague",
     "hours": "Mon-Fri 08:00-17:00", "czech_holidays": True,
     "holidays": [{"day": "2026-12-31", "name": "Inventura"}]},
    {"name": "Nonstop 24/7", "kind": "24x7", "timezone": "Europe/Prague", "czech_holidays": False},
]

POLICIES = [
    {"name": "Standard", "description": "Pracovní doba, odezva do 4 h u kritických závad.",
     "warning_percent": 80, "escalate_on": "breach", "escalate_to_lead": True,
     "escalate_raise": True, "targets": {
         "critical": {"first_response": "4h", "resolution": "16h", "update": "4h",
                      "calendar": "Pracovní doba Praha"},
         "high": {"first_response": "8h", "resolution": "40h", "calendar": "Pracovní doba Praha"},
         "normal": {"first_response": "16h", "resolution": "80h",
                    "calendar": "Pracovní doba Praha"},
         "low": {"first_response": "40h", "resolution": "200h",
                 "calendar": "Pracovní doba Praha"}}},
    {"name": "Premium 24/7", "description": "Kritické závady nonstop, ostatní v pracovní době.",
     "warning_percent": 75, "escalate_on": "warning", "escalate_to_lead": True,
     "escalate_raise": True, "targets": {
         "critical": {"first_response": "1h", "resolution": "8h", "update": "2h",
                      "calendar": "Nonstop 24/7"},
         "high": {"first_response": "4h", "resolution": "24h", "calendar": "Pracovní doba Praha"},
         "normal": {"first_response": "8h", "resolution": "40h",
                    "calendar": "Pracovní doba Praha"},
         "low": {"first_response": "16h", "resolution": "80h",
                 "calendar": "Pracovní doba Praha"}}},
]

CONTRACTS = [("mestska-nemocnice", "Premium 24/7", "Servisní smlouva 2026"),
             ("dopravni-podnik", "Standard", "Smlouva o podpoře"),
             ("northwind-logistics", "Standard", "Support agreement")]


def load_demo(app, admin) -> None:
    """Calendars, policies and contracts for the demo customers; safe to run again."""
    for spec in CALENDARS:
        if db.session.scalar(select(Calendar).where(Calendar.name == spec["name"])) is None:
            contracts.save_calendar(admin, spec)
    for spec in POLICIES:
        if db.session.scalar(select(Policy).where(Policy.name == spec["name"])) is None:
            contracts.save_policy(admin, spec)
    for slug, policy, name in CONTRACTS:
        customer = db.session.scalar(select(Customer).where(Customer.slug == slug))
        if customer is None or db.session.scalar(
                select(Contract).where(Contract.customer_id == customer.id)) is not None:
            continue
        contracts.save_contract(admin, customer, {"name": name, "policy": policy,
                                                  "valid_from": f"{clock.now().year}-01-01"})
