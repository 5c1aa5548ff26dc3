"""The SLA's idea of now: real time unless a test or a demo moves it.

Set app.config["SLA_CLOCK"] to a callable returning an aware datetime (or to a datetime), or
call set_clock() for code outside an app; FrozenClock is a clock tests can move.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import current_app, has_app_context

from kbdesk.db_types import utcnow

_override: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current time, aware UTC, from the configured clock."""
    source = None
    if has_app_context():
        source = current_app.config.get("SLA_CLOCK")
    source = source or _override
    if source is None:
        return utcnow()
    value = source() if callable(source) else source
    if value.tzinfo is None:
        raise ValueError("The SLA clock must return aware datetimes.")
    return value.astimezone(UTC)


def set_clock(source: Callable[[], datetime] | datetime | None) -> None:
    """Use another clock process-wide (None restores real time)."""
    global _override
    _override = (lambda: source) if isinstance(source, datetime) else source


class FrozenClock:
    """A clock that stands still until moved: clock.move(hours=2), clock.set(dt)."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def now(self) -> datetime:
        """The frozen instant."""
        return self.at

    def set(self, at: datetime) -> None:
        """Jump to an instant."""
        self.at = at

    def move(self, **delta) -> datetime:
        """Move forward (or back) by timedelta keyword arguments; returns the new time."""
        self.at = self.at + timedelta(**delta)
        return self.at
