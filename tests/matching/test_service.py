"""Matching through the real surfaces: a new ticket shows similar tickets, articles, notes."""

from __future__ import annotations

import pytest

from kbdesk.kb import services as kb
from kbdesk.tickets import services as tickets


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def history(db, users, make):
    """Past tickets of both customers, articles of every visibility and config notes."""
    spec, admin = users["specialist"], users["admin"]
    portal = make.Application(customer=users["alfa"], name="Portal", environment="prod")
    old = tickets.open_ticket(spec, {"customer": "alfa", "application": portal.id,
                                     "subject": "Portal certificate expired, browsers warn",
                                     "description": "TLS certificate on the portal expired "
                                                    "this morning, users see a warning."},
                              channel="phone")
    tickets.add_message(spec, old, "Renewed the certificate with win-acme and rebound IIS.")
    tickets.update_ticket(spec, old.id, {"status": "resolved"})
    other = tickets.open_ticket(spec, {"customer": "beta", "subject": "Beta certificate expired",
                                       "description": "Expired TLS certificate on eshop."},
                                channel="phone")
    arts = {
        "public": kb.create_article(admin, {"title": "Renewing an expired TLS certificate",
                                            "body": "When the certificate expired, renew it.",
                                            "visibility": "public", "status": "published"}),
        "internal": kb.create_article(admin, {"title": "Certificate expired runbook (internal)",
                                              "body": "Internal steps for expired certificate.",
                                              "visibility": "internal", "status": "published"}),
        "beta": kb.create_article(admin, {"title": "Beta certificate expired procedure",
                                          "body": "Beta only certificate expired.",
                                          "visibility": "customer", "customer": "beta",
                                          "status": "published"}),
        "alfa_note": kb.create_article(admin, {"title": "Alfa portal servers and certificate",
                                               "body": "Portal runs on IIS; certificate expired "
                                                       "in the past, renewed by win-acme.",
                                               "kind": "config", "visibility": "internal",
                                               "customer": "alfa", "application": portal.id,
                                               "status": "published"}),
    }
    db.session.commit()
    return {"old": old, "other": other, "portal": portal, **arts}


def test_api_ticket_comes_back_with_similar(client, history, users, make):
    token = make.token(users["specialist"])
    resp = client.post("/api/v1/tickets", headers=bearer(token), json={
        "customer": "alfa", "subject": "Certificate expired on the portal",
        "description": "Browsers say the certificate expired."})
    assert resp.status_code == 201, resp.get_json()
    similar = resp.get_json()["similar"]
    ticket_ids = [t["id"] for t in similar["tickets"]]
    assert history["old"].id in ticket_ids
    first = next(t for t in similar["tickets"] if t["id"] == history["old"].id)
    assert first["status"] == "resolved" and "win-acme" in first["resolution"]
    assert first["reasons"], first
    titles = {a["title"] for a in similar["articles"]}
    assert {"Renewing an expired TLS certificate", "Certificate expired runbook (internal)"} <= titles
    assert "Beta certificate expired procedure" not in titles
    assert [n["title"] for n in similar["notes"]] == ["Alfa portal servers and certificate"]
    again = client.get(f"/api/v1/tickets/{resp.get_json()['id']}/similar", headers=bearer(token))
    assert again.status_code == 200 and again.get_json()["similar"]["tickets"]


def test_customer_never_gets_what_it_may_not_read(client, history, users, make):
    token = make.token(users["alice"])
    resp = client.post("/api/v1/tickets", headers=bearer(token), json={
        "subject": "Certificate expired", "description": "The certificate expired."})
    assert resp.status_code == 201, resp.get_json()
    similar = resp.get_json()["similar"]
    assert history["other"].id not in [t["id"] for t in similar["tickets"]]
    assert {a["title"] for a in similar["articles"]} == {"Renewing an expired TLS certificate"}
    assert similar["notes"] == []
    body = str(resp.get_json())
    assert "internal" not in body.lower() or "Certificate expired runbook" not in body


def test_ticket_page_shows_the_panel(client, auth, history, users):
    spec = users["specialist"]
    new = tickets.open_ticket(spec, {"customer": "alfa", "subject": "Portal certificate expired"},
                              channel="web")
    from kbdesk.extensions import db

    db.session.commit()
    auth.login("spec@kbdesk.test")
    html = client.get(f"/tickets/{new.number}").get_data(as_text=True)
    assert history["old"].number in html
    assert "Renewing an expired TLS certificate" in html
    assert "Alfa portal servers and certificate" in html
