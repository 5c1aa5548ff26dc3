"""Similar tickets, articles and config notes for a ticket: a thin adapter over matching.

`kbdesk.matching.service.match_ticket(actor, ticket)` does the work when it exists; this
module only normalises its answer, re-checks what the actor may read (defence in depth) and
flags near-duplicates of open tickets.
"""

from __future__ import annotations

import logging

from rapidfuzz import fuzz
from sqlalchemy import select

from kbdesk.accounts.models import User
from kbdesk.extensions import db
from kbdesk.tickets.models import OPEN_STATUSES, Ticket
from kbdesk.tickets.services import visible_tickets

log = logging.getLogger(__name__)
GROUPS = ("tickets", "articles", "notes")
# Title similarity (0-100) above which an open ticket of the same customer is flagged.
DUPLICATE_TITLE_RATIO = 88


def empty() -> dict:
    """No matches."""
    return {g: [] for g in GROUPS}


def _matcher():
    try:
        from kbdesk.matching.service import match_ticket
    except ImportError:
        return None
    return match_ticket


def similar_for(actor: User, ticket: Ticket) -> dict:
    """{tickets, articles, notes}: lists of {id, kind, title, url, score, reasons, status, ...}."""
    match_ticket = _matcher()
    if match_ticket is None:
        return empty()
    try:
        raw = match_ticket(actor, ticket) or {}
    except Exception:  # a failing matcher must not take the ticket page or creation down
        log.exception("matching failed for ticket %s", ticket.id)
        return empty()
    out = empty()
    for group in GROUPS:
        out[group] = [dict(item) for item in (raw.get(group) or []) if isinstance(item, dict)]
    out["tickets"] = _readable_tickets(actor, ticket, out["tickets"])
    out["articles"] = _readable_articles(actor, out["articles"])
    out["notes"] = _readable_articles(actor, out["notes"])
    return out


def _readable_tickets(actor: User, ticket: Ticket, items: list[dict]) -> list[dict]:
    ids = [int(i["id"]) for i in items if str(i.get("id", "")).isdigit()]
    if not ids:
        return []
    rows = {t.id: t for t in db.session.scalars(
        visible_tickets(actor).where(Ticket.id.in_(ids), Ticket.id != ticket.id))}
    out = []
    for item in items:
        other = rows.get(int(item["id"])) if str(item.get("id", "")).isdigit() else None
        if other is None:
            continue
        item.setdefault("kind", "ticket")
        item.setdefault("title", f"{other.number} {other.subject}")
        item.setdefault("number", other.number)
        item["status"] = other.status
        item.setdefault("severity", other.severity)
        item.setdefault("reasons", [])
        if "possible_duplicate" not in item:
            item["possible_duplicate"] = is_possible_duplicate(ticket, other)
        item["mergeable"] = (other.customer_id == ticket.customer_id and other.merged_into_id is None
                             and ticket.merged_into_id is None)
        out.append(item)
    return out


def _readable_articles(actor: User, items: list[dict]) -> list[dict]:
    if actor.is_staff or not items:
        return items
    try:
        from kbdesk.kb.models import Article
        from kbdesk.kb.services import can_read
    except ImportError:  # no knowledge base: nothing a customer may be shown
        return []
    ids = [int(i["id"]) for i in items if str(i.get("id", "")).isdigit()]
    rows = {a.id: a for a in db.session.scalars(select(Article).where(Article.id.in_(ids)))}
    return [i for i in items if str(i.get("id", "")).isdigit()
            and (a := rows.get(int(i["id"]))) is not None and can_read(actor, a)]


def is_possible_duplicate(ticket: Ticket, other: Ticket) -> bool:
    """An open ticket of the same customer with a near-identical subject."""
    if other.status not in OPEN_STATUSES or other.customer_id != ticket.customer_id:
        return False
    return fuzz.token_set_ratio(ticket.subject.lower(), other.subject.lower()) >= \
        DUPLICATE_TITLE_RATIO


def severities_of(similar: dict) -> list[tuple[str, float]]:
    """(severity, score) of the similar tickets, best first, for the severity suggestion."""
    return [(i.get("severity"), float(i.get("score") or 0.0)) for i in similar.get("tickets", [])
            if i.get("severity")]
