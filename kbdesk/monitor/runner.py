"""Running claimed slots: probe concurrently, store each result once, feed the state machine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import current_app
from sqlalchemy import select, tuple_
from sqlalchemy.orm import selectinload

from kbdesk.db_types import utcnow
from kbdesk.extensions import db
from kbdesk.monitor.models import Monitor, ProbeResult
from kbdesk.monitor.probes import ProbeSpec, probe_many
from kbdesk.monitor.state import apply_result
from kbdesk.monitor.windows import active_window


def allowed_networks() -> tuple[str, ...]:
    """Networks an administrator allowed for every monitor (setting MONITOR_ALLOWED_NETWORKS)."""
    return tuple(current_app.config.get("MONITOR_ALLOWED_NETWORKS") or ())


def run_slots(pairs: list[tuple[int, datetime]], *,
              clock: Callable[[], datetime] = utcnow) -> list[ProbeResult]:
    """Probe each (monitor id, slot) not probed yet; store results and apply them in order.

    Idempotent: a slot that already has a result is skipped, and (monitor, slot) is unique.
    """
    if not pairs:
        return []
    ids = sorted({monitor_id for monitor_id, _slot in pairs})
    monitors = {m.id: m for m in db.session.scalars(
        select(Monitor).where(Monitor.id.in_(ids))
        .options(selectinload(Monitor.windows), selectinload(Monitor.customer)))}
    done = set(db.session.execute(select(ProbeResult.monitor_id, ProbeResult.slot_at).where(
        tuple_(ProbeResult.monitor_id, ProbeResult.slot_at).in_(pairs))).all())
    todo = [(monitors[mid], slot) for mid, slot in sorted(pairs, key=lambda p: p[1])
            if mid in monitors and monitors[mid].enabled and (mid, slot) not in done]
    if not todo:
        return []
    allowed = allowed_networks()
    specs = [ProbeSpec.from_monitor(m, allowed) for m, _slot in todo]
    fake_now = None if clock is utcnow else clock()
    outcomes = probe_many(specs, now=fake_now,
                          concurrency=current_app.config.get("MONITOR_PROBE_CONCURRENCY", 32))
    stored: list[tuple[Monitor, ProbeResult]] = []
    for (monitor, slot), outcome in zip(todo, outcomes, strict=True):
        if outcome is None:
            continue
        silenced = active_window(monitor.windows, slot, monitor.customer.timezone) is not None
        result = ProbeResult(monitor_id=monitor.id, slot_at=slot,
                             started_at=outcome.started_at or clock(), ok=outcome.ok,
                             latency_ms=outcome.latency_ms, layer=outcome.layer,
                             detail=outcome.detail, status_code=outcome.status_code,
                             silenced=silenced)
        db.session.add(result)
        stored.append((monitor, result))
    db.session.flush()
    # Lock the monitors (PostgreSQL) so two overlapping batches cannot interleave state changes.
    db.session.execute(select(Monitor.id).where(Monitor.id.in_({m.id for m, _r in stored}))
                       .order_by(Monitor.id).with_for_update())
    now = clock()
    for monitor in {m.id: m for m, _r in stored}.values():
        db.session.refresh(monitor, ["state", "consecutive_failures", "fail_since",
                                     "last_slot_at", "enabled"])
    for monitor, result in stored:
        apply_result(monitor, result, now)
    db.session.flush()
    return [r for _m, r in stored]
