"""Pages: monitors (staff), their charts and incident history, and customer status pages."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from kbdesk.customers.models import Application, Customer
from kbdesk.db_types import utcnow
from kbdesk.errors import ServiceError
from kbdesk.extensions import db
from kbdesk.monitor import charts, services, status
from kbdesk.monitor.aggregates import uptimes
from kbdesk.monitor.forms import MonitorForm, WindowForm
from kbdesk.monitor.models import ProbeResult
from kbdesk.web.forms import apply_errors, form_data

bp = Blueprint("monitor", __name__)
PAGE = 50

LAYER_LABELS = {"dns": _l("DNS"), "tcp_connect": _l("TCP connect"),
                "tls_handshake": _l("TLS handshake"), "tls_expiry": _l("TLS expiry"),
                "http_status": _l("HTTP status"), "keyword": _l("Keyword"),
                "latency": _l("Latency"), "timeout": _l("Timeout"),
                "blocked": _l("Blocked (SSRF guard)")}
STATE_LABELS = {"up": _l("up"), "down": _l("down"), "failing": _l("failing"),
                "maintenance": _l("maintenance"), "paused": _l("paused"),
                "unknown": _l("unknown")}
KIND_LABELS = {"http": "HTTP(S)", "tcp": "TCP", "tls": "TLS", "dns": "DNS"}


@bp.app_context_processor
def monitor_helpers():
    """Labels and links the monitor templates share."""
    return {"layer_label": lambda k: LAYER_LABELS.get(k, k or "—"),
            "state_label": lambda s: STATE_LABELS.get(s, s),
            "kind_label": lambda k: KIND_LABELS.get(k, k), "ticket_url": ticket_url,
            "percent": percent}


def percent(value: float | None) -> str:
    """99.95 % or a dash."""
    if value is None:
        return "—"
    return f"{value * 100:.2f} %" if value < 1 else "100 %"


def ticket_url(ticket) -> str | None:
    """The staff page of a ticket, whatever the tickets feature names its argument."""
    if ticket is None or not current_user.is_authenticated or not current_user.is_staff:
        return None
    for rule in current_app.url_map.iter_rules("tickets.detail"):
        if "number" in rule.arguments:
            return url_for("tickets.detail", number=ticket.number)
        if "ticket_id" in rule.arguments:
            return url_for("tickets.detail", ticket_id=ticket.id)
    return None


def _staff() -> None:
    if not current_user.is_staff:
        abort(404)


def _editor() -> None:
    if current_user.role not in services.EDITORS:
        abort(403)


@bp.get("/monitors/")
@login_required
def index():
    """Monitors with state and uptime over 24 h, 7 d and 30 d."""
    if not current_user.is_staff:
        return redirect(url_for("monitor.status_page", slug=current_user.customer.slug))
    filters = {k: request.args.get(k, "") for k in ("customer", "state", "kind", "q")}
    offset = max(request.args.get("offset", 0, type=int), 0)
    items, total = services.list_monitors(current_user, filters, limit=PAGE, offset=offset)
    now = utcnow()
    return render_template(
        "monitor/index.html", monitors=items, total=total, limit=PAGE, offset=offset,
        filters=filters, uptime=uptimes([m.id for m in items], now),
        states={m.id: services.display_state(m, now) for m in items},
        customers=db.session.scalars(select(Customer).order_by(Customer.name)).all())


def _app_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(Application, Customer.name).join(
        Customer, Application.customer_id == Customer.id).order_by(Customer.name,
                                                                    Application.name)).all()
    return [(a.id, f"{customer} — {a.name} ({a.environment})") for a, customer in rows]


@bp.route("/monitors/new", methods=["GET", "POST"])
@bp.route("/monitors/<int:monitor_id>/edit", methods=["GET", "POST"])
@login_required
def edit(monitor_id: int | None = None):
    """Create or change a monitor (administrators and specialists)."""
    _staff()
    _editor()
    monitor = services.get_monitor(current_user, monitor_id) if monitor_id else None
    form = MonitorForm(obj=monitor)
    form.application.choices = _app_choices()
    if request.method == "GET" and monitor is None:
        form.application.data = request.args.get("application", type=int)
    if not current_user.is_admin:
        del form.internal
    if form.validate_on_submit():
        data = form_data(form)
        try:
            if monitor is None:
                saved = services.create_monitor(current_user, data)
            else:
                saved = services.update_monitor(current_user, monitor.id, data)
        except ServiceError as exc:
            apply_errors(form, exc)
            return render_template("monitor/form.html", form=form, monitor=monitor), 422
        flash(_("Monitor %(name)s saved.", name=saved.name), "success")
        return redirect(url_for("monitor.detail", monitor_id=saved.id))
    code = 422 if request.method == "POST" else 200
    return render_template("monitor/form.html", form=form, monitor=monitor), code


def _render_detail(monitor, window_form: WindowForm, code: int = 200):
    now = utcnow()
    results = db.session.scalars(select(ProbeResult).where(ProbeResult.monitor_id == monitor.id)
                                 .order_by(ProbeResult.slot_at.desc()).limit(50)).all()
    outages, outage_total = services.list_outages(current_user, {"monitor": monitor.id},
                                                  limit=20)
    chart = charts.chart(monitor.id, request.args.get("range", "24h"), now)
    return render_template(
        "monitor/detail.html", monitor=monitor, state=services.display_state(monitor, now),
        uptime=uptimes([monitor.id], now)[monitor.id], results=results, outages=outages,
        outage_total=outage_total, chart=chart, window_form=window_form,
        ranges=list(charts.RANGES)), code


@bp.get("/monitors/<int:monitor_id>")
@login_required
def detail(monitor_id: int):
    """One monitor: settings, chart, recent results, incidents and maintenance windows."""
    _staff()
    return _render_detail(services.get_monitor(current_user, monitor_id), WindowForm())


@bp.post("/monitors/<int:monitor_id>/check")
@login_required
def check(monitor_id: int):
    """Probe once now and show what came back (nothing is stored)."""
    _staff()
    _editor()
    outcome = services.check_now(current_user, monitor_id)
    if outcome["ok"]:
        flash(_("Check passed in %(ms)s ms: %(detail)s", ms=outcome["latency_ms"],
                detail=outcome["detail"]), "success")
    else:
        flash(_("Check failed at %(layer)s: %(detail)s", layer=LAYER_LABELS.get(
            outcome["layer"], outcome["layer"]), detail=outcome["detail"]), "error")
    return redirect(url_for("monitor.detail", monitor_id=monitor_id))


@bp.post("/monitors/<int:monitor_id>/windows")
@login_required
def add_window(monitor_id: int):
    """Add a maintenance window."""
    _staff()
    _editor()
    monitor = services.get_monitor(current_user, monitor_id)
    form = WindowForm()
    if not form.validate_on_submit():
        return _render_detail(monitor, form, 422)
    try:
        services.add_window(current_user, monitor_id, form_data(form))
    except ServiceError as exc:
        apply_errors(form, exc)
        return _render_detail(monitor, form, 422)
    flash(_("Maintenance window added."), "success")
    return redirect(url_for("monitor.detail", monitor_id=monitor_id))


@bp.post("/monitors/<int:monitor_id>/windows/<int:window_id>/delete")
@login_required
def delete_window(monitor_id: int, window_id: int):
    """Remove a maintenance window."""
    _staff()
    _editor()
    services.delete_window(current_user, monitor_id, window_id)
    flash(_("Maintenance window removed."), "success")
    return redirect(url_for("monitor.detail", monitor_id=monitor_id))


@bp.get("/monitors/incidents")
@login_required
def incidents():
    """Incident history: every outage, its downtime and its ticket."""
    _staff()
    filters = {"customer": request.args.get("customer", ""),
               "open": request.args.get("open", "")}
    offset = max(request.args.get("offset", 0, type=int), 0)
    outages, total = services.list_outages(current_user, filters, limit=PAGE, offset=offset)
    return render_template("monitor/incidents.html", outages=outages, total=total, limit=PAGE,
                           offset=offset, filters=filters,
                           customers=db.session.scalars(select(Customer)
                                                        .order_by(Customer.name)).all())


@bp.get("/status/<slug>")
@login_required
def status_page(slug: str):
    """A customer's status page for its own users and for staff."""
    data = status.for_slug(current_user, slug)
    page = status.page_for(data["customer"]) if current_user.is_admin else None
    return render_template("monitor/status.html", status=data, page=page)


@bp.get("/status/p/<token>")
def public_status(token: str):
    """The public status page behind its unguessable token."""
    response = current_app.make_response(render_template(
        "monitor/status_public.html", status=status.for_token(token)))
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/status/<slug>/public")
@login_required
def public_link(slug: str):
    """Turn the public link on (a fresh token) or off (administrators)."""
    enabled = request.form.get("enabled") == "1"
    status.set_public(current_user, slug, enabled)
    flash(_("Public status link created.") if enabled else _("Public status link removed."),
          "success")
    return redirect(url_for("monitor.status_page", slug=slug))
