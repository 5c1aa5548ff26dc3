"""Per-article numbers for authors: views, uses, votes and the tickets an article helped."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import case, distinct, func, select, union
from sqlalchemy.orm import aliased

from kbdesk.accounts.models import STAFF_ROLES, User
from kbdesk.authoring.models import ArticleSource
from kbdesk.db_types import utcnow
from kbdesk.errors import NotFound, ValidationError
from kbdesk.extensions import db
from kbdesk.feedback.models import ArticleUse, ArticleViewDay
from kbdesk.kb import services as kb
from kbdesk.kb.models import Article
from kbdesk.portal.models import ArticleVote
from kbdesk.tickets.models import Ticket

DONE_STATUSES = ("resolved", "closed")
SORTS = ("views", "views_30d", "uses", "votes", "helped", "title")
CHART_DAYS = 90


def _require_staff(actor) -> None:
    # Stats name tickets and internal articles: to a customer they do not exist.
    if actor is None or not actor.is_staff:
        raise NotFound("No such page.")


def _article_tickets():
    """Every (article_id, ticket_id) pair: uses plus documented-in sources."""
    uses = select(ArticleUse.article_id.label("article_id"),
                  ArticleUse.ticket_id.label("ticket_id"))
    sources = select(ArticleSource.article_id.label("article_id"),
                     ArticleSource.ticket_id.label("ticket_id"))
    return union(uses, sources).subquery()


def helped_tickets(article_id: int) -> list[Ticket]:
    """Resolved or closed tickets the article was used in or documents, newest first."""
    pairs = _article_tickets()
    ids = select(pairs.c.ticket_id).where(pairs.c.article_id == article_id)
    return list(db.session.scalars(select(Ticket).where(
        Ticket.id.in_(ids), Ticket.status.in_(DONE_STATUSES))
        .order_by(Ticket.resolved_at.desc().nulls_last(), Ticket.id.desc())))


def vote_counts(article_id: int) -> dict:
    """Helpful yes/no, from the portal (customers) and from staff separately."""
    staff = User.role.in_(STAFF_ROLES)
    rows = db.session.execute(
        select(staff.label("staff"), ArticleVote.helpful, func.count())
        .join(User, User.id == ArticleVote.user_id)
        .where(ArticleVote.article_id == article_id)
        .group_by(staff, ArticleVote.helpful))
    out = {"portal": {"yes": 0, "no": 0}, "staff": {"yes": 0, "no": 0}}
    for is_staff, helpful, n in rows:
        out["staff" if is_staff else "portal"]["yes" if helpful else "no"] += n
    return out


def daily_views(article_id: int, days: int = CHART_DAYS) -> list[tuple[date, int]]:
    """One (day, views) per day for the last `days` days, oldest first, zeros included."""
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    counts = dict(db.session.execute(select(ArticleViewDay.day, ArticleViewDay.count).where(
        ArticleViewDay.article_id == article_id, ArticleViewDay.day >= first)).all())
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0))
            for i in range(days)]


def article_stats(actor, article_id: int) -> dict:
    """Views (total, 30 days, daily for 90), uses, votes and helped tickets of one article."""
    _require_staff(actor)
    article = kb.get_article(actor, article_id)
    since = utcnow().date() - timedelta(days=29)
    total = db.session.scalar(select(func.coalesce(func.sum(ArticleViewDay.count), 0)).where(
        ArticleViewDay.article_id == article.id)) or 0
    recent = db.session.scalar(select(func.coalesce(func.sum(ArticleViewDay.count), 0)).where(
        ArticleViewDay.article_id == article.id, ArticleViewDay.day >= since)) or 0
    uses = db.session.scalar(select(func.count()).select_from(ArticleUse).where(
        ArticleUse.article_id == article.id)) or 0
    return {"article": article, "views": int(total), "views_30d": int(recent),
            "daily": daily_views(article.id), "uses": int(uses),
            "votes": vote_counts(article.id), "helped": helped_tickets(article.id)}


def list_stats(actor, sort: str = "views", *, limit: int = 50,
               offset: int = 0) -> tuple[list[dict], int]:
    """Every article with its numbers, sorted (descending; title ascending), and the total."""
    _require_staff(actor)
    if sort not in SORTS:
        raise ValidationError({"sort": "Must be one of: " + ", ".join(SORTS) + "."})
    since = utcnow().date() - timedelta(days=29)
    views = (select(ArticleViewDay.article_id.label("aid"),
                    func.sum(ArticleViewDay.count).label("n"),
                    func.sum(case((ArticleViewDay.day >= since, ArticleViewDay.count),
                                  else_=0)).label("n30"))
             .group_by(ArticleViewDay.article_id).subquery())
    uses = (select(ArticleUse.article_id.label("aid"), func.count().label("n"))
            .group_by(ArticleUse.article_id).subquery())
    votes = (select(ArticleVote.article_id.label("aid"),
                    func.sum(case((ArticleVote.helpful.is_(True), 1), else_=0)).label("yes"),
                    func.sum(case((ArticleVote.helpful.is_(False), 1), else_=0)).label("no"))
             .group_by(ArticleVote.article_id).subquery())
    pairs = _article_tickets()
    done = aliased(Ticket)
    helped = (select(pairs.c.article_id.label("aid"),
                     func.count(distinct(pairs.c.ticket_id)).label("n"))
              .join(done, done.id == pairs.c.ticket_id)
              .where(done.status.in_(DONE_STATUSES))
              .group_by(pairs.c.article_id).subquery())
    cols = {
        "views": func.coalesce(views.c.n, 0), "views_30d": func.coalesce(views.c.n30, 0),
        "uses": func.coalesce(uses.c.n, 0), "yes": func.coalesce(votes.c.yes, 0),
        "no": func.coalesce(votes.c.no, 0), "helped": func.coalesce(helped.c.n, 0),
    }
    stmt = (select(Article, *[c.label(k) for k, c in cols.items()])
            .outerjoin(views, views.c.aid == Article.id).outerjoin(uses, uses.c.aid == Article.id)
            .outerjoin(votes, votes.c.aid == Article.id)
            .outerjoin(helped, helped.c.aid == Article.id)
            .where(Article.kind == "article"))
    total = db.session.scalar(select(func.count()).select_from(Article).where(
        Article.kind == "article")) or 0
    if sort == "title":
        order = [Article.title, Article.id]
    else:
        key = cols["yes"] - cols["no"] if sort == "votes" else cols[sort]
        order = [key.desc(), cols["views"].desc(), Article.id.desc()]
    rows = db.session.execute(stmt.order_by(*order).limit(limit).offset(offset)).all()
    items = [{"article": r[0], "views": int(r.views), "views_30d": int(r.views_30d),
              "uses": int(r.uses), "yes": int(r.yes), "no": int(r.no), "helped": int(r.helped)}
             for r in rows]
    return items, total


def chart_bars(daily: list[tuple[date, int]], width: int = 540, height: int = 80) -> dict:
    """Bar geometry for the inline SVG chart of daily views."""
    top = max((n for _d, n in daily), default=0) or 1
    step = width / max(len(daily), 1)
    bars = [{"x": round(i * step, 2), "w": round(max(step - 1, 1), 2),
             "h": round(n / top * (height - 12), 2), "day": d, "n": n}
            for i, (d, n) in enumerate(daily)]
    for b in bars:
        b["y"] = round(height - b["h"], 2)
    return {"bars": bars, "width": width, "height": height, "top": top}


