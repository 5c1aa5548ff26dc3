"""SLA: calendars, policies with per-severity targets, contracts, ticket clocks, events."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kbdesk.customers.models import Customer
from kbdesk.db_types import UTCDateTime, utcnow
from kbdesk.extensions import db
from kbdesk.sla.calendar import BusinessCalendar, normalise_hours

CALENDAR_KINDS = ("24x7", "business")
ESCALATE_ON = ("breach", "warning", "never")
CLOCKS = ("first_response", "resolution", "update")
CLOCK_STATES = ("running", "paused", "met")
EVENT_KINDS = ("warning", "breach")
SLA_STATES = ("active", "none")


class Calendar(db.Model):
    """When business time passes: 24/7, or weekday opening hours in a time zone."""

    __tablename__ = "sla_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="business")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Prague")
    # {"0": [[480, 1020]], ...}: wall-clock minutes per weekday, Monday is 0.
    hours: Mapped[dict] = mapped_column(JSON, default=dict)
    czech_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    holidays: Mapped[list[CalendarHoliday]] = relationship(
        back_populates="calendar", order_by="CalendarHoliday.day", cascade="all, delete-orphan")

    def business(self) -> BusinessCalendar:
        """The pure calendar the arithmetic works with."""
        if self.kind == "24x7":
            return BusinessCalendar.always()
        return BusinessCalendar(hours=normalise_hours(self.hours or {}),
                                tz=ZoneInfo(self.timezone),
                                holidays=frozenset(h.day for h in self.holidays),
                                czech_holidays=self.czech_holidays)


class CalendarHoliday(db.Model):
    """A custom closed day of one calendar (on top of the built-in Czech holidays)."""

    __tablename__ = "sla_calendar_holidays"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendars.id", ondelete="CASCADE"),
                                             index=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(100), default="")

    calendar: Mapped[Calendar] = relationship(back_populates="holidays")


class Policy(db.Model):
    """Targets per severity, when to warn and how to escalate."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    warning_percent: Mapped[int] = mapped_column(Integer, default=80)
    escalate_on: Mapped[str] = mapped_column(String(10), default="breach")
    escalate_to_lead: Mapped[bool] = mapped_column(Boolean, default=True)
    escalate_raise: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    targets: Mapped[list[PolicyTarget]] = relationship(
        back_populates="policy", cascade="all, delete-orphan")

    def target(self, severity: str) -> PolicyTarget | None:
        """The target for a severity, if the policy sets one."""
        return next((t for t in self.targets if t.severity == severity), None)


class PolicyTarget(db.Model):
    """For one severity: first response, resolution, optional update interval, calendar."""

    __tablename__ = "sla_policy_targets"
    __table_args__ = (UniqueConstraint("policy_id", "severity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policies.id", ondelete="CASCADE"),
                                           index=True)
    severity: Mapped[str] = mapped_column(String(10))
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendars.id", ondelete="RESTRICT"),
                                             index=True)
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    update_minutes: Mapped[int | None] = mapped_column(Integer)

    policy: Mapped[Policy] = relationship(back_populates="targets")
    calendar: Mapped[Calendar] = relationship()


class Contract(db.Model):
    """A customer's service contract: valid from/to (inclusive, local dates), one policy."""

    __tablename__ = "sla_contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"),
                                             index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policies.id", ondelete="RESTRICT"),
                                           index=True)
    name: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship()
    policy: Mapped[Policy] = relationship()

    def covers(self, day: date) -> bool:
        """Whether the contract is in force on a day."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class TicketSla(db.Model):
    """A ticket's SLA: which contract and targets apply, or why none does."""

    __tablename__ = "sla_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           unique=True)
    state: Mapped[str] = mapped_column(String(10), default="none")
    # Why there is no SLA: no_customer, no_contract.
    reason: Mapped[str] = mapped_column(String(20), default="")
    contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_contracts.id", ondelete="SET NULL"), index=True)
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_policies.id", ondelete="SET NULL"))
    calendar_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_calendars.id", ondelete="SET NULL"))
    severity: Mapped[str] = mapped_column(String(10), default="")
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The nearest due time of a running clock: what queues sort by.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    contract: Mapped[Contract | None] = relationship()
    policy: Mapped[Policy | None] = relationship()
    calendar: Mapped[Calendar | None] = relationship()
    clocks: Mapped[list[SlaClock]] = relationship(
        back_populates="sla", order_by="SlaClock.id", cascade="all, delete-orphan")

    def clock(self, kind: str) -> SlaClock | None:
        """One of the ticket's clocks by kind."""
        return next((c for c in self.clocks if c.kind == kind), None)


class SlaClock(db.Model):
    """One clock (first response, resolution or update) of a ticket.

    due_at = started_at + target + paused business time, in the ticket's calendar; the
    pauses themselves are kept so a change of calendar can measure them again.
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("sla_id", "kind"),
        Index("ix_sla_clocks_state_due", "state", "due_at"),
        Index("ix_sla_clocks_state_warn", "state", "warn_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sla_id: Mapped[int] = mapped_column(ForeignKey("sla_tickets.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # The update clock starts again with every public reply; each run is a cycle.
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(10), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    target_seconds: Mapped[int] = mapped_column(Integer)
    warning_percent: Mapped[int] = mapped_column(Integer, default=80)
    pauses: Mapped[list] = mapped_column(JSON, default=list)  # [[start_iso, end_iso], ...]
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sla: Mapped[TicketSla] = relationship(back_populates="clocks")


class SlaEvent(db.Model):
    """A threshold a clock crossed; recorded exactly once per (ticket, clock, cycle, kind)."""

    __tablename__ = "sla_events"
    __table_args__ = (UniqueConstraint("ticket_id", "clock", "cycle", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           index=True)
    clock: Mapped[str] = mapped_column(String(20))
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the threshold was crossed
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(db.Model):
    """An in-app notice for one user, shown in the staff header until read."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                                  index=True)
    kind: Mapped[str] = mapped_column(String(30), default="")
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
