"""Sign-in, users, teams and personal API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from kbdesk.accounts import services
from kbdesk.accounts.forms import LoginForm, TeamForm, TokenForm, UserForm
from kbdesk.accounts.models import ApiToken
from kbdesk.customers.models import Customer
from kbdesk.errors import ServiceError, Throttled
from kbdesk.extensions import db
from kbdesk.web.forms import apply_errors, form_data
from kbdesk.web.redirects import local_path

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    return local_path(target) or url_for("web.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with e-mail and password; failures are throttled."""
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data,
                                         request.remote_addr or "")
        except Throttled as exc:
            form.form_errors.append(exc.message)
            status = 429
        except ServiceError:
            # The failed attempt must be stored: it is what throttling counts.
            g.commit_anyway = True
            form.form_errors.append(_("Wrong e-mail or password."))
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Sign out."""
    logout_user()
    return redirect(url_for("accounts.login"))


def _admin_only():
    if not current_user.is_admin:
        abort(403)


def _customer_choices():
    customers = db.session.scalars(select(Customer).order_by(Customer.name))
    return [("", "—")] + [(c.slug, c.name) for c in customers]


@bp.get("/users")
@login_required
def users():
    """All users (staff)."""
    if not current_user.is_staff:
        abort(404)
    return render_template("accounts/users.html", users=services.list_users(current_user))


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def user_edit(user_id: int | None = None):
    """Create or edit a user (administrators)."""
    _admin_only()
    user = services.get_user(current_user, user_id) if user_id else None
    form = UserForm(obj=user)
    form.customer.choices = _customer_choices()
    if request.method == "GET" and user is not None:
        form.customer.data = user.customer.slug if user.customer else ""
    if form.validate_on_submit():
        data = form_data(form)
        try:
            if user is None:
                saved = services.create_user(current_user, data)
            else:
                saved = services.update_user(current_user, user.id, data)
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash(_("User %(email)s saved.", email=saved.email), "success")
            return redirect(url_for("accounts.users"))
        return render_template("accounts/user_form.html", form=form, user=user), 422
    return render_template("accounts/user_form.html", form=form, user=user)


@bp.get("/teams")
@login_required
def teams():
    """Teams and their members (staff)."""
    if not current_user.is_staff:
        abort(404)
    return render_template("accounts/teams.html", teams=services.list_teams())


@bp.route("/teams/new", methods=["GET", "POST"])
@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@login_required
def team_edit(team_id: int | None = None):
    """Create or edit a team (administrators)."""
    _admin_only()
    team = services.get_team(team_id) if team_id else None
    form = TeamForm(obj=team)
    staff = [u for u in services.list_users(current_user) if u.is_staff]
    form.members.choices = form.leads.choices = [(u.id, f"{u.name} ({u.role})") for u in staff]
    if request.method == "GET" and team is not None:
        form.members.data = [m.user_id for m in team.members]
        form.leads.data = [m.user_id for m in team.members if m.is_lead]
    if form.validate_on_submit():
        try:
            services.save_team(current_user, form_data(form), team.id if team else None)
        except ServiceError as exc:
            apply_errors(form, exc)
            return render_template("accounts/team_form.html", form=form, team=team), 422
        flash(_("Team saved."), "success")
        return redirect(url_for("accounts.teams"))
    return render_template("accounts/team_form.html", form=form, team=team)


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """My API tokens; a new token is shown once."""
    form = TokenForm()
    plain = None
    if form.validate_on_submit():
        _token, plain = services.create_token(current_user, form.name.data)
        form = TokenForm(formdata=None)
    mine = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template("accounts/tokens.html", form=form, tokens=mine, plain=plain)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int):
    """Revoke one of my tokens."""
    services.revoke_token(current_user, token_id)
    flash(_("Token revoked."), "success")
    return redirect(url_for("accounts.tokens"))
