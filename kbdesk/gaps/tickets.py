"""Tickets whose matching found no article: checked by a task once the new ticket is committed.

Matching a ticket against the articles is a read of the index, but it need not slow down
the request that opens the ticket, nor fail it: the signal handler only queues the check.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from types import SimpleNamespace

from sqlalchemy import select

from kbdesk.extensions import db
from kbdesk.gaps.models import TicketGap
from kbdesk.gaps.services import savepoint
from kbdesk.tasks import after_commit, app_task
from kbdesk.tickets.models import Ticket
from kbdesk.tickets.signals import ticket_opened

log = logging.getLogger("kbdesk.gaps")
# Monitor incidents are outages, not questions an article would answer.
SKIP_CHANNELS = ("monitor",)
# Matching as staff see it: every published article for the ticket's customer.
STAFF_VIEW = SimpleNamespace(id=None, is_staff=True, customer_id=None, role="specialist")
KEY_TERMS = 5
TITLE_WEIGHT = 3


def articles_for(ticket: Ticket) -> list[dict] | None:
    """The staff view's matching articles, or None when the index cannot answer now."""
    from kbdesk.matching.service import match_ticket
    from kbdesk.search.indexing import get_engine

    if get_engine().check() is not None:
        return None
    return match_ticket(STAFF_VIEW, ticket, limits={"tickets": 0, "articles": 1, "notes": 0}
                        )["articles"]


def key_terms_of(ticket: Ticket) -> str:
    """The ticket's few most telling index terms, space-separated, for clustering.

    tf-idf like matching's key terms, except that a term no indexed document has yet counts
    as the rarest of all instead of being dropped: a gap ticket's words are often new ones.
    """
    from kbdesk.search.analysis import terms
    from kbdesk.search.indexing import get_engine

    tf: Counter[str] = Counter(terms(ticket.description or ""))
    for term in terms(ticket.subject):
        tf[term] += TITLE_WEIGHT
    with get_engine().searching() as searcher:
        n = max(searcher.doc_count_all(), 1)
        weight = {t: c * math.log(1.0 + n / (1.0 + searcher.doc_frequency("body", t)))
                  for t, c in tf.items() if len(t) > 1}
    ranked = sorted(weight, key=lambda t: (-weight[t], t))
    return " ".join(ranked[:KEY_TERMS])[:200]


def record_ticket_gap(ticket: Ticket) -> TicketGap | None:
    """Record the ticket as a gap when matching finds no article for it (idempotent)."""
    if ticket.channel in SKIP_CHANNELS:
        return None
    found = articles_for(ticket)
    if found is None or found:
        return None
    gap = db.session.scalar(select(TicketGap).where(TicketGap.ticket_id == ticket.id))
    if gap is None:
        gap = TicketGap(ticket_id=ticket.id, best_article_score=None, terms=key_terms_of(ticket))
        db.session.add(gap)
        db.session.flush()
    return gap


@ticket_opened.connect
def on_ticket_opened(ticket: Ticket, actor=None, **_kw) -> None:
    """After open_ticket flushed the ticket: check it for a gap once it is committed."""
    if ticket.channel not in SKIP_CHANNELS:
        after_commit(check_ticket_gap, ticket.id)


@app_task()
def check_ticket_gap(ticket_id: int) -> bool:
    """Record the ticket as a gap if no article matches it; True when it is one."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        return False
    try:
        with savepoint():
            return record_ticket_gap(ticket) is not None
    except Exception:  # a gap record is a hint; the task must not retry forever over it
        log.exception("could not record the knowledge gap of ticket %s", ticket_id)
        return False
