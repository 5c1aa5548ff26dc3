"""The monitors API: create, validate, change, results, windows, and tenant isolation."""

from __future__ import annotations

import pytest


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(users, make):
    return {n: make.token(users[n]) for n in ("admin", "specialist", "developer", "alice", "bob")}


@pytest.fixture
def apps(users, make):
    return {"alfa": make.Application(customer=users["alfa"], name="Portal", environment="prod"),
            "alfa_test": make.Application(customer=users["alfa"], name="Portal",
                                          environment="test"),
            "beta": make.Application(customer=users["beta"], name="ERP", environment="prod")}


def create(client, token, **body):
    return client.post("/api/v1/monitors", headers=bearer(token), json=body)


def test_create_with_defaults(client, tokens, apps, server):
    resp = create(client, tokens["admin"], application=apps["alfa"].id, kind="http",
                  target=server.url(), internal=True)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["severity"] == "critical" and body["interval_s"] == 60
    assert body["failures_before_down"] == 3 and body["auto_resolve"] is True
    assert body["state"] == "unknown" and body["customer"] == "alfa"
    assert body["name"] == server.url() and body["tls_warn_days"] == 0
    resp = create(client, tokens["specialist"], application=apps["alfa_test"].id, kind="tls",
                  target="93.184.216.34")
    assert resp.status_code == 201
    assert resp.get_json()["severity"] == "normal" and resp.get_json()["tls_warn_days"] == 14


def test_validation_names_every_bad_field(client, tokens, apps):
    resp = create(client, tokens["admin"], application=apps["alfa"].id, kind="http",
                  target="ftp://example.com/", interval_s=10, failures_before_down=0,
                  timeout_ms="soon", expected_status="2xx", method="DELETE",
                  severity="urgent", latency_threshold_ms=0)
    assert resp.status_code == 422
    assert set(resp.get_json()["error"]["fields"]) >= {
        "target", "interval_s", "failures_before_down", "timeout_ms", "expected_status",
        "method", "severity", "latency_threshold_ms"}
    for kind, target in (("tcp", "example.com"), ("tcp", "example.com:99999"),
                         ("dns", "http://example.com"), ("http", "http://user:pw@example.com/"),
                         ("kind?", "x")):
        resp = create(client, tokens["admin"], application=apps["alfa"].id, kind=kind,
                      target=target)
        assert resp.status_code == 422, (kind, target)
    resp = create(client, tokens["admin"], kind="http", target="http://93.184.216.34/")
    assert resp.get_json()["error"]["fields"]["application"]


def test_roles(client, tokens, apps):
    body = {"application": apps["alfa"].id, "kind": "tcp", "target": "93.184.216.34:443"}
    assert create(client, tokens["developer"], **body).status_code == 403
    assert create(client, tokens["alice"], **body).status_code == 403


def test_customers_read_only_their_own(client, tokens, apps):
    mine = create(client, tokens["admin"], application=apps["alfa"].id, kind="tcp",
                  target="93.184.216.34:443").get_json()
    theirs = create(client, tokens["admin"], application=apps["beta"].id, kind="tcp",
                    target="93.184.216.34:443").get_json()
    listing = client.get("/api/v1/monitors", headers=bearer(tokens["alice"])).get_json()
    assert [m["id"] for m in listing["items"]] == [mine["id"]]
    assert client.get(f"/api/v1/monitors/{mine['id']}",
                      headers=bearer(tokens["alice"])).status_code == 200
    for path in (f"/api/v1/monitors/{theirs['id']}", f"/api/v1/monitors/{theirs['id']}/results",
                 f"/api/v1/monitors/{theirs['id']}/outages"):
        resp = client.get(path, headers=bearer(tokens["alice"]))
        assert resp.status_code == 404 and "ERP" not in resp.get_data(as_text=True)
    resp = client.patch(f"/api/v1/monitors/{theirs['id']}", headers=bearer(tokens["alice"]),
                        json={"enabled": False})
    assert resp.status_code == 404
    resp = client.patch(f"/api/v1/monitors/{mine['id']}", headers=bearer(tokens["alice"]),
                        json={"enabled": False})
    assert resp.status_code == 403
    all_of_them = client.get("/api/v1/monitors", headers=bearer(tokens["admin"])).get_json()
    assert all_of_them["total"] == 2


def test_patch_pause_and_results(client, tokens, apps, server, ticker, shop, db):
    monitor = ticker.monitor(shop["admin"], apps["alfa"], target=server.url())
    ticker.tick()
    server.behaviour.mode = "error"
    ticker.tick()
    resp = client.get(f"/api/v1/monitors/{monitor.id}/results",
                      headers=bearer(tokens["alice"]))
    items = resp.get_json()["items"]
    assert [(r["ok"], r["layer"]) for r in items] == [(False, "http_status"), (True, "")]
    failed = client.get(f"/api/v1/monitors/{monitor.id}/results?failed=1",
                        headers=bearer(tokens["admin"])).get_json()
    assert failed["total"] == 1 and failed["items"][0]["status_code"] == 500
    assert client.get(f"/api/v1/monitors/{monitor.id}/results?since=yesterday",
                      headers=bearer(tokens["admin"])).status_code == 422
    detail = client.get(f"/api/v1/monitors/{monitor.id}", headers=bearer(tokens["admin"]))
    assert detail.get_json()["state"] == "failing"
    assert detail.get_json()["uptime"]["24h"] == 0.5
    resp = client.patch(f"/api/v1/monitors/{monitor.id}", headers=bearer(tokens["specialist"]),
                        json={"enabled": False, "interval_s": 300})
    assert resp.status_code == 200
    assert resp.get_json()["state"] == "paused" and resp.get_json()["interval_s"] == 300


def test_maintenance_windows_api(client, tokens, apps):
    mid = create(client, tokens["admin"], application=apps["alfa"].id, kind="tcp",
                 target="93.184.216.34:443").get_json()["id"]
    resp = client.post(f"/api/v1/monitors/{mid}/windows", headers=bearer(tokens["specialist"]),
                       json={"starts_at": "2026-12-06T02:00", "ends_at": "2026-12-06T04:00",
                             "weekly": True, "reason": "Patching"})
    assert resp.status_code == 201, resp.get_json()
    window = resp.get_json()
    assert window["starts_at"] == "2026-12-06T01:00:00+00:00"  # Prague time, stored in UTC
    resp = client.post(f"/api/v1/monitors/{mid}/windows", headers=bearer(tokens["admin"]),
                       json={"starts_at": "2026-12-06T04:00", "ends_at": "2026-12-06T02:00"})
    assert resp.status_code == 422 and "ends_at" in resp.get_json()["error"]["fields"]
    assert client.post(f"/api/v1/monitors/{mid}/windows", headers=bearer(tokens["alice"]),
                       json={"starts_at": "2026-12-06T02:00",
                             "ends_at": "2026-12-06T04:00"}).status_code == 403
    got = client.get(f"/api/v1/monitors/{mid}", headers=bearer(tokens["alice"])).get_json()
    assert [w["reason"] for w in got["windows"]] == ["Patching"]
    resp = client.delete(f"/api/v1/monitors/{mid}/windows/{window['id']}",
                         headers=bearer(tokens["admin"]))
    assert resp.status_code == 204
    assert client.delete(f"/api/v1/monitors/{mid}/windows/{window['id']}",
                         headers=bearer(tokens["admin"])).status_code == 404


def test_routes_are_documented(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"/api/v1/monitors", "/api/v1/monitors/{monitor_id}",
            "/api/v1/monitors/{monitor_id}/results"} <= set(doc["paths"])
    assert "Monitor" in doc["components"]["schemas"]


def test_delete_monitor_keeps_the_incident(client, tokens, apps, server, ticker, shop, db):
    from sqlalchemy import func, select

    from kbdesk.monitor.models import Monitor, ProbeResult
    from kbdesk.tickets.models import Ticket

    monitor = ticker.monitor(shop["admin"], apps["alfa"], target=server.url(),
                             failures_before_down=1)
    server.behaviour.mode = "error"
    ticker.tick()
    mid = monitor.id
    assert client.delete(f"/api/v1/monitors/{mid}",
                         headers=bearer(tokens["specialist"])).status_code == 403
    assert client.delete(f"/api/v1/monitors/{mid}",
                         headers=bearer(tokens["bob"])).status_code == 404
    assert client.delete(f"/api/v1/monitors/{mid}",
                         headers=bearer(tokens["admin"])).status_code == 204
    db.session.expire_all()
    assert db.session.get(Monitor, mid) is None
    assert db.session.scalar(select(func.count(ProbeResult.id))) == 0
    assert db.session.scalar(select(func.count(Ticket.id)).where(Ticket.channel == "monitor")) == 1
