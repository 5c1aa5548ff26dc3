"""Review pages: the review queue, stale articles, and the review panel's forms."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from kbdesk.accounts.models import STAFF_ROLES, User
from kbdesk.customers.models import Customer
from kbdesk.errors import ValidationError
from kbdesk.extensions import db
from kbdesk.kb import review, services
from kbdesk.kb import review_demo as _demo  # noqa: F401  (registers the demo hook)
from kbdesk.kb.views import render_article
from kbdesk.web.redirects import local_path

bp = Blueprint("kb_review", __name__, url_prefix="/kb")

PAGE_SIZE = 30
ACTIONS = {
    "submit": (review.submit, lambda a: _("Article submitted for review.")),
    "approve": (review.approve, lambda a: _("Article approved and published.")),
    "return": (review.return_to_author, lambda a: _("Article returned to the author.")),
    "reviewed": (review.mark_reviewed,
                 lambda a: _("Marked as reviewed; next review on %(d)s.", d=a.review_due)),
}


@bp.app_context_processor
def review_helpers() -> dict:
    """Give the article page's review panel and the nav what they need without view context."""
    return {"kb_review_state": review_state, "kb_review_count": _queue_count}


def _queue_count() -> int:
    return review.queue_count(current_user) if current_user.is_authenticated else 0


def review_state(article) -> dict:
    """What the review panel shows and which buttons the current user may press."""
    editor = services.can_edit(current_user)
    return {
        "stale": review.is_stale(article),
        "days_overdue": review.days_overdue(article),
        "may_submit": editor and article.status == "draft",
        "may_review": article.status == "in_review" and review.may_review(current_user, article),
        "own": article.status == "in_review" and not review.may_review(current_user, article),
        "may_mark": editor and article.status == "published",
        "may_edit_date": editor,
        "reviewers": [u for u in review.reviewers() if review.may_review(u, article)]
        if editor and article.status == "draft" else [],
        "last": review.history(current_user, article.id)[:3],
    }


@bp.before_request
@login_required
def staff_only():
    """Review is staff work; customers get 404 like for anything they may not see."""
    if not current_user.is_staff:
        abort(404)


@bp.post("/<int:article_id>/review/<action>")
def act(article_id: int, action: str):
    """Submit, approve, return or mark reviewed; form errors show again with 422."""
    if action not in ACTIONS:
        abort(404)
    fn, message = ACTIONS[action]
    data = {k: request.form.get(k, "") for k in ("comment", "reviewer_id")}
    back = local_path(request.form.get("next"))
    try:
        item = fn(current_user, article_id, data)
    except ValidationError as exc:
        db.session.rollback()
        return _article_page(article_id, exc.fields or {"_": exc.message}), 422
    except review.OwnChange:
        db.session.rollback()
        return _article_page(article_id, {"_": _(
            "You wrote the latest revision of this article; someone else must review it.")}), 403
    flash(message(item), "success")
    return redirect(back or url_for("kb.article", article_id=item.id))


@bp.post("/<int:article_id>/review-date")
def review_date(article_id: int):
    """Change an article's review date (editors)."""
    try:
        services.update_article(current_user, article_id,
                                {"review_due": request.form.get("review_due", "")})
    except ValidationError as exc:
        db.session.rollback()
        return _article_page(article_id, exc.fields or {"_": exc.message}), 422
    flash(_("Review date saved."), "success")
    return redirect(local_path(request.form.get("next"))
                    or url_for("kb.article", article_id=article_id))


def _article_page(article_id: int, errors: dict) -> str:
    return render_article(services.get_article(current_user, article_id), review_errors=errors)


@bp.get("/review")
def queue():
    """Articles waiting for review, mine first, each with its changes since publication."""
    try:
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError:
        offset = 0
    items, total = review.review_queue(current_user, limit=PAGE_SIZE, offset=offset)
    rows = [{"article": a, "may_review": review.may_review(current_user, a),
             "base": review.published_base(a),
             "diff": review.changes_since_published(current_user, a),
             "submitted": next((r for r in review.history(current_user, a.id)
                                if r.action == "submitted"), None)} for a in items]
    return render_template("kb/review_queue.html", rows=rows, total=total, offset=offset,
                           limit=PAGE_SIZE)


@bp.get("/stale")
def stale():
    """Published articles past their review date, most overdue first."""
    filters = {k: request.args.get(k, "").strip() for k in ("customer", "author", "sort")}
    filters = {k: v for k, v in filters.items() if v}
    try:
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError:
        offset = 0
    try:
        items, total = review.stale_articles(current_user, filters, limit=PAGE_SIZE,
                                             offset=offset)
        errors = {}
    except ValidationError as exc:
        items, total, errors = [], 0, exc.fields
    customers = db.session.scalars(select(Customer).order_by(Customer.name)).all()
    authors = db.session.scalars(select(User).where(User.role.in_(STAFF_ROLES))
                                 .order_by(User.name)).all()
    return render_template("kb/stale.html", items=items, total=total, offset=offset,
                           limit=PAGE_SIZE, filters=filters, customers=customers,
                           authors=authors, errors=errors,
                           overdue=review.days_overdue), (422 if errors else 200)
