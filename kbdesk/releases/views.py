"""Staff pages: releases per application, planning tickets into them, releasing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kbdesk.errors import ServiceError
from kbdesk.kb.render import render_markdown
from kbdesk.releases import demo as _demo  # noqa: F401  (registers the demo hook)
from kbdesk.releases import services

bp = Blueprint("releases", __name__, url_prefix="/releases")


@bp.before_request
@login_required
def staff_only():
    """Customers read releases in the portal; these pages are for staff."""
    if not current_user.is_staff:
        abort(404)


@bp.route("/", methods=["GET", "POST"])
def index():
    """Every application's releases, and a form to add one."""
    errors: dict = {}
    form = {k: request.form.get(k, "") for k in
            ("application", "version", "planned_on", "state", "notes")}
    if request.method == "POST":
        try:
            app_id = int(form["application"]) if form["application"].isdigit() else 0
            data = {k: v for k, v in form.items() if v != ""}
            release = services.create_release(current_user, app_id, data)
        except ServiceError as exc:
            errors = exc.fields or {"_": exc.message}
        else:
            flash(_("Release %(version)s created.", version=release.version), "success")
            return redirect(url_for("releases.detail", release_id=release.id))
    apps = services.customer_applications(current_user)
    rows = [(a, services.list_releases(current_user, a.id)) for a in apps]
    return render_template("releases/index.html", rows=rows, apps=apps, form=form,
                           errors=errors), (422 if errors else 200)


@bp.route("/<int:release_id>", methods=["GET", "POST"])
def detail(release_id: int):
    """A release: its tickets, planning another one, changing its state."""
    release = services.get_release(current_user, release_id)
    errors: dict = {}
    if request.method == "POST":
        try:
            if request.form.get("action") == "plan":
                services.plan_ticket(current_user, release.id, request.form.get("ticket", ""))
                flash(_("Ticket planned."), "success")
            else:
                data = {k: request.form[k] for k in ("state", "planned_on", "version", "notes")
                        if k in request.form}
                services.update_release(current_user, release.id, data)
                flash(_("Release saved."), "success")
        except ServiceError as exc:
            if exc.status == 404 and "ticket" not in request.form:
                raise
            errors = exc.fields or {"_": exc.message}
        else:
            return redirect(url_for("releases.detail", release_id=release.id))
    return render_template("releases/detail.html", release=release,
                           tickets=services.fixed_tickets(current_user, release),
                           notes=render_markdown(release.notes), errors=errors), (
        422 if errors else 200)
