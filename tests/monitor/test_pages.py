"""Monitor pages, the chart, incident history and the customer status pages."""

from __future__ import annotations

import re

from sqlalchemy import select

from kbdesk.monitor.models import Monitor, StatusPage
from tests.conftest import csrf_from


def test_list_detail_and_chart(client, auth, shop, server, ticker):
    monitor = ticker.monitor(shop["admin"], shop["app"], target=server.url(), name="Shop health")
    for mode in ("ok", "ok", "error", "ok"):
        server.behaviour.mode = mode
        ticker.tick()
    auth.login("spec@kbdesk.test")
    page = client.get("/monitors/").get_data(as_text=True)
    assert "Shop health" in page and "75.00 %" in page and "state-up" in page
    assert "Shop health" not in client.get("/monitors/?state=down").get_data(as_text=True)
    detail = client.get(f"/monitors/{monitor.id}")
    html = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "<svg" in html and "<polyline" in html
    assert "HTTP status" in html  # the failed check's layer
    for r in ("7d", "30d"):
        assert client.get(f"/monitors/{monitor.id}?range={r}").status_code == 200


def test_create_monitor_through_the_form(client, auth, shop, db):
    auth.login("admin@kbdesk.test")
    html = client.get(f"/monitors/new?application={shop['app'].id}").get_data(as_text=True)
    assert 'name="internal"' in html
    form = {"csrf_token": csrf_from(html), "application": shop["app"].id, "name": "Metadata",
            "kind": "http", "target": "http://169.254.169.254/latest/", "method": "GET",
            "expected_status": "200-399", "interval_s": "60", "timeout_ms": "5000",
            "failures_before_down": "3", "max_redirects": "5", "severity": "",
            "auto_resolve": "y", "enabled": "y", "verify_tls": "y"}
    resp = client.post("/monitors/new", data=form)
    assert resp.status_code == 422 and "internal" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Monitor)) is None
    resp = client.post("/monitors/new", data={**form, "target": "https://93.184.216.34/",
                                              "interval_s": "20"})
    assert resp.status_code == 422 and "between 30" in resp.get_data(as_text=True)
    resp = client.post("/monitors/new", data={**form, "target": "https://93.184.216.34/"})
    assert resp.status_code == 302
    monitor = db.session.scalar(select(Monitor))
    assert monitor.severity == "critical" and monitor.name == "Metadata"
    html = client.get(f"/monitors/{monitor.id}/edit").get_data(as_text=True)
    resp = client.post(f"/monitors/{monitor.id}/edit", data={
        **form, "csrf_token": csrf_from(html), "target": "https://93.184.216.34/",
        "interval_s": "120", "auto_resolve": ""})
    assert resp.status_code == 302
    db.session.refresh(monitor)
    assert monitor.interval_s == 120 and monitor.auto_resolve is False


def test_specialist_form_has_no_internal_flag(client, auth, shop):
    auth.login("spec@kbdesk.test")
    assert 'name="internal"' not in client.get("/monitors/new").get_data(as_text=True)
    auth.logout()
    auth.login("dev@kbdesk.test")
    assert client.get("/monitors/new").status_code == 403


def test_maintenance_window_form(client, auth, shop, ticker, db):
    monitor = ticker.monitor(shop["admin"], shop["app"], target="http://127.0.0.1:1/")
    auth.login("spec@kbdesk.test")
    html = client.get(f"/monitors/{monitor.id}").get_data(as_text=True)
    token = csrf_from(html)
    resp = client.post(f"/monitors/{monitor.id}/windows", data={
        "csrf_token": token, "starts_at": "2026-12-01T22:00", "ends_at": "2026-12-01T21:00"})
    assert resp.status_code == 422
    resp = client.post(f"/monitors/{monitor.id}/windows", data={
        "csrf_token": token, "starts_at": "2026-12-01T22:00", "ends_at": "2026-12-01T23:30",
        "reason": "Upgrade to 4.0", "weekly": "y"})
    assert resp.status_code == 302
    html = client.get(f"/monitors/{monitor.id}").get_data(as_text=True)
    assert "Upgrade to 4.0" in html
    window_id = monitor.windows[0].id
    resp = client.post(f"/monitors/{monitor.id}/windows/{window_id}/delete",
                       data={"csrf_token": token})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Monitor, monitor.id).windows == []


def test_check_now_button(client, auth, shop, server, ticker):
    monitor = ticker.monitor(shop["admin"], shop["app"], target=server.url())
    auth.login("admin@kbdesk.test")
    token = csrf_from(client.get(f"/monitors/{monitor.id}").get_data(as_text=True))
    page = client.post(f"/monitors/{monitor.id}/check", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "Check passed" in page


def test_incident_history(client, auth, shop, server, ticker, db):
    ticker.monitor(shop["admin"], shop["app"], target=server.url(), failures_before_down=1,
                   name="Shop health")
    server.behaviour.mode = "error"
    ticker.tick()
    server.behaviour.mode = "ok"
    ticker.tick()
    auth.login("spec@kbdesk.test")
    html = client.get("/monitors/incidents").get_data(as_text=True)
    assert "Shop health" in html and "HTTP status" in html and "1 minute" in html
    assert re.search(r"\d{4}-\d{6}", html)  # the incident's ticket number


def test_customers_see_their_own_status_page_only(client, auth, shop, server, ticker):
    ticker.monitor(shop["admin"], shop["app"], target=server.url(), name="Shop health")
    ticker.tick()
    auth.login("alice@alfa.test")
    assert client.get("/monitors/").status_code == 302  # customers go to their status page
    page = client.get("/status/alfa")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Shop health" in html and "E-shop" in html
    assert "All services are operational" in html
    assert client.get("/status/beta").status_code == 404
    assert client.get("/monitors/1").status_code == 404


def test_public_status_page_behind_a_token(app, client, auth, shop, server, ticker, db):
    app.config["MONITOR_ALLOWED_NETWORKS"] = ["127.0.0.1/32"]  # stands in for a public address
    ticker.monitor(shop["admin"], shop["app"], target=server.url(), name="Shop health",
                   internal=False)
    ticker.monitor(shop["admin"], shop["app"], target=server.url("/intranet"),
                   name="Intranet (internal)")
    ticker.tick()
    auth.login("admin@kbdesk.test")
    html = client.get("/status/alfa").get_data(as_text=True)
    assert client.post("/status/alfa/public", data={"csrf_token": csrf_from(html),
                                                    "enabled": "1"}).status_code == 302
    token = db.session.scalar(select(StatusPage.token))
    assert token and len(token) >= 32
    auth.logout()
    public = client.get(f"/status/p/{token}")
    html = public.get_data(as_text=True)
    assert public.status_code == 200 and "Shop health" in html
    assert "Intranet (internal)" not in html
    assert public.headers["X-Robots-Tag"] == "noindex"
    assert client.get("/status/p/not-the-token").status_code == 404
    assert client.get("/status/alfa").status_code == 302  # the signed-in page needs a login
    auth.login("admin@kbdesk.test")
    html = client.get("/status/alfa").get_data(as_text=True)
    client.post("/status/alfa/public", data={"csrf_token": csrf_from(html), "enabled": "0"})
    auth.logout()
    assert client.get(f"/status/p/{token}").status_code == 404


def test_only_admins_turn_the_public_page_on(client, auth, shop):
    auth.login("spec@kbdesk.test")
    html = client.get("/status/alfa").get_data(as_text=True)
    resp = client.post("/status/alfa/public", data={"csrf_token": csrf_from(html),
                                                    "enabled": "1"})
    assert resp.status_code == 403


def test_pages_in_czech(client, auth, shop, ticker, server):
    ticker.monitor(shop["admin"], shop["app"], target=server.url())
    auth.login("spec@kbdesk.test")
    client.get("/lang/cs")
    assert client.get("/monitors/").status_code == 200
    assert client.get("/status/alfa").status_code == 200
