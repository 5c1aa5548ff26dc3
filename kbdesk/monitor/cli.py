"""`kbdesk monitor …`: list monitors, probe one now, run due probes, compact results."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from kbdesk.db_types import utcnow
from kbdesk.extensions import db
from kbdesk.monitor import demo as _demo  # noqa: F401  (registers the demo hook)

group = AppGroup("monitor", help="Availability monitors.")


@group.command("list")
def list_command():
    """Every monitor with its state."""
    from sqlalchemy import select

    from kbdesk.monitor.models import Monitor

    for m in db.session.scalars(select(Monitor).order_by(Monitor.id)):
        state = m.state if m.enabled else "paused"
        click.echo(f"{m.id:>5}  {state:<8} {m.kind:<4} {m.target}  ({m.name})")


@group.command("check")
@click.argument("monitor_id", type=int)
def check_command(monitor_id):
    """Probe one monitor now and print the outcome (nothing is stored)."""
    from kbdesk.cli import fail
    from kbdesk.monitor.models import Monitor
    from kbdesk.monitor.probes import ProbeSpec, run_probe
    from kbdesk.monitor.runner import allowed_networks

    monitor = db.session.get(Monitor, monitor_id)
    if monitor is None:
        fail(f"No monitor {monitor_id}.")
    out = run_probe(ProbeSpec.from_monitor(monitor, allowed_networks()))
    verdict = "up" if out.ok else f"DOWN at {out.layer}"
    click.echo(f"{verdict}  {out.latency_ms} ms  {out.detail}")
    if not out.ok:
        raise SystemExit(2)


@group.command("run-due")
def run_due_command():
    """Claim the slots due now and probe them here, without a worker."""
    from kbdesk.monitor import runner, scheduler

    claimed = scheduler.claim_due(utcnow(), horizon=timedelta(0))
    results = runner.run_slots(claimed)
    db.session.commit()
    down = sum(1 for r in results if not r.ok)
    click.echo(f"Probed {len(results)} slots, {down} failed.")


@group.command("compact")
def compact_command():
    """Fold raw results past the retention into hourly aggregates."""
    from kbdesk.monitor.aggregates import compact

    folded = compact(utcnow())
    db.session.commit()
    click.echo(f"Folded {folded} results.")
