"""Knowledge base: articles and configuration notes, their revisions, tags and attachments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kbdesk.accounts.models import User
from kbdesk.customers.models import Application, Customer
from kbdesk.db_types import UTCDateTime, utcnow
from kbdesk.extensions import db

KINDS = ("article", "config")
VISIBILITIES = ("public", "customer", "internal")
STATUSES = ("draft", "in_review", "published", "archived")
REVIEW_ACTIONS = ("submitted", "approved", "returned", "reviewed")
LANGUAGES = ("cs", "en")


class Article(db.Model):
    """An article, or a configuration note about one customer (kind `config`)."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    body: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(2), default="cs")
    kind: Mapped[str] = mapped_column(String(10), default="article", index=True)
    visibility: Mapped[str] = mapped_column(String(10), default="internal")
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The number of the latest revision; editors send it back to detect concurrent edits.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # SHA-256 of the content fields (see services.content_hash): "unchanged" is a comparison.
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    # Path relative to the imported directory, so re-importing finds the same article.
    source_path: Mapped[str | None] = mapped_column(String(500), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Review and freshness (kbdesk.kb.review): past review_due the article is stale.
    review_due: Mapped[date | None] = mapped_column(Date, index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Whom the submitter asked to review it (in_review only; anyone allowed may still review).
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                    index=True)

    customer: Mapped[Customer | None] = relationship()
    application: Mapped[Application | None] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    tag_rows: Mapped[list[ArticleTag]] = relationship(
        back_populates="article", order_by="ArticleTag.position", cascade="all, delete-orphan")
    revisions: Mapped[list[ArticleRevision]] = relationship(
        back_populates="article", order_by="ArticleRevision.number.desc()",
        cascade="all, delete-orphan", passive_deletes=True)
    attachments: Mapped[list[ArticleAttachment]] = relationship(
        back_populates="article", order_by="ArticleAttachment.id",
        cascade="all, delete-orphan", passive_deletes=True)

    @property
    def tags(self) -> list[str]:
        """The tags in the author's order."""
        return [t.tag for t in self.tag_rows]

    def __repr__(self) -> str:
        return f"<Article {self.id} {self.slug}>"


class ArticleTag(db.Model):
    """One tag of an article; a table (not JSON) so filters and facet counts are plain SQL."""

    __tablename__ = "article_tags"
    __table_args__ = (UniqueConstraint("article_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"),
                                            index=True)
    tag: Mapped[str] = mapped_column(String(60), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    article: Mapped[Article] = relationship(back_populates="tag_rows")


class ArticleRevision(db.Model):
    """A snapshot of an article made by every save that changed it."""

    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"),
                                            index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(10), default="article")
    status: Mapped[str] = mapped_column(String(10))
    visibility: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(2), default="cs")
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"))
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship()


class ArticleAttachment(db.Model):
    """A file of an article, stored under DATA_DIR/attachments by its SHA-256."""

    __tablename__ = "article_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"),
                                            index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(150), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="attachments")
    uploaded_by: Mapped[User | None] = relationship()


class ArticleReview(db.Model):
    """One step of an article's review: submitted, approved, returned or reviewed (still accurate)."""

    __tablename__ = "article_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"),
                                            index=True)
    action: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The article revision the step was about, so "what was approved" stays answerable.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])


# Registers Article with the search index whenever the models load.
from kbdesk.kb import search_docs  # noqa: E402,F401
