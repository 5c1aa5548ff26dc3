"""Problem proposals from matching: ≥3 similar tickets within 30 days, one application or
several customers.

How clusters are built: every ticket of the last 30 days is matched (kbdesk.matching.core)
against the other tickets of the same 30 days. Two tickets are similar when one contains at
least COVER_MIN of the other's weighted key terms (the matcher's "cover" feature: it does not
depend on how many documents the index holds, unlike the relative BM25 score). Similar pairs
join into connected components (union-find); chaining is kept in check by the strict
threshold and the 30-day window. A component becomes a proposal when at least MIN_TICKETS of
its tickets are not linked to any problem yet, fall within WINDOW_DAYS of each other, and
share one application (≥ MIN_TICKETS of them) or come from ≥ 2 customers. When at least half
of a component already belongs to one problem, the new tickets join that problem instead
(or nothing happens if it was rejected, closed or fixed: rejected stays rejected).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from whoosh import query as wq

from kbdesk.accounts.models import User
from kbdesk.db_types import utcnow
from kbdesk.extensions import db
from kbdesk.matching.core import candidates
from kbdesk.matching.service import query_for
from kbdesk.problems.models import ACTIVE_STATUSES, Problem, ProblemTicket
from kbdesk.problems.services import attach, record
from kbdesk.search.indexing import get_engine
from kbdesk.tickets.models import Ticket

log = logging.getLogger("kbdesk.problems")
WINDOW_DAYS = 30
MIN_TICKETS = 3
COVER_MIN = 0.5


def recent_tickets(now: datetime, days: int = WINDOW_DAYS) -> list[Ticket]:
    """Tickets opened in the last `days` days (merged ones are counted in their target)."""
    return list(db.session.scalars(select(Ticket).where(
        Ticket.created_at >= now - timedelta(days=days), Ticket.created_at <= now,
        Ticket.merged_into_id.is_(None)).order_by(Ticket.created_at, Ticket.id)))


def similar_pairs(found: list[Ticket]) -> list[tuple[int, int]]:
    """(ticket id, ticket id) pairs the matcher finds similar, among the given tickets only."""
    engine = get_engine()
    if len(found) < 2 or engine.check() is not None:
        return []
    ids = {t.id for t in found}
    allowed = wq.Or([wq.Term("docid", f"ticket:{i}") for i in sorted(ids)])
    pairs = []
    with engine.searching() as searcher:
        for ticket in found:
            for c in candidates(searcher, query_for(ticket), allowed=allowed, kinds=("ticket",),
                                exclude_docids=(f"ticket:{ticket.id}",)):
                other = int(c.fields.get("obj_id") or 0)
                if other in ids and other != ticket.id and c.features["cover"] >= COVER_MIN:
                    pairs.append((ticket.id, other))
    return pairs


def clusters(found: list[Ticket], pairs: list[tuple[int, int]]) -> list[list[Ticket]]:
    """Connected components of the similarity pairs with ≥ MIN_TICKETS tickets, oldest first."""
    parent = {t.id: t.id for t in found}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups: dict[int, list[Ticket]] = {}
    for t in found:
        groups.setdefault(root(t.id), []).append(t)
    return [g for g in groups.values() if len(g) >= MIN_TICKETS]


def qualifies(group: list[Ticket], days: int = WINDOW_DAYS) -> bool:
    """≥3 tickets within `days` of each other, for one application or from ≥2 customers."""
    if len(group) < MIN_TICKETS:
        return False
    times = sorted(t.created_at for t in group)
    if times[-1] - times[0] > timedelta(days=days):
        return False
    apps = Counter(t.application_id for t in group if t.application_id)
    customers = {t.customer_id for t in group if t.customer_id}
    return (bool(apps) and apps.most_common(1)[0][1] >= MIN_TICKETS) or len(customers) >= 2


def title_for(group: list[Ticket]) -> str:
    """The proposal's title: the earliest ticket's subject."""
    return min(group, key=lambda t: (t.created_at, t.id)).subject[:300]


def _settle(actor: User | None, group: list[Ticket]) -> Problem | None:
    """Extend the problem holding half the group, or propose a new one; None if neither."""
    ids = [t.id for t in group]
    links = db.session.execute(select(ProblemTicket.ticket_id, ProblemTicket.problem_id)
                               .where(ProblemTicket.ticket_id.in_(ids))).all()
    linked = {tid for tid, _ in links}
    free = [t for t in group if t.id not in linked]
    held = Counter(pid for _, pid in links)
    if held:
        pid, n = held.most_common(1)[0]
        if 2 * n >= len(group):
            problem = db.session.get(Problem, pid)
            if problem.status not in ACTIVE_STATUSES or not free:
                return None
            for ticket in free:
                attach(actor, problem, ticket)
            return problem
    if not qualifies(free):
        return None
    apps = {t.application_id for t in free}
    problem = Problem(title=title_for(free), status="proposed", created_by=actor,
                      application_id=apps.pop() if len(apps) == 1 else None)
    db.session.add(problem)
    record(problem, actor, "proposed", tickets=[t.number for t in free])
    for ticket in free:
        attach(actor, problem, ticket)
    return problem


def propose(actor: User | None = None, now: datetime | None = None) -> list[Problem]:
    """Create or extend proposals from the last 30 days' tickets; running twice adds nothing."""
    found = recent_tickets(now or utcnow())
    touched = []
    for group in clusters(found, similar_pairs(found)):
        problem = _settle(actor, group)
        if problem is not None:
            touched.append(problem)
    db.session.flush()
    log.info("problem proposals: %d created or extended", len(touched))
    return touched


def proposed_count() -> int:
    """How many proposals wait for a decision (for the nav badge)."""
    from sqlalchemy import func

    return db.session.scalar(select(func.count(Problem.id)).where(
        Problem.status == "proposed")) or 0
