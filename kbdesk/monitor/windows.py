"""Maintenance windows: one-off, or weekly at the same local wall-clock time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from kbdesk.monitor.models import MaintenanceWindow

WEEK = timedelta(days=7)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Europe/Prague")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def covers(window: MaintenanceWindow, at: datetime, tz_name: str | None = None) -> bool:
    """Whether the window silences its monitor at the given moment."""
    if at < window.starts_at:
        return False
    if not window.weekly:
        return at < window.ends_at
    length = window.ends_at - window.starts_at
    tz = _zone(tz_name)
    start_local = window.starts_at.astimezone(tz)
    weeks = (at.astimezone(tz).date() - start_local.date()).days // 7
    # Repeat in local time, so "Sunday 02:00" stays 02:00 across daylight-saving changes.
    for k in (weeks, weeks - 1):
        if k < 0:
            continue
        day = start_local.date() + timedelta(days=7 * k)
        begin = datetime.combine(day, start_local.timetz().replace(tzinfo=None), tzinfo=tz)
        if begin <= at < begin + length:
            return True
    return False


def active_window(windows, at: datetime, tz_name: str | None = None) -> MaintenanceWindow | None:
    """The first window that covers the moment, if any."""
    return next((w for w in windows if covers(w, at, tz_name)), None)
