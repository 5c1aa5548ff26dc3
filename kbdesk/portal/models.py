"""Portal rows: announcements, article votes and suggestion events (for deflection)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kbdesk.accounts.models import User
from kbdesk.customers.models import Customer
from kbdesk.db_types import UTCDateTime, utcnow
from kbdesk.extensions import db
from kbdesk.kb.models import Article

SUGGESTION_KINDS = ("shown", "opened")


class Announcement(db.Model):
    """A notice from support on the portal home; customer None means every customer."""

    __tablename__ = "portal_announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="cs")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer | None] = relationship()


class ArticleVote(db.Model):
    """One user's "was this helpful?" answer for one article (changeable)."""

    __tablename__ = "portal_article_votes"
    __table_args__ = (UniqueConstraint("user_id", "article_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"),
                                            index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SuggestionEvent(db.Model):
    """An article suggested while filing: shown or opened; ticket set when one was filed."""

    __tablename__ = "portal_suggestion_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    session_key: Mapped[str] = mapped_column(String(64), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[str] = mapped_column(String(10))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped[User] = relationship()
    article: Mapped[Article] = relationship()
    position: Mapped[int] = mapped_column(Integer, default=0)
