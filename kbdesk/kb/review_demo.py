"""Demo data for review: two stale articles and an article waiting for review (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kbdesk.accounts.models import User
from kbdesk.demo import DEMO_HOOKS
from kbdesk.extensions import db
from kbdesk.kb import review
from kbdesk.kb.models import Article

# knowledge/ holds one article in review (the importer keeps its status); the demo names
# its reviewer.
IN_REVIEW_SOURCE = "iis-presmerovani-http-na-https-koncept.md"


def load_demo(app, admin) -> None:
    """Adds what is missing: two stale articles, a reviewer for the article in review."""
    reviewer = db.session.scalar(select(User).where(User.email == "specialist@kbdesk.example"))
    waiting = db.session.scalar(select(Article).where(Article.source_path == IN_REVIEW_SOURCE,
                                                      Article.status == "in_review"))
    if waiting is not None and waiting.reviewer_id is None and reviewer is not None:
        waiting.reviewer_id = reviewer.id
    if not review.stale_articles(admin, limit=1)[1]:
        published = db.session.scalars(select(Article).where(
            Article.status == "published", Article.kind == "article")
            .order_by(Article.id).limit(2)).all()
        for days, article in zip((75, 20), published, strict=False):
            article.review_due = review.today() - timedelta(days=days)
    db.session.flush()


DEMO_HOOKS.append(load_demo)
