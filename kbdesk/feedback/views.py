"""Staff pages and panels: insert an article link into a reply, vote, comment, stats."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from kbdesk.errors import ServiceError
from kbdesk.extensions import db
from kbdesk.feedback import demo as _demo  # noqa: F401  (registers the demo hook)
from kbdesk.feedback import services, stats
from kbdesk.kb import services as kb
from kbdesk.kb.models import Article
from kbdesk.kb.render import render_markdown
from kbdesk.kb.views import render_article
from kbdesk.tickets.services import get_ticket_by_number

bp = Blueprint("feedback", __name__)
SEARCH_LIMIT = 8


@bp.before_request
@login_required
def staff_only():
    """Customers vote in the portal; these pages and actions are for staff."""
    if not current_user.is_staff:
        abort(404)


def _message(exc: ServiceError) -> str:
    return "; ".join(exc.fields.values()) if exc.fields else exc.message


# --- panels (included by the ticket and article pages, so they fetch their own data) ------

def insertable_articles(ticket, similar: list | None, query: str = "") -> dict:
    """Articles offered for insertion on a ticket: the similar ones and a search's results."""
    def rows(ids: list[int]) -> list[dict]:
        found = {a.id: a for a in db.session.scalars(select(Article).where(Article.id.in_(ids)))}
        return [{"id": a.id, "title": a.title, "visibility": a.visibility,
                 "public_ok": services.customer_can_read(a, ticket)}
                for a in (found.get(i) for i in ids) if a is not None]

    similar_ids = [int(s["id"]) for s in similar or [] if str(s.get("id", "")).isdigit()]
    result = {"similar": rows(similar_ids), "found": [], "query": query.strip()}
    if result["query"]:
        from kbdesk.search import services as search

        try:
            page = search.search(current_user, result["query"], {"kind": "article"},
                                 limit=SEARCH_LIMIT)
            result["found"] = rows([h.id for h in page.hits if h.kind == "article"])
        except ServiceError as exc:
            result["error"] = _message(exc)
    return result


def article_feedback(article) -> dict:
    """What the article panel shows: the numbers, the viewer's vote and the comments."""
    data = stats.article_stats(current_user, article.id)
    data["my_vote"] = services.my_vote(current_user, article.id)
    data["comments"] = services.list_comments(current_user, article.id)
    return data


@bp.app_context_processor
def _panel_helpers() -> dict:
    return {"feedback_insertable": insertable_articles, "feedback_for_article": article_feedback,
            "feedback_markdown": render_markdown}


# --- actions ---------------------------------------------------------------------------------

@bp.post("/feedback/tickets/<number>/insert-link")
def insert_link(number: str):
    """Without JS: record the use and reopen the ticket with the link in the reply box."""
    ticket = get_ticket_by_number(current_user, number)
    internal = bool(request.form.get("internal"))
    try:
        _use, _url, markdown = services.insert_link(current_user, ticket.id, {
            "article_id": request.form.get("article_id", ""), "internal": internal})
    except ServiceError as exc:
        if exc.status == 404:
            raise
        from kbdesk.tickets.views import render_detail

        flash(_("The link was not inserted: %(reason)s", reason=_message(exc)), "error")
        return render_detail(ticket, 422)
    flash(_("Article link added to the reply below; it counts as a use."), "success")
    return redirect(url_for("tickets.detail", number=ticket.number, reply=markdown,
                            internal="y" if internal else None, _anchor="reply"))


def _article_page(article_id: int, status: int):
    return render_article(kb.get_article(current_user, article_id)), status


@bp.post("/kb/<int:article_id>/vote")
def vote(article_id: int):
    """Staff answer "was this helpful?" (one answer per user, changeable)."""
    try:
        services.vote(current_user, article_id, request.form.get("helpful", ""))
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(_message(exc), "error")
        return _article_page(article_id, 422)
    flash(_("Thank you for your feedback."), "success")
    return redirect(url_for("kb.article", article_id=article_id, _anchor="feedback"))


@bp.post("/kb/<int:article_id>/comments")
def comment(article_id: int):
    """Add an internal comment for the article's authors."""
    try:
        services.add_comment(current_user, article_id, {"body": request.form.get("body", "")})
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(_("The comment was not saved: %(reason)s", reason=_message(exc)), "error")
        return _article_page(article_id, 422)
    flash(_("Comment added."), "success")
    return redirect(url_for("kb.article", article_id=article_id, _anchor="comments"))


@bp.post("/kb/comments/<int:comment_id>/resolve")
def resolve(comment_id: int):
    """Mark a comment resolved, or open it again."""
    row = services.set_resolved(current_user, comment_id, request.form.get("resolved") == "1")
    return redirect(url_for("kb.article", article_id=row.article_id, _anchor="comments"))


# --- stats pages -----------------------------------------------------------------------------

@bp.get("/kb/<int:article_id>/stats")
def article_stats(article_id: int):
    """One article's views over 90 days, uses, votes and the tickets it helped resolve."""
    data = stats.article_stats(current_user, article_id)
    return render_template("feedback/stats.html", s=data, chart=stats.chart_bars(data["daily"]))


@bp.get("/kb/stats")
def index():
    """Every article's numbers for authors, sortable."""
    sort = request.args.get("sort", "views")
    if sort not in stats.SORTS:
        sort = "views"
    try:
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError:
        offset = 0
    rows, total = stats.list_stats(current_user, sort, limit=50, offset=offset)
    return render_template("feedback/index.html", rows=rows, total=total, sort=sort,
                           sorts=stats.SORTS, offset=offset, limit=50)
