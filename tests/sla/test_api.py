"""SLA API: calendars, policies, contracts, ticket clocks, report, notices; roles and isolation."""

from __future__ import annotations

import pytest

from kbdesk.sla.models import Notification
from tests.sla.conftest import local, open_at, targets


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(sla, make):
    return {name: make.token(sla[name]) for name in ("admin", "specialist", "alice", "bob")}


def test_admin_creates_calendar_policy_and_contract(client, tokens, db):
    h = bearer(tokens["admin"])
    resp = client.post("/api/v1/sla/calendars", headers=h, json={
        "name": "Směny", "kind": "business", "hours": "Mon-Sat 06:00-22:00",
        "holidays": [{"day": "2026-12-31", "name": "Silvestr"}]})
    assert resp.status_code == 201, resp.get_json()
    cal = resp.get_json()
    assert cal["hours"] == "Mon-Sat 06:00-22:00" and cal["timezone"] == "Europe/Prague"
    assert cal["czech_holidays"] is True and cal["holidays"][0]["day"] == "2026-12-31"
    resp = client.post("/api/v1/sla/policies", headers=h, json={
        "name": "Shifts", "warning_percent": 90, "targets": targets("Směny", ("30m", "4h", "1h"))})
    assert resp.status_code == 201, resp.get_json()
    policy = resp.get_json()
    assert policy["targets"]["critical"] == {"first_response_minutes": 30,
                                             "resolution_minutes": 240, "update_minutes": 60,
                                             "calendar": "Směny"}
    resp = client.post("/api/v1/customers/beta/contracts", headers=h, json={
        "name": "Beta shifts", "policy": "Shifts", "valid_from": "2026-02-01",
        "valid_to": "2026-12-31"})
    assert resp.status_code == 201, resp.get_json()
    contract = resp.get_json()
    assert contract["customer"] == "beta" and contract["valid_to"] == "2026-12-31"
    resp = client.patch(f"/api/v1/sla/contracts/{contract['id']}", headers=h,
                        json={"valid_to": "2026-06-30"})
    assert resp.status_code == 200 and resp.get_json()["valid_to"] == "2026-06-30"
    resp = client.patch(f"/api/v1/sla/policies/{policy['id']}", headers=h,
                        json={"escalate_on": "warning"})
    assert resp.get_json()["escalate_on"] == "warning"
    assert resp.get_json()["targets"]["low"]["first_response_minutes"] == 480
    resp = client.patch(f"/api/v1/sla/calendars/{cal['id']}", headers=h,
                        json={"czech_holidays": False})
    assert resp.status_code == 200 and resp.get_json()["czech_holidays"] is False


def test_bad_input_is_refused_with_fields(client, tokens, sla):
    h = bearer(tokens["admin"])
    resp = client.post("/api/v1/sla/policies", headers=h, json={
        "name": "Half", "warning_percent": 120,
        "targets": {"critical": {"first_response": "soon", "resolution": "1h",
                                 "calendar": "Nowhere"}}})
    assert resp.status_code == 422
    fields = resp.get_json()["error"]["fields"]
    assert {"warning_percent", "targets.critical.first_response", "targets.critical.calendar",
            "targets.high"} <= set(fields)
    resp = client.post("/api/v1/sla/calendars", headers=h, json={"name": "Closed",
                                                                 "hours": "Sat 10:00-09:00"})
    assert resp.status_code == 422 and "hours" in resp.get_json()["error"]["fields"]
    resp = client.post("/api/v1/sla/calendars", headers=h, json={"name": "Office", "kind": "24x7"})
    assert resp.status_code == 409
    resp = client.post("/api/v1/customers/alfa/contracts", headers=h, json={
        "name": "Second", "policy": "Business", "valid_from": "2026-05-01"})
    assert resp.status_code == 409
    resp = client.post("/api/v1/customers/beta/contracts", headers=h, json={
        "name": "Backwards", "policy": "Business", "valid_from": "2026-05-01",
        "valid_to": "2026-04-01"})
    assert resp.status_code == 422 and "valid_to" in resp.get_json()["error"]["fields"]


def test_only_admins_write(client, tokens, sla):
    for who in ("specialist", "alice"):
        h = bearer(tokens[who])
        assert client.post("/api/v1/sla/calendars", headers=h,
                           json={"name": "X", "kind": "24x7"}).status_code == 403
        assert client.post("/api/v1/customers/alfa/contracts", headers=h, json={
            "name": "X", "policy": "Business", "valid_from": "2027-01-01"}).status_code == 403


def test_customers_read_only_their_own(client, tokens, sla):
    alice, bob = bearer(tokens["alice"]), bearer(tokens["bob"])
    body = client.get("/api/v1/customers/alfa/contracts", headers=alice).get_json()
    assert [c["name"] for c in body["items"]] == ["Alfa 2026"]
    assert client.get("/api/v1/customers/beta/contracts", headers=alice).status_code == 404
    assert client.get("/api/v1/customers/alfa/contracts", headers=bob).status_code == 404
    contract_id = sla["contract"].id
    assert client.get(f"/api/v1/sla/contracts/{contract_id}", headers=alice).status_code == 200
    assert client.get(f"/api/v1/sla/contracts/{contract_id}", headers=bob).status_code == 404
    assert client.post("/api/v1/customers/beta/contracts", headers=alice, json={
        "name": "X", "policy": "Business", "valid_from": "2027-01-01"}).status_code == 404
    # Policies and calendars: alice sees the ones her contract uses, bob none.
    names = [p["name"] for p in client.get("/api/v1/sla/policies", headers=alice).get_json()["items"]]
    assert names == ["Business"]
    assert client.get("/api/v1/sla/policies", headers=bob).get_json()["items"] == []
    assert client.get(f"/api/v1/sla/policies/{sla['nonstop'].id}", headers=alice).status_code == 404
    cals = [c["name"] for c in client.get("/api/v1/sla/calendars", headers=alice).get_json()["items"]]
    assert cals == ["Office"]
    assert client.get(f"/api/v1/sla/calendars/{sla['always'].id}", headers=alice).status_code == 404
    staff = bearer(tokens["specialist"])
    assert len(client.get("/api/v1/sla/policies", headers=staff).get_json()["items"]) == 2


def test_ticket_sla_endpoint_and_isolation(client, tokens, sla, clock, db):
    clock.set(local(2026, 4, 2, 16, 30))
    ticket = open_at(sla["alice"], sla["alfa"], clock.now(), channel="portal")
    db.session.commit()
    resp = client.get(f"/api/v1/tickets/{ticket.id}/sla", headers=bearer(tokens["alice"]))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["state"] == "active" and body["paused"] is False
    assert body["first_response"]["due_at"] == "2026-04-07T09:30:00+00:00"
    assert body["first_response"]["state"] == "running"
    assert body["resolution"]["state"] == "running" and body["update"] is None
    assert client.get(f"/api/v1/tickets/{ticket.id}/sla",
                      headers=bearer(tokens["bob"])).status_code == 404
    assert client.get("/api/v1/tickets/999999/sla",
                      headers=bearer(tokens["specialist"])).status_code == 404


def test_report_api_is_scoped(client, tokens, sla, clock, db):
    clock.set(local(2026, 4, 30, 12, 0))
    open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    db.session.commit()
    rows = client.get("/api/v1/sla/report?month=2026-04",
                      headers=bearer(tokens["alice"])).get_json()["items"]
    assert [(r["customer"], r["tickets"]) for r in rows] == [("alfa", 1)]
    assert client.get("/api/v1/sla/report?month=2026-04",
                      headers=bearer(tokens["bob"])).get_json()["items"] == []
    assert client.get("/api/v1/sla/report?customer=alfa",
                      headers=bearer(tokens["bob"])).status_code == 404
    assert client.get("/api/v1/sla/report?month=13-2026",
                      headers=bearer(tokens["alice"])).status_code == 422


def test_at_risk_api_is_for_staff(client, tokens, sla, clock, db):
    clock.set(local(2026, 4, 8, 15, 0))
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    db.session.commit()
    assert client.get("/api/v1/sla/at-risk", headers=bearer(tokens["alice"])).status_code == 403
    body = client.get("/api/v1/sla/at-risk", headers=bearer(tokens["specialist"])).get_json()
    assert [t["number"] for t in body["breached"]] == [ticket.number]
    assert body["breached"][0]["state"] == "breached"


def test_notifications_api(client, tokens, sla, db):
    mine = Notification(user_id=sla["specialist"].id, text="2026-000001: SLA warning")
    other = Notification(user_id=sla["admin"].id, text="not yours")
    db.session.add_all([mine, other])
    db.session.commit()
    h = bearer(tokens["specialist"])
    items = client.get("/api/v1/notifications", headers=h).get_json()["items"]
    assert [n["text"] for n in items] == ["2026-000001: SLA warning"]
    assert client.post(f"/api/v1/notifications/{other.id}/read", headers=h).status_code == 404
    resp = client.post(f"/api/v1/notifications/{mine.id}/read", headers=h)
    assert resp.get_json() == {"marked": 1}
    assert client.get("/api/v1/notifications", headers=h).get_json()["items"][0]["read_at"]


def test_session_api_writes_need_csrf(client, auth, sla):
    auth.login("admin@kbdesk.test")
    assert client.get("/api/v1/sla/policies").status_code == 200
    resp = client.post("/api/v1/sla/calendars", json={"name": "Via session", "kind": "24x7"})
    assert resp.status_code == 400
    resp = client.post("/api/v1/sla/calendars", json={"name": "Via session", "kind": "24x7"},
                       headers={"X-CSRFToken": auth.csrf("/")})
    assert resp.status_code == 201


def test_openapi_describes_the_sla_routes(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/sla/policies", "/api/v1/customers/{slug}/contracts",
                 "/api/v1/sla/calendars", "/api/v1/tickets/{ticket_id}/sla"):
        assert path in doc["paths"], path
    assert "TicketSla" in doc["components"]["schemas"]
