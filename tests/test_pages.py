"""Staff pages for customers, applications and contacts; errors; language switch."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.customers.models import Application, Contact, Customer
from tests.conftest import csrf_from


def test_customer_crud_pages(client, auth, users, db):
    auth.login("admin@kbdesk.test")
    html = client.get("/customers/new").get_data(as_text=True)
    resp = client.post("/customers/new", data={
        "csrf_token": csrf_from(html), "name": "Vodárny Plzeň", "slug": "",
        "timezone": "Europe/Prague", "language": "cs", "allowed_domains": "vodarny.example.cz",
        "active": "y"})
    assert resp.status_code == 302
    customer = db.session.scalar(select(Customer).where(Customer.slug == "vodarny-plzen"))
    assert customer.allowed_domains == ["vodarny.example.cz"]
    page = client.get("/customers/vodarny-plzen").get_data(as_text=True)
    assert "Vodárny Plzeň" in page

    html = client.get("/customers/vodarny-plzen/applications/new").get_data(as_text=True)
    resp = client.post("/customers/vodarny-plzen/applications/new", data={
        "csrf_token": csrf_from(html), "name": "Zákaznický portál", "environment": "prod",
        "platform": "IIS 10", "version": "1.2", "url": "https://portal.vodarny.example.cz",
        "notes": ""})
    assert resp.status_code == 302
    html = client.get("/customers/vodarny-plzen/contacts/new").get_data(as_text=True)
    resp = client.post("/customers/vodarny-plzen/contacts/new", data={
        "csrf_token": csrf_from(html), "name": "Karel Vodička", "email": "karel@vodarny.example.cz",
        "phone": "+420 377 000 000", "role": "IT", "language": "cs"})
    assert resp.status_code == 302
    page = client.get("/customers/vodarny-plzen").get_data(as_text=True)
    assert "Zákaznický portál" in page and "Karel Vodička" in page
    app_row = db.session.scalar(select(Application).where(Application.name == "Zákaznický portál"))
    html = client.get(f"/customers/vodarny-plzen/applications/{app_row.id}/edit").get_data(as_text=True)
    resp = client.post(f"/customers/vodarny-plzen/applications/{app_row.id}/edit", data={
        "csrf_token": csrf_from(html), "name": "Zákaznický portál", "environment": "prod",
        "version": "1.3", "url": "javascript:alert(1)"})
    assert resp.status_code == 422 and "Must start with http" in resp.get_data(as_text=True)
    db.session.refresh(app_row)
    assert app_row.version == "1.2"
    contact = db.session.scalar(select(Contact).where(Contact.name == "Karel Vodička"))
    assert contact.customer_id == customer.id


def test_customer_user_cannot_open_other_customer(client, auth, users):
    auth.login("alice@alfa.test")
    assert client.get("/customers/beta").status_code == 404
    assert client.get("/customers/alfa").status_code == 200
    assert client.get("/customers/").get_data(as_text=True).count("Beta a.s.") == 0
    assert client.get("/customers/alfa/contacts/new").status_code == 404


def test_language_switch_translates(client, auth, users):
    auth.login("spec@kbdesk.test")
    client.get("/lang/cs")
    cs = client.get("/customers/").get_data(as_text=True)
    client.get("/lang/en")
    en = client.get("/customers/").get_data(as_text=True)
    assert "Zákazníci" in cs and "Customers" in en


def test_404_page(client, auth, users):
    auth.login("spec@kbdesk.test")
    resp = client.get("/no/such/page")
    assert resp.status_code == 404 and "<html" in resp.get_data(as_text=True)


def test_500_page(app, client, auth, users, monkeypatch):
    from kbdesk.customers import services

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(services, "list_customers", boom)
    auth.login("spec@kbdesk.test")
    resp = client.get("/customers/")
    assert resp.status_code == 500 and "kaboom" not in resp.get_data(as_text=True)


def test_security_headers(client):
    resp = client.get("/login")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
