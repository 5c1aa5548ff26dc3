"""Staff pages: calendars, policies and contracts (admins edit), at-risk list, report, notices."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from kbdesk.customers.models import Customer
from kbdesk.errors import ServiceError
from kbdesk.extensions import db
from kbdesk.sla import clock, contracts, integration, notify, panels, report
from kbdesk.sla.calendar import format_hours
from kbdesk.sla.forms import (
    CalendarForm,
    ContractForm,
    PolicyForm,
    policy_field_errors,
    policy_payload,
)
from kbdesk.sla.models import Calendar
from kbdesk.tickets.models import SEVERITIES
from kbdesk.web.forms import apply_errors, form_data
from kbdesk.web.redirects import local_path

bp = Blueprint("sla", __name__, url_prefix="/sla", static_folder="static",
               static_url_path="/static")
bp.record_once(lambda state: integration.init_app(state.app))


def _staff() -> None:
    # Customer users do not learn that staff pages exist.
    if not current_user.is_staff:
        abort(404)


def _admin() -> None:
    _staff()
    if not current_user.is_admin:
        abort(403)


@bp.get("/")
@login_required
def index():
    """Calendars, policies and contracts."""
    _staff()
    return render_template(
        "sla/index.html", calendars=contracts.list_calendars(current_user),
        policies=contracts.list_policies(current_user),
        contracts=contracts.list_contracts(current_user), severities=SEVERITIES,
        format_hours=format_hours, format_minutes=contracts.format_minutes)


@bp.route("/calendars/new", methods=["GET", "POST"])
@bp.route("/calendars/<int:calendar_id>/edit", methods=["GET", "POST"])
@login_required
def calendar_edit(calendar_id: int | None = None):
    """Create or change a business calendar (administrators)."""
    _admin()
    cal = contracts.get_calendar(current_user, calendar_id) if calendar_id else None
    form = CalendarForm(obj=cal)
    if request.method == "GET" and cal is not None:
        form.hours.data = "" if cal.kind == "24x7" else format_hours(cal.business().hours)
        form.holidays.data = "\n".join(f"{h.day.isoformat()} {h.name}".strip()
                                       for h in cal.holidays)
    if form.validate_on_submit():
        try:
            saved = contracts.save_calendar(current_user, form_data(form), calendar_id)
        except ServiceError as exc:
            apply_errors(form, exc)
            return render_template("sla/calendar_form.html", form=form, calendar=cal), 422
        flash(_("Calendar %(name)s saved.", name=saved.name), "success")
        return redirect(url_for("sla.index"))
    return render_template("sla/calendar_form.html", form=form, calendar=cal)


def _calendar_choices() -> list[tuple[str, str]]:
    return [(str(c.id), c.name) for c in db.session.scalars(select(Calendar).order_by(Calendar.name))]


@bp.route("/policies/new", methods=["GET", "POST"])
@bp.route("/policies/<int:policy_id>/edit", methods=["GET", "POST"])
@login_required
def policy_edit(policy_id: int | None = None):
    """Create or change a policy and its per-severity targets (administrators)."""
    _admin()
    policy = contracts.get_policy(current_user, policy_id) if policy_id else None
    form = PolicyForm(obj=policy)
    choices = _calendar_choices()
    for sev in SEVERITIES:
        getattr(form, f"{sev}_calendar").choices = choices
    if request.method == "GET" and policy is not None:
        form.warning_percent.data = str(policy.warning_percent)
        for t in policy.targets:
            getattr(form, f"{t.severity}_first_response").data = contracts.format_minutes(
                t.first_response_minutes)
            getattr(form, f"{t.severity}_resolution").data = contracts.format_minutes(
                t.resolution_minutes)
            getattr(form, f"{t.severity}_update").data = contracts.format_minutes(t.update_minutes)
            getattr(form, f"{t.severity}_calendar").data = str(t.calendar_id)
    if form.validate_on_submit():
        try:
            saved = contracts.save_policy(current_user, policy_payload(form_data(form)), policy_id)
        except ServiceError as exc:
            exc.fields = policy_field_errors(exc.fields)
            apply_errors(form, exc)
            return render_template("sla/policy_form.html", form=form, policy=policy,
                                   severities=SEVERITIES), 422
        flash(_("Policy %(name)s saved.", name=saved.name), "success")
        return redirect(url_for("sla.index"))
    return render_template("sla/policy_form.html", form=form, policy=policy, severities=SEVERITIES)


@bp.route("/contracts/new", methods=["GET", "POST"])
@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@login_required
def contract_edit(contract_id: int | None = None):
    """Create or change a customer's contract (administrators)."""
    _admin()
    contract = contracts.get_contract(current_user, contract_id) if contract_id else None
    form = ContractForm(obj=contract)
    form.customer.choices = [(c.slug, c.name) for c in db.session.scalars(
        select(Customer).order_by(Customer.name))]
    form.policy.choices = [(str(p.id), p.name) for p in contracts.list_policies(current_user)]
    if request.method == "GET":
        if contract is not None:
            form.customer.data, form.policy.data = contract.customer.slug, str(contract.policy_id)
        elif request.args.get("customer"):
            form.customer.data = request.args["customer"]
    if form.validate_on_submit():
        data = form_data(form)
        slug = data.pop("customer", "")
        # An existing contract stays with its customer (the field is disabled then).
        customer = contract.customer if contract is not None else db.session.scalar(
            select(Customer).where(Customer.slug == slug))
        try:
            if customer is None:
                raise ServiceError("No such customer.", {"customer": _("No such customer.")})
            saved = contracts.save_contract(current_user, customer, data, contract_id)
        except ServiceError as exc:
            apply_errors(form, exc)
            return render_template("sla/contract_form.html", form=form, contract=contract), 422
        flash(_("Contract %(name)s saved.", name=saved.name), "success")
        return redirect(url_for("customers.detail", slug=saved.customer.slug))
    return render_template("sla/contract_form.html", form=form, contract=contract)


@bp.get("/at-risk")
@login_required
def at_risk():
    """Open tickets at risk of a breach, and breached ones."""
    _staff()
    return render_template("sla/at_risk.html", data=panels.at_risk(clock.now(), limit=200))


def _report_args():
    month = report.parse_month(request.args.get("month"), clock.now().date())
    slug = request.args.get("customer") or None
    return month, slug, report.build(current_user, month, slug)


@bp.get("/report")
@login_required
def compliance():
    """Compliance per customer for a month, or one customer over twelve months, with a chart."""
    _staff()
    month, slug, rows = _report_args()
    labels = [r.month if slug else r.customer_name for r in rows]
    chart = report.bar_chart(rows, labels, _("SLA met, per cent")) if rows else None
    return render_template("sla/report.html", rows=rows, month=month, slug=slug, chart=chart,
                           customers=report.report_customers(current_user),
                           prev_month=report.add_months(month, -1),
                           next_month=report.add_months(month, 1))


@bp.get("/report.csv")
@login_required
def compliance_csv():
    """The same report as CSV."""
    _staff()
    month, slug, rows = _report_args()
    name = f"sla-{slug + '-' if slug else ''}{month:%Y-%m}.csv"
    return Response(report.to_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/notifications")
@login_required
def notifications():
    """The user's notices, newest first."""
    _staff()
    return render_template("sla/notifications.html", items=notify.recent(current_user))


@bp.post("/notifications/read")
@bp.post("/notifications/<int:notification_id>/read")
@login_required
def notifications_read(notification_id: int | None = None):
    """Mark one notice, or all, read."""
    _staff()
    notify.mark_read(current_user, notification_id, clock.now())
    return redirect(local_path(request.form.get("next")) or url_for("sla.notifications"))
