"""Search logs, tickets no article matched, and dismissed gaps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kbdesk.db_types import UTCDateTime, utcnow
from kbdesk.extensions import db

SCOPES = ("staff", "portal", "api")
CLICK_KINDS = ("article", "config", "ticket")


class SearchLog(db.Model):
    """One search someone made, what it found, and whether a result was opened."""

    __tablename__ = "search_logs"
    __table_args__ = (Index("ix_search_logs_normalised_created", "normalised", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    query: Mapped[str] = mapped_column(String(500))
    normalised: Mapped[str] = mapped_column(String(200))
    results: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicked_kind: Mapped[str | None] = mapped_column(String(10))
    clicked_id: Mapped[int | None] = mapped_column(Integer)


class TicketGap(db.Model):
    """A new ticket for which matching found no published article."""

    __tablename__ = "ticket_gaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    best_article_score: Mapped[float | None] = mapped_column()
    # The ticket's key terms (index terms, space-separated) for clustering at report time.
    terms: Mapped[str] = mapped_column(String(200), default="")


class GapDismissal(db.Model):
    """An author dismissed a gap; it comes back only if it recurs after this."""

    __tablename__ = "gap_dismissals"

    id: Mapped[int] = mapped_column(primary_key=True)
    normalised: Mapped[str] = mapped_column(String(200), index=True)
    dismissed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
