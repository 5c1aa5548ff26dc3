"""The monitor's state machine: N consecutive failures confirm an outage, one success ends it."""

from __future__ import annotations

from datetime import datetime

from kbdesk.monitor import incidents
from kbdesk.monitor.models import Monitor, ProbeResult


def apply_result(monitor: Monitor, result: ProbeResult, now: datetime) -> str | None:
    """Feed one stored result to the monitor; 'down' or 'recovered' on a confirmed change."""
    if result.silenced:
        return None
    if monitor.last_slot_at is not None and result.slot_at <= monitor.last_slot_at:
        return None  # an older slot finishing late must not rewind the state
    monitor.last_slot_at = result.slot_at
    monitor.last_ok = result.ok
    monitor.last_latency_ms = result.latency_ms
    monitor.last_layer = result.layer
    monitor.last_detail = result.detail
    if result.ok:
        monitor.consecutive_failures = 0
        monitor.fail_since = None
        if monitor.state != "up":
            previous = monitor.state
            monitor.state = "up"
            monitor.state_since = result.slot_at
            if previous == "down":
                incidents.recovered(monitor, result, now)
                return "recovered"
        return None
    if monitor.consecutive_failures == 0:
        monitor.fail_since = result.slot_at
    monitor.consecutive_failures += 1
    if monitor.consecutive_failures >= monitor.failures_before_down and monitor.state != "down":
        monitor.state = "down"
        monitor.state_since = monitor.fail_since
        incidents.confirmed_down(monitor, result, now)
        return "down"
    return None
