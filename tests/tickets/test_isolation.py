"""Tenant isolation: alice of `alfa` never reaches `beta`'s tickets, on any route."""

from __future__ import annotations

import io

import pytest

from kbdesk.tickets import services
from kbdesk.tickets.attachments import add_attachment
from kbdesk.tickets.models import Ticket


@pytest.fixture
def beta_ticket(db, users, open_ticket):
    ticket = open_ticket(customer="beta", subject="Beta's secret outage")
    services.add_message(users["specialist"], ticket, "Public answer to Beta")
    add_attachment(users["specialist"], ticket, b"beta log", "beta.log")
    db.session.commit()
    return ticket


def test_api_routes_answer_404_for_another_customers_ticket(api, beta_ticket, db, open_ticket):
    own = open_ticket(subject="Alfa's own")
    alice = api("alice")
    t = beta_ticket.id
    att = beta_ticket.attachments[0].id
    calls = [
        ("get", f"/tickets/{t}", {}),
        ("patch", f"/tickets/{t}", {"json": {"status": "closed"}}),
        ("get", f"/tickets/{t}/similar", {}),
        ("get", f"/tickets/{t}/messages", {}),
        ("post", f"/tickets/{t}/messages", {"json": {"body": "hi"}}),
        ("get", f"/tickets/{t}/events", {}),
        ("get", f"/tickets/{t}/links", {}),
        ("post", f"/tickets/{t}/links", {"json": {"kind": "related_to", "target": own.number}}),
        ("post", f"/tickets/{t}/merge", {"json": {"target": own.number}}),
        ("get", f"/tickets/{t}/attachments", {}),
        ("post", f"/tickets/{t}/attachments", {"data": {"file": (io.BytesIO(b"x"), "x.txt")},
                                               "content_type": "multipart/form-data"}),
        ("get", f"/tickets/{t}/attachments/{att}", {}),
        ("get", f"/tickets/{t}/visits", {}),
        ("post", f"/tickets/{t}/visits", {"json": {}}),
    ]
    for method, path, kwargs in calls:
        resp = getattr(alice, method)(path, **kwargs)
        assert resp.status_code == 404, (method, path, resp.status_code)
        assert "Beta" not in resp.get_data(as_text=True)
    listing = alice.get("/tickets").json
    assert [i["number"] for i in listing["items"]] == [own.number]
    assert alice.get("/tickets?customer=beta").json["total"] == 0
    db.session.refresh(beta_ticket)
    assert beta_ticket.status == "open" and len(beta_ticket.messages) == 1


def test_pages_answer_404_for_another_customers_ticket(client, auth, beta_ticket):
    auth.login("alice@alfa.test")
    n = beta_ticket.number
    token = auth.csrf("/customers/alfa")
    att = beta_ticket.attachments[0].id
    assert client.get(f"/tickets/{n}").status_code == 404
    assert client.get(f"/tickets/{n}/attachments/{att}").status_code == 404
    for path in ("triage", "reply", "watchers", "watchers/1/remove", "links", "links/1/remove",
                 "merge", "visits"):
        resp = client.post(f"/tickets/{n}/{path}", data={"csrf_token": token, "body": "x",
                                                          "target": n, "kind": "related_to"})
        assert resp.status_code == 404, path
        assert "secret outage" not in resp.get_data(as_text=True)


def test_customer_never_sees_internal_notes(api, client, auth, users, open_ticket, db):
    ticket = open_ticket(actor=users["alice"], channel="portal", customer=None)
    services.add_message(users["developer"], ticket, "INTERNAL: customer misconfigured DNS",
                         internal=True)
    services.add_message(users["specialist"], ticket, "Please check your DNS settings.")
    services.update_ticket(users["specialist"], ticket.id,
                           {"assignee": users["developer"].id})
    db.session.commit()
    alice = api("alice")
    bodies = [m["body"] for m in alice.get(f"/tickets/{ticket.id}/messages").json["items"]]
    assert bodies == ["Please check your DNS settings."]
    events = alice.get(f"/tickets/{ticket.id}/events").json["items"]
    assert all(e["public"] for e in events)
    assert not any(e["kind"] == "assignee" for e in events)
    auth.login("alice@alfa.test")
    html = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "Please check your DNS" in html and "INTERNAL" not in html


def test_portal_users_who_see_only_their_own(api, users, open_ticket, db, make):
    alfa = users["alfa"]
    alfa.portal_sees_all = False
    carol = make.User(role="customer", email="carol@alfa.test", name="Carol", customer=alfa)
    mine = open_ticket(actor=users["alice"], channel="portal", customer=None)
    db.session.commit()
    assert api("alice").get(f"/tickets/{mine.id}").status_code == 200
    from tests.factories import token_for
    from tests.tickets.conftest import Api

    carol_api = Api(api("alice").client, token_for(carol))
    assert carol_api.get(f"/tickets/{mine.id}").status_code == 404
    assert db.session.query(Ticket).count() == 1
