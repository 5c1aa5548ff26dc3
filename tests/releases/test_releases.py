"""Releases through the API and the staff pages; releasing notifies the reporters."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.mail.models import OutboundMail
from kbdesk.tickets import services as tickets
from kbdesk.tickets.models import TicketEvent
from tests.conftest import csrf_from


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_api_create_plan_release_notifies(client, users, make, db):
    app = make.Application(customer=users["alfa"], name="Portal")
    t = tickets.open_ticket(users["alice"], {"subject": "Broken export"}, channel="portal")
    db.session.commit()
    staff = bearer(make.token(users["developer"]))
    resp = client.post(f"/api/v1/applications/{app.id}/releases", headers=staff,
                       json={"version": "2.4", "planned_on": "2026-12-15", "notes": "# Fixes"})
    assert resp.status_code == 201, resp.get_json()
    rel = resp.get_json()
    assert rel["state"] == "planned" and rel["planned_on"] == "2026-12-15"
    dup = client.post(f"/api/v1/applications/{app.id}/releases", headers=staff,
                      json={"version": "2.4"})
    assert dup.status_code == 422 and "version" in dup.get_json()["error"]["fields"]
    bad = client.post(f"/api/v1/applications/{app.id}/releases", headers=staff,
                      json={"version": "2.5", "planned_on": "15.12."})
    assert bad.status_code == 422
    plan = client.post(f"/api/v1/releases/{rel['id']}/tickets", headers=staff,
                       json={"ticket": t.number})
    assert plan.status_code == 201
    assert [x["number"] for x in plan.get_json()["tickets"]] == [t.number]
    listed = client.get(f"/api/v1/applications/{app.id}/releases", headers=staff).get_json()
    assert [r["version"] for r in listed["items"]] == ["2.4"]
    done = client.patch(f"/api/v1/releases/{rel['id']}", headers=staff, json={"state": "released"})
    assert done.status_code == 200 and done.get_json()["released_on"]
    mails = list(db.session.scalars(select(OutboundMail).where(OutboundMail.ticket_id == t.id,
                                                               OutboundMail.kind == "notification")))
    assert [m.to_addr for m in mails] == ["alice@alfa.test"]
    assert "2.4" in mails[0].subject
    assert db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == t.id,
                                                       TicketEvent.kind == "release"))


def test_customers_read_but_never_write_releases(client, users, make, db):
    app = make.Application(customer=users["alfa"], name="Portal")
    staff = bearer(make.token(users["developer"]))
    rel = client.post(f"/api/v1/applications/{app.id}/releases", headers=staff,
                      json={"version": "1.0"}).get_json()
    alice = bearer(make.token(users["alice"]))
    assert client.get(f"/api/v1/releases/{rel['id']}", headers=alice).status_code == 200
    assert client.post(f"/api/v1/applications/{app.id}/releases", headers=alice,
                       json={"version": "1.1"}).status_code == 403
    assert client.patch(f"/api/v1/releases/{rel['id']}", headers=alice,
                        json={"state": "released"}).status_code == 403


def test_cannot_plan_other_customers_ticket(client, users, make, db):
    app = make.Application(customer=users["alfa"], name="Portal")
    t = tickets.open_ticket(users["bob"], {"subject": "Beta issue"}, channel="portal")
    db.session.commit()
    staff = bearer(make.token(users["developer"]))
    rel = client.post(f"/api/v1/applications/{app.id}/releases", headers=staff,
                      json={"version": "1.0"}).get_json()
    resp = client.post(f"/api/v1/releases/{rel['id']}/tickets", headers=staff,
                       json={"ticket": t.number})
    assert resp.status_code == 422


def test_staff_pages_create_and_plan(client, auth, users, make, db):
    app = make.Application(customer=users["alfa"], name="Portal")
    t = tickets.open_ticket(users["alice"], {"subject": "Broken export"}, channel="portal")
    db.session.commit()
    auth.login("dev@kbdesk.test")
    html = client.get("/releases/").get_data(as_text=True)
    resp = client.post("/releases/", data={"csrf_token": csrf_from(html), "application": app.id,
                                           "version": "2.4", "planned_on": "2026-12-15"})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    resp = client.post(resp.headers["Location"], data={
        "csrf_token": csrf_from(page), "action": "plan", "ticket": t.number})
    assert resp.status_code == 302
    assert t.number in client.get(resp.headers["Location"]).get_data(as_text=True)
    bad = client.post("/releases/", data={"csrf_token": csrf_from(html), "application": app.id,
                                          "version": ""})
    assert bad.status_code == 422


def test_customer_has_no_staff_release_pages(client, auth, users):
    auth.login("alice@alfa.test")
    assert client.get("/releases/").status_code == 404


def test_demo_adds_releases_and_announcements_once(runner, db):
    from sqlalchemy import func

    from kbdesk.portal.models import Announcement
    from kbdesk.releases.models import Release

    for _ in range(2):
        result = runner.invoke(args=["demo", "--no-serve"])
        assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Release)) == 3
    assert db.session.scalar(select(func.count()).select_from(Announcement)) == 2
