"""Staff pages: the "articles to write" report, dismissing a gap, opening a logged result."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kbdesk.errors import ServiceError
from kbdesk.extensions import db
from kbdesk.gaps import demo as _demo  # noqa: F401  (registers the demo hook)
from kbdesk.gaps import report as reports
from kbdesk.gaps import services
from kbdesk.gaps import tickets as _tickets  # noqa: F401  (connects the ticket-opened handler)
from kbdesk.search.indexing import spec_for_kind

bp = Blueprint("gaps", __name__, url_prefix="/gaps")


@bp.before_request
@login_required
def staff_only():
    """Gap reports show every customer's searches: staff only, others get 404."""
    if not current_user.is_staff:
        abort(404)


@bp.get("/")
def index():
    """Ranked knowledge gaps with a chart of zero-result searches per week."""
    try:
        scope, days = reports.parse_filters(request.args.to_dict())
    except ServiceError as exc:
        return render_template("gaps/index.html", report=None, errors=exc.fields,
                               scopes=reports.FILTER_SCOPES, scope="", days=""), 422
    data = reports.report(current_user, scope, days)
    return render_template("gaps/index.html", report=data, errors={}, scope=scope, days=days,
                           scopes=reports.FILTER_SCOPES)


@bp.post("/dismiss")
def dismiss():
    """Take a gap off the report until it recurs."""
    try:
        services.dismiss(current_user, {"normalised": request.form.get("normalised", "")})
    except ServiceError as exc:
        flash(exc.fields.get("normalised") if exc.fields else exc.message, "error")
        return redirect(url_for("gaps.index")), 303
    flash(_("Gap dismissed. It returns if people keep searching for it."), "success")
    back = {k: request.form[k] for k in ("scope", "days") if request.form.get(k)}
    return redirect(url_for("gaps.index", **back)), 303


@bp.get("/open/<int:log_id>/<kind>/<int:obj_id>")
def open_result(log_id: int, kind: str, obj_id: int):
    """A staff search result link: record the click, then go to the result."""
    spec = spec_for_kind(kind)
    obj = db.session.get(spec.model, obj_id) if spec else None
    if obj is None or (spec.visible is not None and not spec.visible(current_user, obj)):
        abort(404)
    services.click_from_link(current_user, str(log_id), kind, obj_id)
    return redirect(spec.url(obj))


@bp.app_template_global()
def search_result_url(hit, log_id) -> str:
    """A staff search hit's link: through the click recorder when the search was logged."""
    if not log_id:
        return hit.url
    return url_for("gaps.open_result", log_id=log_id, kind=hit.kind, obj_id=hit.id)


@bp.app_template_global()
def gap_chart(weeks: list[dict]) -> dict:
    """Bar geometry for the zero-result chart."""
    return reports.chart(weeks)
