"""A customer's status page: each application's state, uptime and recent outages.

Signed-in users of the customer (and staff) see it at /status/<slug>; a public variant, without
internal monitors or ticket numbers, answers only at an unguessable token the admin turns on.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kbdesk.accounts.permissions import require_admin
from kbdesk.customers import services as customers
from kbdesk.customers.models import Customer
from kbdesk.db_types import utcnow
from kbdesk.errors import NotFound
from kbdesk.extensions import db
from kbdesk.monitor.aggregates import uptimes
from kbdesk.monitor.models import Monitor, Outage, StatusPage
from kbdesk.monitor.services import display_state

# Worst first: an application shows the worst state among its monitors.
RANK = {"down": 0, "failing": 1, "maintenance": 2, "up": 3, "unknown": 4, "paused": 5}
HISTORY = timedelta(days=30)


def page_for(customer: Customer) -> StatusPage | None:
    """The customer's public status page row, if one was ever made."""
    return db.session.scalar(select(StatusPage).where(StatusPage.customer_id == customer.id))


def set_public(actor, slug: str, enabled: bool) -> StatusPage:
    """Turn the public link on (a new token each time) or off (administrators)."""
    customer = customers.get_customer(actor, slug)
    require_admin(actor)
    page = page_for(customer)
    if page is None:
        page = StatusPage(customer=customer)
        db.session.add(page)
    page.token = secrets.token_urlsafe(24) if enabled else None
    db.session.flush()
    return page


def build(customer: Customer, *, public: bool, now: datetime | None = None) -> dict:
    """Everything the status template shows."""
    now = now or utcnow()
    stmt = select(Monitor).where(Monitor.customer_id == customer.id, Monitor.enabled.is_(True))
    if public:
        stmt = stmt.where(Monitor.internal.is_(False))
    monitors = list(db.session.scalars(stmt.options(
        selectinload(Monitor.windows), selectinload(Monitor.application)).order_by(Monitor.name)))
    ups = uptimes([m.id for m in monitors], now)
    apps: dict[int, dict] = {}
    for m in monitors:
        entry = apps.setdefault(m.application_id, {"application": m.application, "monitors": [],
                                                   "state": "unknown"})
        state = display_state(m, now)
        entry["monitors"].append({"monitor": m, "state": state, "uptime": ups[m.id]})
        if RANK[state] < RANK[entry["state"]]:
            entry["state"] = state
    outages = list(db.session.scalars(
        select(Outage).where(Outage.monitor_id.in_([m.id for m in monitors]),
                             Outage.started_at >= now - HISTORY)
        .order_by(Outage.started_at.desc()).options(selectinload(Outage.ticket)).limit(50)))
    states = [a["state"] for a in apps.values()]
    overall = min(states, key=RANK.get) if states else "unknown"
    return {"customer": customer, "applications": sorted(
        apps.values(), key=lambda a: (RANK[a["state"]], a["application"].name)),
            "outages": outages, "overall": overall, "public": public, "now": now}


def for_slug(actor, slug: str) -> dict:
    """The status page of a customer the actor may see (404 for anyone else's)."""
    return build(customers.get_customer(actor, slug), public=False)


def for_token(token: str) -> dict:
    """The public status page behind a token; NotFound unless it is turned on."""
    if not token or len(token) > 64:
        raise NotFound("No such status page.")
    page = db.session.scalar(select(StatusPage).where(StatusPage.token == token))
    if page is None:
        raise NotFound("No such status page.")
    return build(page.customer, public=True)
