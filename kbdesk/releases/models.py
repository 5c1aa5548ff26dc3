"""Releases of a customer's application and the tickets planned into them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kbdesk.customers.models import Application
from kbdesk.db_types import UTCDateTime, utcnow
from kbdesk.extensions import db
from kbdesk.tickets.models import Ticket

STATES = ("planned", "in_testing", "released")


class Release(db.Model):
    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("application_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(50))
    planned_on: Mapped[date | None] = mapped_column(Date)
    released_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default="planned")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship()
    plans: Mapped[list[ReleaseTicket]] = relationship(
        back_populates="release", cascade="all, delete-orphan", order_by="ReleaseTicket.id")


class ReleaseTicket(db.Model):
    """A ticket planned to be fixed in a release (a ticket sits in at most one)."""

    __tablename__ = "release_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"),
                                            index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    release: Mapped[Release] = relationship(back_populates="plans")
    ticket: Mapped[Ticket] = relationship()
