"""New tickets from staff: the web form, the phone-call form and their autocomplete lookups."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from kbdesk.customers.models import Application, Customer
from kbdesk.errors import ServiceError
from kbdesk.extensions import db
from kbdesk.tickets import intake
from kbdesk.tickets.attachments import add_attachment
from kbdesk.tickets.forms import NewTicketForm, PhoneForm
from kbdesk.tickets.views import bp
from kbdesk.web.forms import apply_errors, form_data


def _require_staff():
    if not current_user.is_staff:
        abort(403)


def _customer_for(form) -> Customer | None:
    raw = form.customer.data or form.customer_query.data or ""
    return intake.resolve_customer(current_user, raw) if raw.strip() else None


def _application_choices(form: NewTicketForm) -> None:
    customer = _customer_for(form)
    apps = customer.applications if customer is not None else []
    form.application.choices = [("", "—")] + [(str(a.id), f"{a.name} ({a.environment})")
                                              for a in apps]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """A new ticket typed in by staff (channel web)."""
    _require_staff()
    form = NewTicketForm()
    if request.method == "GET" and (slug := request.args.get("customer")):
        customer = intake.resolve_customer(current_user, slug)
        if customer is not None:
            form.customer.data, form.customer_query.data = customer.slug, customer.name
    _application_choices(form)
    if form.validate_on_submit():
        try:
            ticket = intake.open_web_ticket(current_user, form_data(form))
            for f in form.files.data or []:
                if getattr(f, "filename", ""):
                    add_attachment(current_user, ticket, f.stream, f.filename)
        except ServiceError as exc:
            db.session.rollback()
            if exc.status in (403, 404):
                raise
            apply_errors(form, exc)
            _application_choices(form)
            return render_template("tickets/new.html", form=form), 422
        flash(_("Ticket %(number)s created.", number=ticket.number), "success")
        return redirect(url_for("tickets.detail", number=ticket.number))
    status = 422 if request.method == "POST" else 200
    return render_template("tickets/new.html", form=form), status


@bp.route("/phone", methods=["GET", "POST"])
@login_required
def phone():
    """Log a phone call as a ticket in one screen."""
    _require_staff()
    form = PhoneForm()
    if form.validate_on_submit():
        try:
            ticket = intake.log_phone_call(current_user, form_data(form))
        except ServiceError as exc:
            db.session.rollback()
            if exc.status in (403, 404):
                raise
            apply_errors(form, exc)
            return render_template("tickets/phone.html", form=form), 422
        flash(_("Phone call logged as %(number)s.", number=ticket.number), "success")
        return redirect(url_for("tickets.detail", number=ticket.number))
    status = 422 if request.method == "POST" else 200
    return render_template("tickets/phone.html", form=form), status


@bp.get("/lookup/customers")
@login_required
def lookup_customers():
    """JSON for the customer autocomplete: ?q= part of the name or slug."""
    _require_staff()
    items = intake.lookup_customers(current_user, request.args.get("q", ""))
    return jsonify(items=[{"id": c.id, "slug": c.slug, "name": c.name} for c in items])


def _lookup_customer() -> Customer | None:
    raw = (request.args.get("customer") or "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return db.session.get(Customer, int(raw))
    return db.session.scalar(select(Customer).where(Customer.slug == raw))


@bp.get("/lookup/contacts")
@login_required
def lookup_contacts():
    """JSON for the contact autocomplete: ?customer=<slug>&q= part of name, e-mail or phone."""
    _require_staff()
    customer = _lookup_customer()
    if customer is None:
        return jsonify(items=[])
    items = intake.lookup_contacts(current_user, customer, request.args.get("q", ""))
    return jsonify(items=[{"id": c.id, "name": c.name, "email": c.email, "phone": c.phone,
                           "role": c.role} for c in items])


@bp.get("/lookup/applications")
@login_required
def lookup_applications():
    """JSON: the applications of ?customer=<slug>."""
    _require_staff()
    customer = _lookup_customer()
    if customer is None:
        return jsonify(items=[])
    apps = db.session.scalars(select(Application).where(Application.customer_id == customer.id)
                              .order_by(Application.name))
    return jsonify(items=[{"id": a.id, "name": a.name, "environment": a.environment}
                          for a in apps])
