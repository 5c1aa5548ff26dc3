"""SLA pages: admin forms with CSRF, roles, customer isolation, report + CSV, panels, notices."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from kbdesk.sla import services
from kbdesk.sla.models import Calendar, Contract, Notification, Policy
from tests.conftest import csrf_from
from tests.sla.conftest import change, local, open_at, reply

POLICY_FORM = {"name": "Gold", "description": "", "warning_percent": "75",
               "escalate_on": "breach", "escalate_to_lead": "y", "escalate_raise": "y"}


def policy_form(calendar_id: int, **over) -> dict:
    data = dict(POLICY_FORM)
    for sev, (fr, res) in {"critical": ("1h", "8h"), "high": ("4h", "16h"),
                           "normal": ("8h", "40h"), "low": ("16h", "80h")}.items():
        data.update({f"{sev}_first_response": fr, f"{sev}_resolution": res,
                     f"{sev}_update": "", f"{sev}_calendar": str(calendar_id)})
    data.update(over)
    return data


def test_admin_builds_calendar_policy_and_contract(client, auth, users, db):
    auth.login("admin@kbdesk.test")
    html = client.get("/sla/calendars/new").get_data(as_text=True)
    resp = client.post("/sla/calendars/new", data={
        "csrf_token": csrf_from(html), "name": "Kancelář", "kind": "business",
        "timezone": "Europe/Prague", "hours": "Mon-Fri 08:00-17:00", "czech_holidays": "y",
        "holidays": "2026-12-31 Inventura"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    cal = db.session.scalar(select(Calendar).where(Calendar.name == "Kancelář"))
    assert cal.hours == {str(d): [[480, 1020]] for d in range(5)}
    assert [h.name for h in cal.holidays] == ["Inventura"]

    html = client.get("/sla/policies/new").get_data(as_text=True)
    resp = client.post("/sla/policies/new", data={"csrf_token": csrf_from(html),
                                                  **policy_form(cal.id)})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    policy = db.session.scalar(select(Policy).where(Policy.name == "Gold"))
    assert policy.warning_percent == 75
    assert policy.target("critical").first_response_minutes == 60

    html = client.get("/sla/contracts/new?customer=alfa").get_data(as_text=True)
    assert '<option selected value="alfa">' in html
    resp = client.post("/sla/contracts/new", data={
        "csrf_token": csrf_from(html), "customer": "alfa", "name": "Alfa Gold",
        "policy": str(policy.id), "valid_from": "2026-01-01", "valid_to": "", "notes": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    contract = db.session.scalar(select(Contract).where(Contract.name == "Alfa Gold"))
    assert contract.customer.slug == "alfa" and contract.valid_to is None

    edit = client.get(f"/sla/policies/{policy.id}/edit").get_data(as_text=True)
    assert 'value="1h"' in edit and 'value="75"' in edit
    edit = client.get(f"/sla/calendars/{cal.id}/edit").get_data(as_text=True)
    assert 'value="Mon-Fri 08:00-17:00"' in edit and "2026-12-31 Inventura" in edit
    page = client.get("/sla/").get_data(as_text=True)
    assert "Gold" in page and "Kancelář" in page and "Alfa Gold" in page
    assert "Mon-Fri 08:00-17:00" in page
    # The customer page lists the contract.
    assert "Alfa Gold" in client.get("/customers/alfa").get_data(as_text=True)

    # Editing: end the contract.
    url = f"/sla/contracts/{contract.id}/edit"
    html = client.get(url).get_data(as_text=True)
    resp = client.post(url, data={"csrf_token": csrf_from(html), "name": "Alfa Gold",
                                  "policy": str(policy.id), "valid_from": "2026-01-01",
                                  "valid_to": "2026-06-30", "notes": ""})
    assert resp.status_code == 302
    db.session.refresh(contract)
    assert str(contract.valid_to) == "2026-06-30"


def test_form_errors_are_422_and_change_nothing(client, auth, users, sla, db):
    auth.login("admin@kbdesk.test")
    html = client.get("/sla/calendars/new").get_data(as_text=True)
    resp = client.post("/sla/calendars/new", data={
        "csrf_token": csrf_from(html), "name": "Broken", "kind": "business",
        "timezone": "Mars/Olympus", "hours": "Mon 17:00-08:00"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Unknown time zone." in page and "start before it ends" in page
    html = client.get("/sla/policies/new").get_data(as_text=True)
    resp = client.post("/sla/policies/new", data={
        "csrf_token": csrf_from(html), **policy_form(sla["office"].id, critical_resolution="x")})
    assert resp.status_code == 422
    assert "A duration such as 2h 30m." in resp.get_data(as_text=True)
    html = client.get("/sla/contracts/new").get_data(as_text=True)
    resp = client.post("/sla/contracts/new", data={
        "csrf_token": csrf_from(html), "customer": "alfa", "name": "Overlap",
        "policy": str(sla["business"].id), "valid_from": "2026-03-01"})
    assert resp.status_code == 422 and "overlap" in resp.get_data(as_text=True).lower()
    assert db.session.scalar(select(Calendar).where(Calendar.name == "Broken")) is None
    assert db.session.scalar(select(Contract).where(Contract.name == "Overlap")) is None


def test_forms_need_csrf(client, auth, users, db):
    auth.login("admin@kbdesk.test")
    resp = client.post("/sla/calendars/new", data={"name": "No token", "kind": "24x7"})
    assert resp.status_code in (200, 400)
    assert db.session.scalar(select(Calendar).where(Calendar.name == "No token")) is None
    resp = client.post("/sla/notifications/read")
    assert resp.status_code == 400


def test_roles(client, auth, users, sla):
    auth.login("spec@kbdesk.test")
    assert client.get("/sla/").status_code == 200
    assert client.get("/sla/report").status_code == 200
    assert client.get("/sla/calendars/new").status_code == 403
    assert client.get(f"/sla/policies/{sla['business'].id}/edit").status_code == 403
    auth.logout()
    auth.login("alice@alfa.test")
    for url in ("/sla/", "/sla/report", "/sla/report.csv", "/sla/at-risk",
                "/sla/calendars/new", "/sla/notifications"):
        assert client.get(url).status_code == 404, url
    # A customer sees its own contract on its page, but no edit links.
    page = client.get("/customers/alfa").get_data(as_text=True)
    assert "Alfa 2026" in page and "/sla/contracts/" not in page


def test_report_and_csv(client, auth, sla, clock, db):
    clock.set(local(2026, 4, 30, 12, 0))
    on_time = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    reply(sla["specialist"], on_time, local(2026, 4, 8, 10, 0))
    change(sla["specialist"], on_time, local(2026, 4, 8, 15, 0), status="resolved")
    late = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 9, 9, 0))
    reply(sla["specialist"], late, local(2026, 4, 9, 15, 0))
    running = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 29, 16, 0), severity="low")
    assert running
    open_at(sla["specialist"], sla["alfa"], local(2026, 5, 4, 9, 0))  # another month
    db.session.commit()
    auth.login("spec@kbdesk.test")
    page = client.get("/sla/report?month=2026-04").get_data(as_text=True)
    assert "<svg" in page and "Alfa s.r.o." in page and "50 %" in page
    resp = client.get("/sla/report.csv?month=2026-04")
    assert resp.mimetype == "text/csv"
    assert 'filename="sla-2026-04.csv"' in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["customer"], row["tickets"], row["met"], row["breached"], row["open"]) == (
        "alfa", "3", "1", "1", "1")
    assert row["percent_met"] == "50.0"
    # First responses after 1 h and 6 h of business time; one resolution after 6 h.
    assert row["mean_first_response_seconds"] == str(int(3.5 * 3600))
    assert row["mean_resolution_seconds"] == str(6 * 3600)
    months = client.get("/sla/report.csv?month=2026-05&customer=alfa").get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(months)))) == 12
    page = client.get("/sla/report?month=2026-05&customer=alfa").get_data(as_text=True)
    assert "2026-04" in page and "2025-06" in page
    assert client.get("/sla/report?month=April").status_code == 422


def test_dashboard_panel_and_at_risk_page(client, auth, sla, clock, db):
    clock.set(local(2026, 4, 8, 12, 30))
    risky = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))  # warn 12:12
    late = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 7, 9, 0))  # due 13:00 Tue
    calm = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 12, 0))
    db.session.commit()
    auth.login("spec@kbdesk.test")
    page = client.get("/sla/at-risk").get_data(as_text=True)
    breached, _sep, at_risk = page.partition("At risk")
    assert late.number in breached and risky.number in at_risk
    assert calm.number not in page


def test_dashboard_panel_partial(app, sla, clock, db):
    from flask import render_template
    from flask_login import login_user

    clock.set(local(2026, 4, 8, 12, 30))
    risky = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    late = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 7, 9, 0))
    services.sla_for(late).escalated = True
    db.session.commit()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        login_user(sla["specialist"])
        html = render_template("sla/_dashboard_panel.html")
        # Listed by the shared panel list and included by hand: shown once per page.
        assert render_template("sla/_dashboard_panel.html").strip() == ""
    assert 'id="sla-panel"' in html
    breached, _sep, at_risk = html.partition("At risk")
    assert late.number in breached and "Escalated" in breached
    assert risky.number in at_risk
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        login_user(sla["alice"])
        assert render_template("sla/_dashboard_panel.html").strip() == ""


def test_countdown_partial_states(app, client, auth, sla, clock, db):
    from flask import render_template

    clock.set(local(2026, 4, 8, 10, 0))
    running = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    paused = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    change(sla["specialist"], paused, local(2026, 4, 8, 9, 30), status="waiting_customer")
    met = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    reply(sla["specialist"], met, local(2026, 4, 8, 9, 20))
    late = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 7, 9, 0))
    none = open_at(sla["specialist"], sla["beta"], local(2026, 4, 8, 9, 0))
    db.session.commit()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        def render(ticket):
            return render_template("sla/_countdown.html", ticket=ticket)

        html = render(running)
        assert "Running" in html and 'data-remaining="10800"' in html and 'data-ticking="1"' in html
        assert "3 h 00 min left" in html
        assert "countdown.js" in html
        html = render(paused)
        assert "Paused" in html and 'data-ticking="0"' in html and "3 h 30 min" in html
        assert "Met" in render(met)
        html = render(late)
        assert "Breached" in html and "overdue" in html
        assert "no contract" in render(none).lower()
    assert client.get("/sla/static/countdown.js").status_code == 200


def test_notifications_in_header_and_mark_read(client, auth, sla, clock, db):
    from kbdesk.sla.tasks import check_sla_clocks

    clock.set(local(2026, 4, 8, 9, 0))
    ticket = open_at(sla["specialist"], sla["alfa"], clock.now())
    change(sla["specialist"], ticket, clock.now(), assignee=sla["specialist"].id)
    clock.set(local(2026, 4, 8, 12, 15))
    db.session.commit()
    check_sla_clocks.call_local()
    auth.login("spec@kbdesk.test")
    page = client.get("/sla/notifications").get_data(as_text=True)
    assert "SLA warning" in page and ticket.number in page
    header = client.get("/").get_data(as_text=True)
    assert 'class="sla-bell unread"' in header
    resp = client.post("/sla/notifications/read", data={"csrf_token": csrf_from(page),
                                                        "next": "https://evil.example/"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/sla/notifications")
    db.session.expire_all()
    assert all(n.read_at for n in db.session.scalars(select(Notification)))
    # Another user's notice is not found.
    other = db.session.scalars(select(Notification)).first()
    auth.logout()
    auth.login("dev@kbdesk.test")
    token = csrf_from(client.get("/sla/notifications").get_data(as_text=True))
    assert client.post(f"/sla/notifications/{other.id}/read",
                       data={"csrf_token": token}).status_code == 404


def test_due_badge_partial(app, sla, clock, db):
    from flask import render_template

    clock.set(local(2026, 4, 8, 10, 0))
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    services.sla_for(ticket).escalated = True
    db.session.commit()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        html = render_template("sla/_due_badge.html", ticket=ticket)
    assert "Escalated" in html and "sla-running" in html
