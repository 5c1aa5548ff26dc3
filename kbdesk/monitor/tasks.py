"""Huey tasks: the dispatcher, the probe batches and the nightly-ish compaction."""

from __future__ import annotations

import logging
from datetime import datetime

from huey import crontab

from kbdesk.db_types import utcnow
from kbdesk.monitor import aggregates, runner, scheduler
from kbdesk.tasks import after_commit, app_periodic_task, app_task

log = logging.getLogger("kbdesk.monitor.tasks")


@app_task()
def run_probes(pairs: list[list]) -> int:
    """Probe claimed slots [[monitor id, ISO slot], ...]; a slot already probed is skipped."""
    return len(runner.run_slots(scheduler.decode(pairs)))


def _enqueue(slot: datetime, pairs: list[list]) -> None:
    if slot <= utcnow():
        run_probes(pairs)
    else:
        run_probes.schedule(args=(pairs,), eta=slot)


def dispatch(now: datetime | None = None) -> int:
    """Claim the slots due soon and enqueue one task per slot time once the claims commit."""
    claimed = scheduler.claim_due(now or utcnow())
    for slot, pairs in scheduler.batches(claimed):
        after_commit(_enqueue, slot, scheduler.encode(pairs))
    return len(claimed)


@app_periodic_task(crontab(minute="*"))
def dispatch_probes() -> int:
    """Every minute: claim what falls due in the next 90 seconds (claims are exclusive)."""
    count = dispatch()
    if count:
        log.debug("claimed %d probe slots", count)
    return count


@app_periodic_task(crontab(minute="17"))
def compact_results() -> int:
    """Every hour: fold raw results past the retention into hourly aggregates."""
    return aggregates.compact(utcnow())
