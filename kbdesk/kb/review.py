"""Article review and freshness: draft → in_review → published, review dates, stale articles.

Add and flush, never commit. Every step is an ArticleReview row (who, when, comment), so the
history stays whole. Status changes here make no revision: the text did not change, and the
revision author stays the person who last wrote it (whom the rules keep from approving it).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from kbdesk.accounts.models import User
from kbdesk.accounts.permissions import require_roles, require_staff
from kbdesk.db_types import utcnow
from kbdesk.errors import Conflict, Forbidden
from kbdesk.extensions import db
from kbdesk.kb import services
from kbdesk.kb.models import Article, ArticleReview, ArticleRevision
from kbdesk.validation import Checker

# Who may approve or return; testers write articles but do not sign them off.
DEFAULT_REVIEW_ROLES = ("admin", "specialist", "developer")
DEFAULT_INTERVAL_DAYS = 180
MAX_COMMENT = 4000
STALE_SORTS = ("most_overdue", "least_overdue")


class OwnChange(Forbidden):
    """The actor wrote the latest revision and so may not approve or return it."""

    def __init__(self):
        super().__init__("You wrote the latest revision of this article; "
                         "someone else must review it.")


def review_roles() -> tuple[str, ...]:
    """The roles that may review (app.config KB_REVIEW_ROLES)."""
    return tuple(current_app.config.get("KB_REVIEW_ROLES", DEFAULT_REVIEW_ROLES))


def interval_days() -> int:
    """Days from a publication or review to the next review (KB_REVIEW_INTERVAL_DAYS)."""
    return int(current_app.config.get("KB_REVIEW_INTERVAL_DAYS", DEFAULT_INTERVAL_DAYS))


def today() -> date:
    """Today's date in UTC (review dates are calendar days)."""
    return utcnow().date()


def next_review_due() -> date:
    """The review date a freshly published or reviewed article gets."""
    return today() + timedelta(days=interval_days())


def is_stale(article: Article) -> bool:
    """A published article whose review date has passed."""
    return (article.status == "published" and article.review_due is not None
            and article.review_due < today())


def last_author_id(article: Article) -> int | None:
    """Who wrote the latest revision (the person who may not approve it)."""
    return article.revisions[0].author_id if article.revisions else article.author_id


def may_review(actor, article: Article) -> bool:
    """Whether the actor may approve or return this article (admins review anything)."""
    if actor is None or actor.role not in review_roles():
        return False
    return actor.is_admin or actor.id != last_author_id(article)


def may_publish_directly(actor, old_status: str | None, merged: dict) -> bool:
    """Only admins publish an article without review; configuration notes need none."""
    if merged.get("status") != "published" or merged.get("kind") != "article":
        return True
    return old_status == "published" or bool(actor is not None and actor.is_admin)


def parse_review_due(c: Checker) -> date | None:
    """`review_due` from input: an ISO date, or empty to clear it."""
    value = c.data.get("review_due")
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    c.error("review_due", "A date as YYYY-MM-DD.")
    return None


def _log(article: Article, action: str, actor, *, reviewer_id: int | None = None,
         comment: str = "") -> ArticleReview:
    row = ArticleReview(article=article, action=action, actor_id=actor.id if actor else None,
                        reviewer_id=reviewer_id, revision=article.revision or 0,
                        comment=comment, created_at=utcnow())
    db.session.add(row)
    return row


def _set_status(article: Article, status: str) -> None:
    article.status = status
    # Status is part of the content hash (import compares it); keep the hash true.
    article.content_hash = services.content_hash(services.current_fields(article))


def _mark_reviewed(article: Article, actor) -> None:
    article.reviewed_at = utcnow()
    article.reviewed_by_id = actor.id
    article.review_due = next_review_due()


def after_save(article: Article, actor, old_status: str | None, due: date | None, *,
               due_given: bool) -> None:
    """Keep review facts true after the editor or the importer saved a status."""
    if due_given:
        article.review_due = due
    new = article.status
    if new == old_status:
        return
    if new == "in_review":
        _log(article, "submitted", actor, reviewer_id=article.reviewer_id)
    elif old_status == "in_review":
        if new == "published" and actor is not None and may_review(actor, article):
            _log(article, "approved", actor)  # an admin publishing from the editor approves
            _mark_reviewed(article, actor)
        article.reviewer_id = None
    if new == "published" and not due_given:
        article.review_due = next_review_due()


# --- the workflow ----------------------------------------------------------------------------

def _comment(c: Checker, *, required: bool = False) -> str:
    return c.text("comment", required=required, max_len=MAX_COMMENT)


def _reviewer(c: Checker, article: Article) -> int | None:
    value = c.data.get("reviewer_id")
    if value in (None, ""):
        return None
    try:
        user = db.session.get(User, int(value))
    except (TypeError, ValueError):
        user = None
    if user is None or not user.active or user.role not in review_roles():
        c.error("reviewer_id", "Choose a staff member who may review articles.")
        return None
    if not may_review(user, article):
        c.error("reviewer_id", "The author of the latest revision cannot review it.")
        return None
    return user.id


def submit(actor, article_id: int, data: dict) -> Article:
    """Send a draft for review (any editor), optionally naming the reviewer."""
    article = services.get_article(actor, article_id)
    require_roles(actor, *services.EDIT_ROLES)
    c = Checker(data)
    comment = _comment(c)
    reviewer_id = _reviewer(c, article)
    c.done()
    if article.status != "draft":
        raise Conflict("Only a draft can be submitted for review.")
    article.reviewer_id = reviewer_id
    _set_status(article, "in_review")
    _log(article, "submitted", actor, reviewer_id=reviewer_id, comment=comment)
    db.session.flush()
    return article


def _check_reviewer(actor, article: Article) -> None:
    require_roles(actor, *review_roles())
    if not may_review(actor, article):
        raise OwnChange()
    if article.status != "in_review":
        raise Conflict("The article is not waiting for review.")


def approve(actor, article_id: int, data: dict) -> Article:
    """Publish an article in review (a reviewer who did not write its latest revision)."""
    article = services.get_article(actor, article_id)
    c = Checker(data)
    comment = _comment(c)
    c.done()
    _check_reviewer(actor, article)
    _set_status(article, "published")
    article.reviewer_id = None
    _mark_reviewed(article, actor)
    _log(article, "approved", actor, comment=comment)
    db.session.flush()
    return article


def return_to_author(actor, article_id: int, data: dict) -> Article:
    """Send an article in review back to draft; the comment (required) says why."""
    article = services.get_article(actor, article_id)
    c = Checker(data)
    comment = _comment(c, required=True)
    c.done()
    _check_reviewer(actor, article)
    _set_status(article, "draft")
    article.reviewer_id = None
    _log(article, "returned", actor, comment=comment)
    db.session.flush()
    return article


def mark_reviewed(actor, article_id: int, data: dict) -> Article:
    """A published article is still accurate: record it and move its review date on."""
    article = services.get_article(actor, article_id)
    require_roles(actor, *services.EDIT_ROLES)
    c = Checker(data)
    comment = _comment(c)
    c.done()
    if article.status != "published":
        raise Conflict("Only a published article can be marked as reviewed.")
    _mark_reviewed(article, actor)
    _log(article, "reviewed", actor, comment=comment)
    db.session.flush()
    return article


# --- reading ---------------------------------------------------------------------------------

def history(actor, article_id: int) -> list[ArticleReview]:
    """An article's review steps, newest first (staff)."""
    article = services.get_article(actor, article_id)
    require_staff(actor)
    return list(db.session.scalars(
        select(ArticleReview).where(ArticleReview.article_id == article.id)
        .options(selectinload(ArticleReview.actor), selectinload(ArticleReview.reviewer))
        .order_by(ArticleReview.created_at.desc(), ArticleReview.id.desc())))


def published_base(article: Article) -> int | None:
    """The revision last published (approved, or saved while published), before the current."""
    approved = db.session.scalar(select(func.max(ArticleReview.revision)).where(
        ArticleReview.article_id == article.id, ArticleReview.action == "approved"))
    saved = db.session.scalar(select(func.max(ArticleRevision.number)).where(
        ArticleRevision.article_id == article.id, ArticleRevision.status == "published"))
    found = [n for n in (approved, saved) if n]
    return max(found) if found else None


def changes_since_published(actor, article: Article) -> dict | None:
    """The diff from the last published revision to the current one (None: nothing to show)."""
    base = published_base(article)
    if base is None or base >= article.revision:
        return None
    return services.diff_revisions(actor, article.id, base, article.revision)


def review_queue(actor, *, limit: int = 50, offset: int = 0) -> tuple[list[Article], int]:
    """Articles in review: those asked of the actor first, then the longest waiting."""
    require_staff(actor)
    stmt = select(Article).where(Article.status == "in_review")
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    mine = case((Article.reviewer_id == actor.id, 0), else_=1)
    items = db.session.scalars(
        stmt.options(selectinload(Article.author), selectinload(Article.reviewer),
                     selectinload(Article.customer))
        .order_by(mine, Article.updated_at, Article.id).limit(limit).offset(offset)).all()
    return list(items), total


def queue_count(actor) -> int:
    """How many articles wait for review (0 for non-staff); cheap enough for the nav."""
    if actor is None or not getattr(actor, "is_staff", False):
        return 0
    return db.session.scalar(
        select(func.count(Article.id)).where(Article.status == "in_review")) or 0


def stale_articles(actor, filters: dict | None = None, *, limit: int = 50,
                   offset: int = 0) -> tuple[list[Article], int]:
    """Published articles past their review date; filter customer / author, sort by overdue."""
    require_staff(actor)
    filters = filters or {}
    c = Checker(filters)
    stmt = select(Article).where(Article.status == "published", Article.review_due.is_not(None),
                                 Article.review_due < today())
    if customer := filters.get("customer"):
        stmt = stmt.where(Article.customer_id == services._customer_id_for_filter(customer))
    if author := filters.get("author"):
        try:
            stmt = stmt.where(Article.author_id == int(author))
        except (TypeError, ValueError):
            c.error("author", "Must be a user id.")
    sort = c.choice("sort", STALE_SORTS, default="most_overdue") if filters.get("sort") \
        else "most_overdue"
    c.done()
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = Article.review_due.asc() if sort == "most_overdue" else Article.review_due.desc()
    items = db.session.scalars(
        stmt.options(selectinload(Article.author), selectinload(Article.customer))
        .order_by(order, Article.id).limit(limit).offset(offset)).all()
    return list(items), total


def days_overdue(article: Article) -> int:
    """Days since the review date (0 when not overdue)."""
    if article.review_due is None:
        return 0
    return max((today() - article.review_due).days, 0)


def reviewers() -> list[User]:
    """Active staff who may review, for the reviewer choice."""
    return list(db.session.scalars(
        select(User).where(User.role.in_(review_roles()), User.active.is_(True))
        .order_by(User.name)))
