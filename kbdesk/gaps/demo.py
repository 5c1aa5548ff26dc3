"""Demo data: a few searches that found nothing, so the gap report has something to rank."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kbdesk.accounts.models import User
from kbdesk.db_types import utcnow
from kbdesk.demo import DEMO_HOOKS
from kbdesk.extensions import db
from kbdesk.gaps.models import SearchLog
from kbdesk.gaps.normalise import normalise

SEARCHES = [  # (scope, query, days ago)
    ("portal", "čtečka čárových kódů pípá", 2), ("portal", "Čtečka čárových kódů pípá!", 9),
    ("portal", "export do Pohody", 4), ("staff", "HL7 ACK timeout", 1),
    ("staff", "hl7 ack timeout", 15), ("portal", "změna hesla bez e-mailu", 20),
]


def load_demo(app, admin) -> None:
    """Idempotent: only when no search was logged yet."""
    if db.session.scalar(select(SearchLog.id).limit(1)):
        return
    customer = db.session.scalar(select(User).where(User.role == "customer").order_by(User.id))
    now = utcnow()
    for scope, query, days in SEARCHES:
        who = customer if scope == "portal" and customer is not None else admin
        db.session.add(SearchLog(scope=scope, query=query, normalised=normalise(query), results=0,
                                 user_id=who.id, customer_id=who.customer_id,
                                 created_at=now - timedelta(days=days)))
    db.session.flush()


load_demo.stage = 2  # after the demo tickets and articles
if load_demo not in DEMO_HOOKS:
    DEMO_HOOKS.append(load_demo)
