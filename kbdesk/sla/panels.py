"""What the dashboard and queues show: open tickets at risk of a breach, and breached ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from kbdesk.extensions import db
from kbdesk.sla.models import SlaClock, TicketSla
from kbdesk.tickets.models import OPEN_STATUSES, Ticket


def at_risk(now: datetime, limit: int = 25) -> dict[str, list[dict]]:
    """Open tickets whose clock crossed the warning threshold, and those past a due time.

    One entry per ticket (its most urgent clock); escalated tickets first, then by due time.
    """
    stmt = (select(SlaClock, Ticket, TicketSla)
            .join(Ticket, Ticket.id == SlaClock.ticket_id)
            .join(TicketSla, TicketSla.id == SlaClock.sla_id)
            .where(Ticket.status.in_(OPEN_STATUSES), SlaClock.state.in_(("running", "paused")),
                   (SlaClock.warn_at <= now) | SlaClock.breached_at.is_not(None))
            .order_by(TicketSla.escalated.desc(), SlaClock.due_at, SlaClock.id))
    seen: set[int] = set()
    out: dict[str, list[dict]] = {"at_risk": [], "breached": []}
    rows = db.session.execute(stmt).all()
    # Breached clocks first, so a ticket with a breach is listed as breached.
    rows.sort(key=lambda r: not (r[0].breached_at is not None
                                 or (r[0].state == "running" and r[0].due_at < now)))
    for clock, ticket, sla in rows:
        if ticket.id in seen:
            continue
        breached = clock.breached_at is not None or (clock.state == "running"
                                                     and clock.due_at < now)
        if not breached and clock.state != "running":
            continue  # a paused clock is not at risk while it stands still
        bucket = out["breached" if breached else "at_risk"]
        if len(bucket) >= limit:
            continue
        seen.add(ticket.id)
        bucket.append({"ticket": ticket, "clock": clock, "escalated": sla.escalated,
                       "breached": breached})
    for bucket in out.values():
        bucket.sort(key=lambda i: (not i["escalated"], i["clock"].due_at))
    return out
