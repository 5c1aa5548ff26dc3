"""Work queues (mine, my teams', unassigned, by customer, by severity) and dashboard figures."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from kbdesk.accounts.models import TeamMember, User
from kbdesk.extensions import db
from kbdesk.tickets.models import OPEN_STATUSES, SEVERITIES, STATUSES, Ticket
from kbdesk.tickets.services import list_tickets, visible_tickets
from kbdesk.tickets.timeline import N_


@dataclass(frozen=True)
class Queue:
    """A named, preset view of tickets; filters from the page narrow it further."""

    key: str
    label: str
    default_order: str


QUEUES = (
    # Work queues put the nearest SLA due time first (escalated tickets before all).
    Queue("mine", N_("Mine"), "due"),
    Queue("team", N_("My teams"), "due"),
    Queue("unassigned", N_("Unassigned"), "due"),
    Queue("open", N_("All open"), "due"),
    Queue("customer", N_("By customer"), "customer"),
    Queue("severity", N_("By severity"), "severity"),
    Queue("all", N_("All"), "-created"),
)
QUEUE_KEYS = tuple(q.key for q in QUEUES)
ORDERS = ("due", "-created", "created", "-updated", "updated", "severity", "-severity", "number",
          "-number", "customer", "-customer")
FILTER_KEYS = ("status", "severity", "customer", "assignee", "q")


def team_ids(user: User) -> list[int]:
    """The teams a user belongs to."""
    return list(db.session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user.id)))


def queue_filters(actor: User, key: str, args: dict) -> dict:
    """list_tickets filters for a queue plus the page's own filters (which win)."""
    filters: dict = {"status": "open_any"}
    if key == "mine":
        filters["assignee"] = str(actor.id)
    elif key == "team":
        filters["teams"] = team_ids(actor)
    elif key == "unassigned":
        filters["assignee"] = "none"
    elif key == "all":
        filters.pop("status")
    for name in FILTER_KEYS:
        value = (args.get(name) or "").strip()
        if not value:
            continue
        if name == "status" and value not in STATUSES and value != "open_any":
            continue
        if name == "severity" and value not in SEVERITIES:
            continue
        filters[name] = value
    return filters


def run_queue(actor: User, key: str, args: dict, *, limit: int = 50,
              offset: int = 0) -> tuple[list[Ticket], int, str]:
    """The tickets of a queue page: (tickets, total, order used)."""
    queue = next((q for q in QUEUES if q.key == key), QUEUES[3])
    order = args.get("sort") if args.get("sort") in ORDERS else queue.default_order
    items, total = list_tickets(actor, queue_filters(actor, queue.key, args), limit=limit,
                                offset=offset, order=order)
    return items, total, order


def queue_counts(actor: User) -> dict[str, int]:
    """How many open tickets each personal queue holds (for the tabs)."""
    open_ = visible_tickets(actor).where(Ticket.status.in_(OPEN_STATUSES)).subquery()
    count = select(func.count()).select_from(open_)
    teams = team_ids(actor)
    return {
        "mine": db.session.scalar(count.where(open_.c.assignee_id == actor.id)) or 0,
        "team": (db.session.scalar(count.where(open_.c.team_id.in_(teams))) or 0) if teams else 0,
        "unassigned": db.session.scalar(count.where(open_.c.assignee_id.is_(None))) or 0,
        "open": db.session.scalar(count) or 0,
    }


def dashboard(actor: User, *, size: int = 5) -> dict:
    """Open by severity, unassigned, newest and waiting longest, for the staff dashboard."""
    base = visible_tickets(actor).where(Ticket.status.in_(OPEN_STATUSES))
    sub = base.subquery()
    rows = db.session.execute(select(sub.c.severity, func.count()).group_by(sub.c.severity))
    by_severity = {s: 0 for s in SEVERITIES}
    by_severity.update({sev: n for sev, n in rows if sev in by_severity})
    unassigned_stmt = base.where(Ticket.assignee_id.is_(None))
    unassigned_total = db.session.scalar(
        select(func.count()).select_from(unassigned_stmt.subquery())) or 0
    # Waiting on us: new or open, untouched the longest (waiting on the customer is not ours).
    waiting = base.where(Ticket.status.in_(("new", "open")))
    return {
        "by_severity": by_severity,
        "open_total": sum(by_severity.values()),
        "unassigned_total": unassigned_total,
        "unassigned": list(db.session.scalars(
            unassigned_stmt.order_by(Ticket.created_at.asc(), Ticket.id).limit(size))),
        "newest": list(db.session.scalars(
            base.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(size))),
        "waiting": list(db.session.scalars(
            waiting.order_by(Ticket.updated_at.asc(), Ticket.id).limit(size))),
    }
