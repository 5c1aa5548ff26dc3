"""Staff pages for tickets: the queues and the ticket page (actions and intake live beside)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from kbdesk.accounts.models import STAFF_ROLES, Team, User
from kbdesk.customers.models import Customer
from kbdesk.extensions import db
from kbdesk.tickets import links as link_service
from kbdesk.tickets import queues, timeline
from kbdesk.tickets.attachments import visible_attachments
from kbdesk.tickets.forms import (
    LinkForm,
    MergeForm,
    ReplyForm,
    TriageForm,
    VisitForm,
    WatcherForm,
)
from kbdesk.tickets.models import SEVERITIES, STATUSES, Ticket
from kbdesk.tickets.render import render_markdown
from kbdesk.tickets.services import get_ticket_by_number
from kbdesk.tickets.severity import suggest_severity
from kbdesk.tickets.similar import severities_of, similar_for
from kbdesk.tickets.visits import list_visits

bp = Blueprint("tickets", __name__, url_prefix="/tickets")
PAGE_SIZE = 50
DASHBOARD_PANEL = "tickets/_dashboard.html"


@bp.app_template_filter("ticket_markdown")
def ticket_markdown(text: str):
    """Message bodies as sanitised Markdown."""
    return render_markdown(text)


# Globals rather than context: imported macros see globals, not the render context.
bp.add_app_template_global(timeline.status_label, "status_label")
bp.add_app_template_global(timeline.severity_label, "severity_label")
bp.add_app_template_global(timeline.link_label, "link_label")


@bp.record_once
def _dashboard_panel(state) -> None:
    # The dashboard loops over a shared global list; other features append theirs too.
    env = state.app.jinja_env
    panels = env.globals.setdefault("dashboard_panels", [])
    if DASHBOARD_PANEL not in panels:
        panels.append(DASHBOARD_PANEL)
    env.globals["ticket_dashboard"] = lambda: queues.dashboard(current_user)


def staff_users() -> list[User]:
    """Active staff, for assignee, watcher and engineer choices."""
    return list(db.session.scalars(select(User).where(
        User.role.in_(STAFF_ROLES), User.active.is_(True)).order_by(User.name)))


def all_teams() -> list[Team]:
    """Every team, by name."""
    return list(db.session.scalars(select(Team).order_by(Team.name)))


@bp.get("/")
@login_required
def index():
    """The queues: mine, my teams', unassigned, all open, by customer, by severity, all."""
    if not current_user.is_staff:
        abort(403)
    key = request.args.get("queue") or "mine"
    if key not in queues.QUEUE_KEYS:
        key = "open"
    try:
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError:
        offset = 0
    tickets, total, order = queues.run_queue(current_user, key, request.args, limit=PAGE_SIZE,
                                             offset=offset)
    return render_template(
        "tickets/index.html", tickets=tickets, total=total, limit=PAGE_SIZE, offset=offset,
        queue=key, queues=queues.QUEUES, order=order, orders=queues.ORDERS,
        counts=queues.queue_counts(current_user), statuses=STATUSES, severities=SEVERITIES,
        customers=list(db.session.scalars(select(Customer).order_by(Customer.name))),
        staff=staff_users(), args=request.args)


def triage_form(ticket: Ticket, form: TriageForm | None = None,
                staff: list[User] | None = None) -> TriageForm:
    """The status/severity/assignee/team form with its choices."""
    form = form or TriageForm(data={
        "status": ticket.status, "severity": ticket.severity,
        "assignee": str(ticket.assignee_id or ""), "team": str(ticket.team_id or "")})
    staff = staff if staff is not None else staff_users()
    form.assignee.choices = [("", "—")] + [(str(u.id), u.name) for u in staff]
    form.team.choices = [("", "—")] + [(str(t.id), t.name) for t in all_teams()]
    return form


def detail_context(ticket: Ticket, **forms) -> dict:
    """Everything the ticket page shows, for the current user."""
    actor = current_user
    ctx: dict = {
        "ticket": ticket, "entries": timeline.timeline(actor, ticket),
        "attachments": visible_attachments(actor, ticket),
        # ?reply=…&internal=y prefill the reply (an inserted article link, without JS).
        "reply_form": forms.get("reply_form") or ReplyForm(data={
            "body": request.args.get("reply", ""), "internal": bool(request.args.get("internal"))}),
    }
    if not actor.is_staff:
        return ctx
    similar = similar_for(actor, ticket)
    severity, reason = suggest_severity(ticket.description, severities_of(similar),
                                        subject=ticket.subject)
    watcher_ids = {w.user_id for w in ticket.watchers}
    staff = staff_users()
    watcher_form = forms.get("watcher_form") or WatcherForm()
    watcher_form.user.choices = [(str(u.id), u.name) for u in staff if u.id not in watcher_ids]
    visit_form = forms.get("visit_form") or VisitForm(data={"engineer": str(actor.id)})
    visit_form.engineer.choices = [(str(u.id), u.name) for u in staff]
    ctx.update(
        triage_form=triage_form(ticket, forms.get("triage_form"), staff),
        link_form=forms.get("link_form") or LinkForm(),
        merge_form=forms.get("merge_form") or MergeForm(),
        watcher_form=watcher_form, visit_form=visit_form,
        links=link_service.links_of(ticket), visits=list_visits(actor, ticket),
        similar=similar, suggestion={"severity": severity, "reason": reason},
        is_watching=actor.id in watcher_ids,
    )
    return ctx


def render_detail(ticket: Ticket, status: int = 200, **forms):
    """The ticket page (status 422 when a form on it failed)."""
    return render_template("tickets/detail.html", **detail_context(ticket, **forms)), status


@bp.get("/<number>")
@login_required
def detail(number: str):
    """The ticket page: header, timeline, reply, links, visits, similar panel."""
    return render_detail(get_ticket_by_number(current_user, number))


# Routes in sibling modules register on bp when this module loads.
from kbdesk.tickets import demo, views_actions, views_intake  # noqa: E402,F401
