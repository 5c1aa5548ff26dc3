"""The staff search page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from kbdesk.errors import ValidationError
from kbdesk.gaps import services as gaps
from kbdesk.search import services

bp = Blueprint("search", __name__, url_prefix="/search")
PER_PAGE = 20


@bp.get("/")
@login_required
def index():
    """Search everything the user may read, with filters, facets and snippets."""
    if not current_user.is_staff:
        abort(404)
    q = request.args.get("q", "")
    filters = {k: request.args.get(k, "") for k in services.FILTERS}
    try:
        offset = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        offset = 0
    error = None
    page = None
    if q.strip() or any(filters.values()):
        try:
            page = services.search(current_user, q, filters, limit=PER_PAGE, offset=offset)
        except ValidationError as exc:
            error = "; ".join(exc.fields.values())
    search_log_id = gaps.log_page(current_user, "staff", q, page, offset) if q.strip() else None
    return render_template("search/index.html", q=q, filters=filters, page=page, error=error,
                           per_page=PER_PAGE, offset=offset, search_log_id=search_log_id)
