"""API: customers, their applications and contacts."""

from __future__ import annotations

from flask import request

from kbdesk.api.blueprint import actor, iso, json_body, page, page_args, route
from kbdesk.customers import services

SLUG = [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}]
PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
]


def customer_json(c) -> dict:
    """A customer as the API shows it."""
    return {
        "id": c.id, "name": c.name, "slug": c.slug, "timezone": c.timezone,
        "language": c.language, "allowed_domains": c.allowed_domains or [],
        "portal_sees_all": c.portal_sees_all, "active": c.active, "created_at": iso(c.created_at),
    }


def application_json(a) -> dict:
    """An application as the API shows it."""
    return {
        "id": a.id, "customer": a.customer.slug, "name": a.name, "environment": a.environment,
        "platform": a.platform, "version": a.version, "url": a.url, "notes": a.notes,
    }


def contact_json(c) -> dict:
    """A contact as the API shows it."""
    return {
        "id": c.id, "customer": c.customer.slug, "name": c.name, "email": c.email,
        "phone": c.phone, "role": c.role, "language": c.language,
    }


@route("/customers", ["GET"], "List customers (a customer token sees its own)", tag="customers",
       params=PAGING + [{"name": "q", "in": "query", "schema": {"type": "string"}}],
       response={"$ref": "#/components/schemas/CustomerPage"})
def customers_list():
    """GET /customers."""
    limit, offset = page_args()
    items, total = services.list_customers(actor(), limit=limit, offset=offset,
                                           q=request.args.get("q", "").strip())
    return page([customer_json(c) for c in items], total, limit, offset)


@route("/customers", ["POST"], "Create a customer (admin)", tag="customers", status=201,
       body={"$ref": "#/components/schemas/CustomerInput"},
       response={"$ref": "#/components/schemas/Customer"})
def customers_create():
    """POST /customers."""
    customer = services.create_customer(actor(), json_body())
    return customer_json(customer), 201


@route("/customers/<slug>", ["GET"], "One customer", tag="customers", params=SLUG,
       response={"$ref": "#/components/schemas/Customer"})
def customers_get(slug: str):
    """GET /customers/<slug>."""
    return customer_json(services.get_customer(actor(), slug))


@route("/customers/<slug>", ["PATCH"], "Change a customer (admin)", tag="customers", params=SLUG,
       body={"$ref": "#/components/schemas/CustomerInput"},
       response={"$ref": "#/components/schemas/Customer"})
def customers_patch(slug: str):
    """PATCH /customers/<slug>."""
    return customer_json(services.update_customer(actor(), slug, json_body()))


@route("/customers/<slug>/applications", ["GET"], "A customer's applications",
       tag="customers", params=SLUG + PAGING,
       response={"$ref": "#/components/schemas/ApplicationPage"})
def applications_list(slug: str):
    """GET /customers/<slug>/applications."""
    limit, offset = page_args()
    customer = services.get_customer(actor(), slug)
    apps = services.list_applications(actor(), customer)
    return page([application_json(a) for a in apps[offset:offset + limit]], len(apps), limit, offset)


@route("/customers/<slug>/applications", ["POST"], "Add an application", tag="customers",
       params=SLUG, status=201, body={"$ref": "#/components/schemas/ApplicationInput"},
       response={"$ref": "#/components/schemas/Application"})
def applications_create(slug: str):
    """POST /customers/<slug>/applications."""
    customer = services.get_customer(actor(), slug)
    return application_json(services.create_application(actor(), customer, json_body())), 201


@route("/customers/<slug>/contacts", ["GET"], "A customer's contacts", tag="customers",
       params=SLUG + PAGING, response={"$ref": "#/components/schemas/ContactPage"})
def contacts_list(slug: str):
    """GET /customers/<slug>/contacts."""
    limit, offset = page_args()
    customer = services.get_customer(actor(), slug)
    contacts = list(customer.contacts)
    return page([contact_json(c) for c in contacts[offset:offset + limit]], len(contacts),
                limit, offset)


@route("/customers/<slug>/contacts", ["POST"], "Add a contact", tag="customers", params=SLUG,
       status=201, body={"$ref": "#/components/schemas/ContactInput"},
       response={"$ref": "#/components/schemas/Contact"})
def contacts_create(slug: str):
    """POST /customers/<slug>/contacts."""
    customer = services.get_customer(actor(), slug)
    return contact_json(services.create_contact(actor(), customer, json_body())), 201
