"""Staff home (dashboard), language switch and health check."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from kbdesk.customers.models import Customer
from kbdesk.extensions import db
from kbdesk.web import LOCALES

bp = Blueprint("web", __name__)


@bp.get("/")
@login_required
def dashboard():
    """Staff dashboard; customer users go to their portal."""
    if not current_user.is_staff:
        return redirect(url_for("portal.home"))
    counts = {"customers": db.session.scalar(select(func.count(Customer.id)))}
    return render_template("dashboard.html", counts=counts)


@bp.get("/lang/<code>")
def set_language(code: str):
    """Remember the chosen UI language for this session."""
    if code in LOCALES:
        session["lang"] = code
    target = request.referrer or url_for("web.dashboard")
    if not target.startswith(request.host_url):
        target = url_for("web.dashboard")
    return redirect(target)


@bp.get("/healthz")
def health():
    """Liveness: the database answers."""
    db.session.execute(select(1))
    return {"status": "ok"}
