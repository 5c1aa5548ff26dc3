"""Feedback rules: article uses, votes, internal comments and view counters; never commit.

Staff insert links and write comments; customers only vote, and only on articles they may
read (anything else is NotFound). Comments are staff-only: to a customer they do not exist.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import current_app, has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kbdesk.accounts.permissions import require_staff
from kbdesk.db_types import utcnow
from kbdesk.errors import NotFound, ValidationError
from kbdesk.extensions import db
from kbdesk.feedback.models import ArticleComment, ArticleUse, ArticleViewDay
from kbdesk.kb import services as kb
from kbdesk.kb.models import Article
from kbdesk.portal.models import ArticleVote
from kbdesk.tickets import services as tickets
from kbdesk.tickets.models import Ticket
from kbdesk.validation import Checker

MAX_COMMENT = 20_000


# --- uses: an article link inserted into a reply -----------------------------------------------

def customer_can_read(article: Article, ticket: Ticket) -> bool:
    """Whether the ticket's customer may open the article in the portal."""
    if article.status != "published" or article.kind != "article":
        return False
    return article.visibility == "public" or (
        article.visibility == "customer" and article.customer_id is not None
        and article.customer_id == ticket.customer_id)


def link_for(article: Article, *, internal: bool) -> tuple[str, str]:
    """(url, markdown): the portal URL for replies, the staff URL for internal notes."""
    endpoint = "kb.article" if internal else "portal.article"
    if has_request_context():
        url = url_for(endpoint, article_id=article.id, _external=True)
    else:  # CLI or task: no host to name, so a site-relative link
        with current_app.test_request_context():
            url = url_for(endpoint, article_id=article.id)
    title = re.sub(r"([\[\]\\])", r"\\\1", article.title.replace("\n", " ").strip())
    return url, f"[{title}]({url})"


def _article_ref(c: Checker, raw) -> int | None:
    if isinstance(raw, bool) or raw in (None, ""):
        c.error("article_id", "Choose an article.")
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        c.error("article_id", "Must be an article id.")
        return None


def insert_link(actor, ticket_id: int, data: dict) -> tuple[ArticleUse, str, str]:
    """Staff insert an article link into a ticket reply; returns (use, url, markdown).

    A public reply may only link what the ticket's customer can open; internal notes may
    link anything staff read. The same user linking the same article into the same ticket
    again on the same day is the same use.
    """
    require_staff(actor)
    ticket = tickets.get_ticket(actor, ticket_id)
    c = Checker(data)
    article_id = _article_ref(c, data.get("article_id"))
    internal = c.boolean("internal")
    c.done()
    article = db.session.get(Article, article_id)
    if article is None:
        raise ValidationError({"article_id": "No such article."})
    if not internal and not customer_can_read(article, ticket):
        raise ValidationError({"article_id": "The customer cannot open this article (it is "
                                             "internal, unpublished or another customer's); "
                                             "link it in an internal note instead."})
    day_start = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    use = db.session.scalar(select(ArticleUse).where(
        ArticleUse.article_id == article.id, ArticleUse.ticket_id == ticket.id,
        ArticleUse.user_id == actor.id, ArticleUse.created_at >= day_start))
    if use is None:
        use = ArticleUse(article=article, ticket=ticket, user_id=actor.id, kind="link",
                         internal=internal)
        db.session.add(use)
        db.session.flush()
    url, markdown = link_for(article, internal=internal)
    return use, url, markdown


# --- votes: the portal's table, staff vote too ----------------------------------------------

def my_vote(actor, article_id: int) -> ArticleVote | None:
    """The actor's vote on an article, if any."""
    return db.session.scalar(select(ArticleVote).where(
        ArticleVote.user_id == actor.id, ArticleVote.article_id == article_id))


def vote(actor, article_id: int, helpful) -> ArticleVote:
    """Record (or change) the actor's "was this helpful?" answer on a readable article."""
    article = kb.get_article(actor, article_id)
    lowered = str(helpful).strip().lower()
    if isinstance(helpful, bool):
        value = helpful
    elif lowered in ("1", "yes", "true"):
        value = True
    elif lowered in ("0", "no", "false"):
        value = False
    else:
        raise ValidationError({"helpful": "Answer yes or no."})
    row = my_vote(actor, article.id)
    if row is None:
        row = ArticleVote(user_id=actor.id, article_id=article.id, helpful=value)
        db.session.add(row)
    row.helpful = value
    row.updated_at = utcnow()
    db.session.flush()
    return row


# --- internal comments ----------------------------------------------------------------------

def _staff_article(actor, article_id: int) -> Article:
    # Comments are internal: to a customer neither they nor the route exist.
    if actor is None or not actor.is_staff:
        raise NotFound("No such article.")
    return kb.get_article(actor, article_id)


def list_comments(actor, article_id: int) -> list[ArticleComment]:
    """An article's internal comments, open ones first, oldest first within each."""
    article = _staff_article(actor, article_id)
    return list(db.session.scalars(select(ArticleComment).where(
        ArticleComment.article_id == article.id).order_by(
        ArticleComment.resolved, ArticleComment.created_at, ArticleComment.id)))


def add_comment(actor, article_id: int, data: dict) -> ArticleComment:
    """Staff comment on an article (Markdown, rendered sanitised)."""
    article = _staff_article(actor, article_id)
    c = Checker(data)
    body = c.text("body", required=True, max_len=MAX_COMMENT)
    c.done()
    row = ArticleComment(article=article, author_id=actor.id, body=kb.normalise_body(body))
    db.session.add(row)
    db.session.flush()
    return row


def set_resolved(actor, comment_id: int, resolved: bool) -> ArticleComment:
    """Mark a comment resolved (or open again)."""
    if actor is None or not actor.is_staff:
        raise NotFound("No such comment.")
    row = db.session.get(ArticleComment, comment_id)
    if row is None:
        raise NotFound("No such comment.")
    row.resolved = bool(resolved)
    db.session.flush()
    return row


# --- views ----------------------------------------------------------------------------------

def record_view(article_id: int, now: datetime | None = None) -> None:
    """Count one view of an article today (select, then update or insert; races tolerated)."""
    day = (now or utcnow()).date()
    row = db.session.scalar(select(ArticleViewDay).where(
        ArticleViewDay.article_id == article_id, ArticleViewDay.day == day))
    if row is not None:
        row.count = ArticleViewDay.count + 1  # in SQL, so parallel views both count
        db.session.flush()
        return
    try:
        with db.session.begin_nested():
            db.session.add(ArticleViewDay(article_id=article_id, day=day, count=1))
    except IntegrityError:  # a parallel request inserted today's row first
        row = db.session.scalar(select(ArticleViewDay).where(
            ArticleViewDay.article_id == article_id, ArticleViewDay.day == day))
        if row is not None:
            row.count = ArticleViewDay.count + 1
            db.session.flush()


def days_ago(n: int):
    """The UTC date n days before today."""
    return (utcnow() - timedelta(days=n)).date()
