"""Slots: when each monitor is due, and claiming every slot exactly once across workers.

A claim is a compare-and-set on Monitor.next_due_at: of several dispatchers that saw the same
due time, only the one whose UPDATE still matches it wins the slot.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select, update

from kbdesk.extensions import db
from kbdesk.monitor.models import Monitor

# The dispatcher runs every minute; claiming 90 s ahead leaves no gap if it runs late.
HORIZON = timedelta(seconds=90)
BATCH_SIZE = 50


def first_due(now: datetime, interval_s: int) -> datetime:
    """A new monitor's first slot: soon, on a whole second, spread so monitors do not bunch."""
    spread = max(1, min(interval_s, 60))
    return now.replace(microsecond=0) + timedelta(seconds=1 + random.randrange(spread))


def slots_between(due: datetime, interval_s: int, now: datetime,
                  horizon: timedelta = HORIZON) -> tuple[list[datetime], datetime]:
    """The slots to claim from `due` up to now + horizon, and the next due time after them.

    Slots missed while no worker ran are skipped (one probe now, not a backlog), keeping the
    monitor's phase.
    """
    step = timedelta(seconds=interval_s)
    if due < now - step:
        due += step * ((now - due) // step)
    slots = []
    while due <= now + horizon:
        slots.append(due)
        due += step
    return slots, due


def claim_due(now: datetime, *, horizon: timedelta = HORIZON,
              limit: int = 20_000) -> list[tuple[int, datetime]]:
    """Claim every due slot of every enabled monitor; returns (monitor id, slot) pairs."""
    rows = db.session.execute(
        select(Monitor.id, Monitor.next_due_at, Monitor.interval_s)
        .where(Monitor.enabled.is_(True), Monitor.next_due_at <= now + horizon)
        .order_by(Monitor.next_due_at).limit(limit)).all()
    claimed: list[tuple[int, datetime]] = []
    for monitor_id, due, interval_s in rows:
        slots, next_due = slots_between(due, interval_s, now, horizon)
        if not slots:
            continue
        won = db.session.execute(
            update(Monitor).where(Monitor.id == monitor_id, Monitor.next_due_at == due)
            .values(next_due_at=next_due, updated_at=Monitor.updated_at)
            .execution_options(synchronize_session=False)).rowcount
        if won:
            claimed.extend((monitor_id, slot) for slot in slots)
    return claimed


def batches(claimed: list[tuple[int, datetime]],
            size: int = BATCH_SIZE) -> list[tuple[datetime, list[tuple[int, datetime]]]]:
    """Claimed slots grouped by due time (one task each), at most `size` probes a task."""
    by_slot: dict[datetime, list[tuple[int, datetime]]] = defaultdict(list)
    for monitor_id, slot in claimed:
        by_slot[slot].append((monitor_id, slot))
    out = []
    for slot in sorted(by_slot):
        pairs = by_slot[slot]
        out.extend((slot, pairs[i:i + size]) for i in range(0, len(pairs), size))
    return out


def encode(pairs: list[tuple[int, datetime]]) -> list[list]:
    """Task arguments: ids and ISO times, never ORM objects."""
    return [[monitor_id, slot.isoformat()] for monitor_id, slot in pairs]


def decode(pairs: list[list]) -> list[tuple[int, datetime]]:
    """The inverse of encode."""
    return [(int(monitor_id), datetime.fromisoformat(slot)) for monitor_id, slot in pairs]
