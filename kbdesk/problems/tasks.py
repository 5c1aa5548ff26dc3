"""Periodic task: propose problems from recurring tickets, hourly."""

from __future__ import annotations

from huey import crontab

from kbdesk.problems.proposals import propose
from kbdesk.tasks import app_periodic_task


@app_periodic_task(crontab(minute="17"))
def propose_problems() -> int:
    """Hourly: create or extend problem proposals (idempotent)."""
    return len(propose())
