"""Which tickets an article documents ("documented in" on the ticket, sources on the article)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kbdesk.accounts.models import User
from kbdesk.db_types import UTCDateTime, utcnow
from kbdesk.extensions import db
from kbdesk.kb.models import Article
from kbdesk.tickets.models import Ticket


class ArticleSource(db.Model):
    """A ticket an article was written from, or was later linked to as documenting it."""

    __tablename__ = "article_sources"
    __table_args__ = (UniqueConstraint("article_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"),
                                            index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                           index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship()
    ticket: Mapped[Ticket] = relationship()
    created_by: Mapped[User | None] = relationship()
