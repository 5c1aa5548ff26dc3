"""Demo data: daily views, a few uses, votes and one internal comment (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kbdesk.db_types import utcnow
from kbdesk.demo import DEMO_HOOKS
from kbdesk.extensions import db
from kbdesk.feedback.models import ArticleComment, ArticleUse, ArticleViewDay
from kbdesk.feedback.services import customer_can_read
from kbdesk.kb.models import Article
from kbdesk.portal.models import ArticleVote
from kbdesk.tickets.models import Ticket


def load_demo(app, admin) -> None:
    """Adds feedback only when there is none yet, so running demo twice changes nothing."""
    if db.session.scalar(select(ArticleViewDay.id).limit(1)) is not None:
        return
    articles = list(db.session.scalars(select(Article).where(
        Article.kind == "article", Article.status == "published").order_by(Article.id).limit(8)))
    today = utcnow().date()
    for rank, article in enumerate(articles):
        for back in range(0, 90, 1 + rank % 3):
            # A steady, deterministic pattern: more views recently, busier weekdays.
            day = today - timedelta(days=back)
            count = max(0, (12 - rank) - back // 12 + (2 if day.weekday() < 5 else 0))
            if count:
                db.session.add(ArticleViewDay(article_id=article.id, day=day, count=count))
    tickets = list(db.session.scalars(select(Ticket).order_by(Ticket.id).limit(20)))
    for article in articles[:3]:
        for ticket in tickets:
            if customer_can_read(article, ticket):
                db.session.add(ArticleUse(article_id=article.id, ticket_id=ticket.id,
                                          user_id=admin.id, kind="link"))
                break
    if articles and db.session.scalar(select(ArticleVote.id).where(
            ArticleVote.user_id == admin.id, ArticleVote.article_id == articles[0].id)) is None:
        db.session.add(ArticleVote(user_id=admin.id, article_id=articles[0].id, helpful=True))
    if articles:
        db.session.add(ArticleComment(
            article_id=articles[0].id, author_id=admin.id,
            body="Doplnit snímek obrazovky z **IIS Manageru** ke kroku 2."))
    db.session.flush()


load_demo.stage = 2  # after the demo tickets and articles
if load_demo not in DEMO_HOOKS:
    DEMO_HOOKS.append(load_demo)
