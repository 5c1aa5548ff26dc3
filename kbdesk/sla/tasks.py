"""The SLA timer: every minute, record warnings and breaches the clocks have crossed."""

from __future__ import annotations

from huey import crontab

from kbdesk.sla import clock, timers
from kbdesk.tasks import app_periodic_task


@app_periodic_task(crontab(minute="*"))
def check_sla_clocks() -> int:
    """Record each crossed threshold once (running it twice, or late, records nothing twice)."""
    return len(timers.check_due(clock.now()))
