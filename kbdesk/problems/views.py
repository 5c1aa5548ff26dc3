"""Staff pages: the problem list, a problem (edit, accept/reject, tickets), the ticket panel."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from kbdesk.accounts.models import STAFF_ROLES, User
from kbdesk.customers.models import Application
from kbdesk.db_types import utcnow
from kbdesk.errors import ServiceError
from kbdesk.extensions import db
from kbdesk.kb.render import render_markdown
from kbdesk.problems import demo as _demo  # noqa: F401  (registers the demo hook)
from kbdesk.problems import services
from kbdesk.problems.forms import (
    STATUS_CHOICES,
    AcceptForm,
    ConfirmForm,
    LinkTicketForm,
    PanelLinkForm,
    ProblemForm,
)
from kbdesk.problems.models import Problem
from kbdesk.problems.proposals import proposed_count
from kbdesk.releases.models import Release
from kbdesk.web.forms import apply_errors

bp = Blueprint("problems", __name__, url_prefix="/problems")
WEEKS = 12


@bp.app_template_global("problems_for_ticket")
def problems_for_ticket(ticket):
    """The ticket panel's data: linked problems and a link form (empty for customers)."""
    if not current_user.is_authenticated or not current_user.is_staff:
        return {"linked": [], "form": None}
    linked = services.problems_for_ticket(current_user, ticket)
    form = PanelLinkForm()
    ids = {p.id for p in linked}
    form.problem.choices = [(str(p.id), f"{p.number} {p.title}")
                            for p in services.linkable_problems(current_user) if p.id not in ids]
    return {"linked": linked, "form": form}


@bp.app_template_global("problem_proposals")
def problem_proposals() -> int:
    """Proposals waiting for a decision, for the nav badge."""
    return proposed_count() if current_user.is_authenticated and current_user.is_staff else 0


bp.add_app_template_global(render_markdown, "problem_markdown")
bp.add_app_template_global(lambda s: dict(STATUS_CHOICES).get(s, s), "problem_status_label")


@bp.before_request
@login_required
def staff_only():
    """Problems are internal: customers never see them."""
    if not current_user.is_staff:
        abort(404)


def _choices(form: ProblemForm, problem: Problem | None) -> ProblemForm:
    apps = db.session.scalars(select(Application).order_by(Application.name))
    form.application_id.choices = [("", "—")] + [
        (str(a.id), f"{a.customer.name} · {a.name}") for a in apps]
    current = problem.release_id if problem else None
    rels = db.session.scalars(select(Release).where(
        (Release.state != "released") | (Release.id == current)).order_by(Release.id.desc()))
    form.release_id.choices = [("", "—")] + [
        (str(r.id), f"{r.application.name} {r.version}") for r in rels]
    staff = db.session.scalars(select(User).where(User.role.in_(STAFF_ROLES),
                                                  User.active.is_(True)).order_by(User.name))
    form.owner_id.choices = [("", "—")] + [(str(u.id), u.name) for u in staff]
    return form


def _data(form: ProblemForm) -> dict:
    return {k: getattr(form, k).data or "" for k in
            ("title", "status", "application_id", "release_id", "owner_id", "root_cause",
             "workaround")}


@bp.get("/")
def index():
    """Problems with their status, ticket count and fix release; filter by status."""
    status = request.args.get("status") or None
    if status not in dict(STATUS_CHOICES):
        status = None
    rows, _total = services.list_problems(current_user, status)
    return render_template("problems/index.html", rows=rows, status=status,
                           counts=services.status_counts(current_user), statuses=STATUS_CHOICES)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Open a problem by hand."""
    form = _choices(ProblemForm(data={"status": "open", "owner_id": str(current_user.id)}), None)
    if form.validate_on_submit():
        try:
            problem = services.create_problem(current_user, _data(form))
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash(_("Problem %(number)s opened.", number=problem.number), "success")
            return redirect(url_for("problems.detail", problem_id=problem.id))
    return render_template("problems/new.html", form=form), (422 if form.errors or
                                                             form.form_errors else 200)


def _weekly(problem: Problem) -> list[tuple[str, int]]:
    """Linked tickets opened per week over the last WEEKS weeks (oldest first)."""
    now = utcnow()
    counts = [0] * WEEKS
    for t in services.linked_tickets(problem):
        age = (now - t.created_at).days // 7
        if 0 <= age < WEEKS:
            counts[WEEKS - 1 - age] += 1
    return [((now - timedelta(weeks=WEEKS - 1 - i)).strftime("%d.%m."), n)
            for i, n in enumerate(counts)]


def render_detail(problem: Problem, form=None, accept_form=None, link_form=None,
                  error: str = ""):
    """The problem page (422 when a form on it failed)."""
    if form is None:
        form = ProblemForm(obj=problem, formdata=None)
        for key in ("application_id", "release_id", "owner_id"):
            getattr(form, key).data = str(getattr(problem, key) or "")
    _choices(form, problem)
    accept_form = accept_form or AcceptForm(data={"title": problem.title}, formdata=None)
    link_form = link_form or LinkTicketForm(formdata=None)
    failed = bool(error) or any(f.errors or f.form_errors for f in (form, accept_form, link_form))
    return render_template("problems/detail.html", problem=problem, form=form,
                           accept_form=accept_form, link_form=link_form, error=error,
                           confirm_form=ConfirmForm(formdata=None),
                           tickets=services.linked_tickets(problem), weekly=_weekly(problem)), (
        422 if failed else 200)


@bp.route("/<int:problem_id>", methods=["GET", "POST"])
def detail(problem_id: int):
    """A problem: edit root cause, workaround, status and release; its tickets."""
    problem = services.get_problem(current_user, problem_id)
    if request.method == "GET":
        return render_detail(problem)
    form = ProblemForm()
    if form.validate_on_submit():
        try:
            services.update_problem(current_user, problem.id, _data(form))
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash(_("Problem saved."), "success")
            return redirect(url_for("problems.detail", problem_id=problem.id))
    return render_detail(problem, form=form)


from kbdesk.problems import views_actions  # noqa: E402,F401  (accept, reject, link routes)
