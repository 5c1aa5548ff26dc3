"""Shared helpers for the feedback tests: articles, tickets, bearer headers."""

from __future__ import annotations

from sqlalchemy import func, select

from kbdesk.extensions import db
from kbdesk.kb.models import Article
from kbdesk.tickets import services as tickets

_n = [0]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def article(title: str, *, visibility: str = "public", status: str = "published",
            customer=None, kind: str = "article", body: str = "Restart the pool.") -> Article:
    _n[0] += 1
    row = Article(title=title, slug=f"fb-article-{_n[0]}", body=body, visibility=visibility,
                  status=status, kind=kind, customer_id=customer.id if customer else None,
                  language="en")
    db.session.add(row)
    db.session.commit()
    return row


def ticket(user, subject: str = "Export fails"):
    t = tickets.open_ticket(user, {"subject": subject, "description": "It breaks."},
                            channel="portal")
    db.session.commit()
    return t


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0
