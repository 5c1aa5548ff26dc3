"""Monitors, their maintenance windows, probe results, hourly aggregates, outages, status pages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kbdesk.accounts.models import User
from kbdesk.customers.models import Application, Customer
from kbdesk.db_types import UTCDateTime, utcnow
from kbdesk.extensions import db
from kbdesk.tickets.models import Ticket

KINDS = ("http", "tcp", "tls", "dns")
STATES = ("unknown", "up", "down")
HTTP_METHODS = ("GET", "HEAD", "POST")
# The layer a failed probe stopped at: the first hint at a cause outside the application.
LAYERS = ("dns", "tcp_connect", "tls_handshake", "tls_expiry", "http_status", "keyword",
          "latency", "timeout", "blocked")

# Result ids grow by ~1.5 million a day at 1,000 monitors; SQLite needs INTEGER for rowid.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Monitor(db.Model):
    """One availability check of one application, with its live state."""

    __tablename__ = "monitors"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             index=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(500))
    method: Mapped[str] = mapped_column(String(10), default="GET")
    expected_status: Mapped[str] = mapped_column(String(100), default="200-399")
    # HTTP: text the body must contain (or must not, with keyword_absent); DNS: an expected address.
    keyword: Mapped[str] = mapped_column(String(200), default="")
    keyword_absent: Mapped[bool] = mapped_column(Boolean, default=False)
    timeout_ms: Mapped[int] = mapped_column(Integer, default=10_000)
    latency_threshold_ms: Mapped[int | None] = mapped_column(Integer)
    max_redirects: Mapped[int] = mapped_column(Integer, default=5)
    verify_tls: Mapped[bool] = mapped_column(Boolean, default=True)
    tls_warn_days: Mapped[int] = mapped_column(Integer, default=14)
    interval_s: Mapped[int] = mapped_column(Integer, default=60)
    failures_before_down: Mapped[int] = mapped_column(Integer, default=3)
    severity: Mapped[str] = mapped_column(String(10), default="critical")
    auto_resolve: Mapped[bool] = mapped_column(Boolean, default=True)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    state: Mapped[str] = mapped_column(String(10), default="unknown")
    state_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    fail_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_slot_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_ok: Mapped[bool | None] = mapped_column(Boolean)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer)
    last_layer: Mapped[str] = mapped_column(String(20), default="")
    last_detail: Mapped[str] = mapped_column(String(300), default="")
    # The next slot nobody has claimed yet; the dispatcher moves it forward atomically.
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()
    application: Mapped[Application] = relationship()
    windows: Mapped[list[MaintenanceWindow]] = relationship(
        back_populates="monitor", order_by="MaintenanceWindow.starts_at",
        cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Monitor {self.id} {self.kind} {self.target}>"


class MaintenanceWindow(db.Model):
    """A time during which a monitor's failures count for nothing; weekly ones repeat."""

    __tablename__ = "monitor_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"),
                                            index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    weekly: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    monitor: Mapped[Monitor] = relationship(back_populates="windows")
    created_by: Mapped[User | None] = relationship()


class ProbeResult(db.Model):
    """One probe of one slot; (monitor, slot) is unique so a slot is never probed twice."""

    __tablename__ = "monitor_results"
    __table_args__ = (UniqueConstraint("monitor_id", "slot_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    slot_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    layer: Mapped[str] = mapped_column(String(20), default="")
    detail: Mapped[str] = mapped_column(String(300), default="")
    status_code: Mapped[int | None] = mapped_column(Integer)
    # Probed during a maintenance window: shown, but not counted in state or uptime.
    silenced: Mapped[bool] = mapped_column(Boolean, default=False)


class HourlyAggregate(db.Model):
    """What is left of an hour of results once the raw rows are older than the retention."""

    __tablename__ = "monitor_hourly"
    __table_args__ = (UniqueConstraint("monitor_id", "hour_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    hour_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    up: Mapped[int] = mapped_column(Integer, default=0)
    latency_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    latency_count: Mapped[int] = mapped_column(Integer, default=0)
    latency_max_ms: Mapped[int] = mapped_column(Integer, default=0)


class Outage(db.Model):
    """A confirmed down period of a monitor and the incident ticket that carries it."""

    __tablename__ = "monitor_outages"

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"),
                                            index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"),
                                                  index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    layer: Mapped[str] = mapped_column(String(20), default="")
    detail: Mapped[str] = mapped_column(String(300), default="")
    # The monitor's id while the outage is open, NULL once it ends: the unique constraint
    # lets the database itself refuse a second open outage of one monitor.
    open_key: Mapped[int | None] = mapped_column(Integer, unique=True)

    monitor: Mapped[Monitor] = relationship()
    ticket: Mapped[Ticket | None] = relationship()

    @property
    def downtime_s(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds())


class StatusPage(db.Model):
    """A customer's public status page, reachable only through its unguessable token."""

    __tablename__ = "monitor_status_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             unique=True)
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()
