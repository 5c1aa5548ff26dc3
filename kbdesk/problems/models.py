"""Problems (recurring tickets with a root cause, workaround and planned fix) and their history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kbdesk.accounts.models import User
from kbdesk.customers.models import Application
from kbdesk.db_types import UTCDateTime, utcnow
from kbdesk.extensions import db
from kbdesk.releases.models import Release
from kbdesk.tickets.models import Ticket

STATUSES = ("proposed", "open", "known_error", "fixed", "closed", "rejected")
# Problems a ticket can still be linked to (the panel's choices).
ACTIVE_STATUSES = ("proposed", "open", "known_error")


class Problem(db.Model):
    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL"), index=True)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    workaround: Mapped[str] = mapped_column(Text, default="")
    release_id: Mapped[int | None] = mapped_column(
        ForeignKey("releases.id", ondelete="SET NULL"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    application: Mapped[Application | None] = relationship()
    release: Mapped[Release | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    links: Mapped[list[ProblemTicket]] = relationship(
        back_populates="problem", cascade="all, delete-orphan", order_by="ProblemTicket.id")
    events: Mapped[list[ProblemEvent]] = relationship(
        back_populates="problem", cascade="all, delete-orphan", order_by="ProblemEvent.id")

    @property
    def number(self) -> str:
        """The readable number, e.g. P-12 (the id: nothing to race for)."""
        return f"P-{self.id}"

    @property
    def fixed_in(self) -> Release | None:
        """The release that shipped the permanent fix, once it is out."""
        return self.release if self.release and self.release.state == "released" else None


class ProblemTicket(db.Model):
    """A ticket linked to a problem (a ticket may belong to several, once each)."""

    __tablename__ = "problem_tickets"
    __table_args__ = (UniqueConstraint("problem_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"),
                                            index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           index=True)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    problem: Mapped[Problem] = relationship(back_populates="links")
    ticket: Mapped[Ticket] = relationship()
    linked_by: Mapped[User | None] = relationship()


class ProblemEvent(db.Model):
    """One change of a problem: who, when, what (status, release, workaround, links)."""

    __tablename__ = "problem_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"),
                                            index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    problem: Mapped[Problem] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
