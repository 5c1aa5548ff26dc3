"""Rules for customers, applications and contacts; add and flush, never commit."""

from __future__ import annotations

from zoneinfo import available_timezones

from sqlalchemy import func, select

from kbdesk.accounts.permissions import customer_scope, require_admin, require_roles
from kbdesk.customers.models import ENVIRONMENTS, LANGUAGES, Application, Contact, Customer
from kbdesk.errors import Conflict, NotFound
from kbdesk.extensions import db
from kbdesk.validation import DOMAIN_RE, SLUG_RE, Checker, slugify

EDITORS = ("admin", "specialist")


def list_customers(actor, *, limit: int = 50, offset: int = 0, q: str = "") -> tuple[list[Customer], int]:
    """Customers the actor may see, with the total count."""
    stmt = select(Customer)
    if (scope := customer_scope(actor)) is not None:
        stmt = stmt.where(Customer.id == scope)
    if q:
        stmt = stmt.where(Customer.name.ilike(f"%{q}%") | Customer.slug.ilike(f"%{q}%"))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = db.session.scalars(stmt.order_by(Customer.name).limit(limit).offset(offset)).all()
    return list(items), total or 0


def get_customer(actor, slug: str) -> Customer:
    """One customer by slug; another customer's answers NotFound."""
    customer = db.session.scalar(select(Customer).where(Customer.slug == slug))
    if customer is None:
        raise NotFound("No such customer.")
    scope = customer_scope(actor)
    if scope is not None and scope != customer.id:
        raise NotFound("No such customer.")
    return customer


def get_customer_by_id(actor, customer_id: int) -> Customer:
    """One customer by id, scoped like get_customer."""
    customer = db.session.get(Customer, customer_id)
    scope = customer_scope(actor)
    if customer is None or (scope is not None and scope != customer.id):
        raise NotFound("No such customer.")
    return customer


def _customer_fields(c: Checker, customer: Customer | None) -> dict:
    partial = customer is not None
    out: dict = {}
    if not partial or c.has("name"):
        out["name"] = c.text("name", required=True)
    if not partial or c.has("slug"):
        slug = c.text("slug", max_len=80) or slugify(out.get("name", ""))
        if slug and not SLUG_RE.match(slug):
            c.error("slug", "Use lower-case letters, digits and hyphens.")
        elif not slug:
            c.error("slug", "This field is required.")
        out["slug"] = slug
    if not partial or c.has("timezone"):
        tz = c.text("timezone", max_len=64, default="Europe/Prague") or "Europe/Prague"
        if tz not in available_timezones():
            c.error("timezone", "Unknown time zone.")
        out["timezone"] = tz
    if not partial or c.has("language"):
        out["language"] = c.choice("language", LANGUAGES, default="cs")
    if not partial or c.has("allowed_domains"):
        domains = [d.lower().lstrip("@") for d in c.string_list("allowed_domains")]
        bad = [d for d in domains if not DOMAIN_RE.match(d)]
        if bad:
            c.error("allowed_domains", "Not a domain: " + ", ".join(bad))
        out["allowed_domains"] = domains
    if not partial or c.has("active"):
        out["active"] = c.boolean("active", default=True)
    if not partial or c.has("portal_sees_all"):
        out["portal_sees_all"] = c.boolean("portal_sees_all", default=True)
    return out


def _check_slug_free(slug: str, customer: Customer | None) -> None:
    other = db.session.scalar(select(Customer).where(Customer.slug == slug))
    if other is not None and other is not customer:
        raise Conflict("A customer with this slug already exists.", {"slug": "Already taken."})


def create_customer(actor, data: dict) -> Customer:
    """Create a customer (administrators)."""
    require_admin(actor)
    c = Checker(data)
    fields = _customer_fields(c, None)
    c.done()
    _check_slug_free(fields["slug"], None)
    customer = Customer(**fields)
    db.session.add(customer)
    db.session.flush()
    return customer


def update_customer(actor, slug: str, data: dict) -> Customer:
    """Change a customer's fields (administrators); only given fields change."""
    customer = get_customer(actor, slug)
    require_admin(actor)
    c = Checker(data)
    fields = _customer_fields(c, customer)
    c.done()
    if "slug" in fields:
        _check_slug_free(fields["slug"], customer)
    for key, value in fields.items():
        setattr(customer, key, value)
    db.session.flush()
    return customer


def _application_fields(c: Checker, partial: bool) -> dict:
    out: dict = {}
    if not partial or c.has("name"):
        out["name"] = c.text("name", required=True)
    if not partial or c.has("environment"):
        out["environment"] = c.choice("environment", ENVIRONMENTS, default="prod")
    for key, max_len in (("platform", 200), ("version", 50), ("url", 500), ("notes", 20000)):
        if not partial or c.has(key):
            out[key] = c.text(key, max_len=max_len)
    url = out.get("url")
    if url and not url.startswith(("http://", "https://")):
        c.error("url", "Must start with http:// or https://.")
    return out


def list_applications(actor, customer: Customer) -> list[Application]:
    """A customer's applications (the customer is already scoped)."""
    return list(customer.applications)


def get_application(actor, application_id: int) -> Application:
    """One application, scoped to the actor's customer."""
    app = db.session.get(Application, application_id)
    scope = customer_scope(actor)
    if app is None or (scope is not None and scope != app.customer_id):
        raise NotFound("No such application.")
    return app


def _check_app_unique(customer: Customer, name: str, env: str, app: Application | None) -> None:
    other = db.session.scalar(
        select(Application).where(
            Application.customer_id == customer.id,
            Application.name == name,
            Application.environment == env,
        )
    )
    if other is not None and other is not app:
        raise Conflict("This customer already has that application in that environment.",
                       {"name": "Already exists."})


def create_application(actor, customer: Customer, data: dict) -> Application:
    """Add an application to a customer (admins and specialists)."""
    require_roles(actor, *EDITORS)
    c = Checker(data)
    fields = _application_fields(c, False)
    c.done()
    _check_app_unique(customer, fields["name"], fields["environment"], None)
    app = Application(customer=customer, **fields)
    db.session.add(app)
    db.session.flush()
    return app


def update_application(actor, application_id: int, data: dict) -> Application:
    """Change an application's fields (admins and specialists)."""
    require_roles(actor, *EDITORS)
    app = get_application(actor, application_id)
    c = Checker(data)
    fields = _application_fields(c, True)
    c.done()
    _check_app_unique(app.customer, fields.get("name", app.name),
                      fields.get("environment", app.environment), app)
    for key, value in fields.items():
        setattr(app, key, value)
    db.session.flush()
    return app


def _contact_fields(c: Checker, partial: bool) -> dict:
    out: dict = {}
    if not partial or c.has("name"):
        out["name"] = c.text("name", required=True)
    if not partial or c.has("email"):
        out["email"] = c.email("email")
    if not partial or c.has("phone"):
        out["phone"] = c.text("phone", max_len=50)
    if not partial or c.has("role"):
        out["role"] = c.text("role", max_len=100)
    if not partial or c.has("language"):
        out["language"] = c.choice("language", LANGUAGES, default="cs")
    return out


def get_contact(actor, contact_id: int) -> Contact:
    """One contact, scoped to the actor's customer."""
    contact = db.session.get(Contact, contact_id)
    scope = customer_scope(actor)
    if contact is None or (scope is not None and scope != contact.customer_id):
        raise NotFound("No such contact.")
    return contact


def create_contact(actor, customer: Customer, data: dict) -> Contact:
    """Add a contact person to a customer (admins and specialists)."""
    require_roles(actor, *EDITORS)
    c = Checker(data)
    fields = _contact_fields(c, False)
    c.done()
    contact = Contact(customer=customer, **fields)
    db.session.add(contact)
    db.session.flush()
    return contact


def update_contact(actor, contact_id: int, data: dict) -> Contact:
    """Change a contact's fields (admins and specialists)."""
    require_roles(actor, *EDITORS)
    contact = get_contact(actor, contact_id)
    c = Checker(data)
    fields = _contact_fields(c, True)
    c.done()
    for key, value in fields.items():
        setattr(contact, key, value)
    db.session.flush()
    return contact
