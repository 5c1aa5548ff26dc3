"""Staff pages for customers, their applications and contacts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from kbdesk.customers import services
from kbdesk.customers.forms import ApplicationForm, ContactForm, CustomerForm
from kbdesk.errors import ServiceError
from kbdesk.web.forms import apply_errors, form_data

bp = Blueprint("customers", __name__, url_prefix="/customers")


@bp.get("/")
@login_required
def index():
    """Customers the user may see, searchable by name."""
    q = request.args.get("q", "").strip()
    items, total = services.list_customers(current_user, q=q, limit=500)
    return render_template("customers/index.html", customers=items, total=total, q=q)


@bp.get("/<slug>")
@login_required
def detail(slug: str):
    """One customer with its applications and contacts."""
    customer = services.get_customer(current_user, slug)
    return render_template("customers/detail.html", customer=customer)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str | None = None):
    """Create or edit a customer (administrators)."""
    if not current_user.is_admin:
        abort(403)
    customer = services.get_customer(current_user, slug) if slug else None
    form = CustomerForm(obj=customer)
    if request.method == "GET" and customer is not None:
        form.allowed_domains.data = ", ".join(customer.allowed_domains or [])
    if form.validate_on_submit():
        try:
            if customer is None:
                saved = services.create_customer(current_user, form_data(form))
            else:
                saved = services.update_customer(current_user, customer.slug, form_data(form))
        except ServiceError as exc:
            apply_errors(form, exc)
            return render_template("customers/form.html", form=form, customer=customer), 422
        flash(_("Customer %(name)s saved.", name=saved.name), "success")
        return redirect(url_for("customers.detail", slug=saved.slug))
    return render_template("customers/form.html", form=form, customer=customer)


@bp.route("/<slug>/applications/new", methods=["GET", "POST"])
@bp.route("/<slug>/applications/<int:app_id>/edit", methods=["GET", "POST"])
@login_required
def application_edit(slug: str, app_id: int | None = None):
    """Create or edit an application of a customer."""
    customer = services.get_customer(current_user, slug)
    app = services.get_application(current_user, app_id) if app_id else None
    if app is not None and app.customer_id != customer.id:
        abort(404)
    if not current_user.is_staff:
        abort(404)
    form = ApplicationForm(obj=app)
    if form.validate_on_submit():
        try:
            if app is None:
                services.create_application(current_user, customer, form_data(form))
            else:
                services.update_application(current_user, app.id, form_data(form))
        except ServiceError as exc:
            apply_errors(form, exc)
            return render_template("customers/application_form.html", form=form,
                                   customer=customer, app=app), 422
        flash(_("Application saved."), "success")
        return redirect(url_for("customers.detail", slug=customer.slug))
    return render_template("customers/application_form.html", form=form, customer=customer, app=app)


@bp.route("/<slug>/contacts/new", methods=["GET", "POST"])
@bp.route("/<slug>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def contact_edit(slug: str, contact_id: int | None = None):
    """Create or edit a contact person of a customer."""
    customer = services.get_customer(current_user, slug)
    contact = services.get_contact(current_user, contact_id) if contact_id else None
    if contact is not None and contact.customer_id != customer.id:
        abort(404)
    if not current_user.is_staff:
        abort(404)
    form = ContactForm(obj=contact)
    if form.validate_on_submit():
        try:
            if contact is None:
                services.create_contact(current_user, customer, form_data(form))
            else:
                services.update_contact(current_user, contact.id, form_data(form))
        except ServiceError as exc:
            apply_errors(form, exc)
            return render_template("customers/contact_form.html", form=form,
                                   customer=customer, contact=contact), 422
        flash(_("Contact saved."), "success")
        return redirect(url_for("customers.detail", slug=customer.slug))
    return render_template("customers/contact_form.html", form=form, customer=customer,
                           contact=contact)
