"""A customer in a real browser: search, suggestions while typing, filing anyway, the reply."""

from __future__ import annotations

import json
import re
import urllib.request

from kbdesk.extensions import db
from kbdesk.kb import services as kb
from tests import factories


def seed(app) -> dict:
    """Alfa with a user, an application, a staff user with a token and printer articles."""
    with app.app_context():
        alfa = factories.CustomerFactory.create(name="Alfa s.r.o.", slug="alfa", language="en")
        factories.UserFactory.create(role="customer", email="alice@alfa.test", name="Alice",
                                     customer=alfa)
        staff = factories.UserFactory.create(role="developer", email="dev@kbdesk.test",
                                             name="Dev")
        appl = factories.ApplicationFactory.create(customer=alfa, name="Orders")
        # Only an administrator publishes without review (kbdesk.kb.review).
        admin = factories.UserFactory.create(role="admin", email="admin@kbdesk.test",
                                             name="Admin")
        art = kb.create_article(admin, {
            "title": "Printer queue stuck after update",
            "body": "Restart the print spooler service after the update.",
            "visibility": "public", "status": "published", "language": "en"})
        db.session.commit()
        token = factories.token_for(staff)
        db.session.commit()
        return {"token": token, "app_id": appl.id, "article": art.title}


def api(base: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(base + "/api/v1" + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")


def login(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.click("button[type=submit]")


def test_customer_searches_files_anyway_and_sees_reply_and_release(live_app, live_server, page,
                                                                   tmp_path):
    base, data = live_server, seed(live_app)
    login(page, base, "alice@alfa.test")
    page.wait_for_url(re.compile(r"/portal/$"))
    # Search first.
    page.fill("#portal-q", "printer spooler")
    page.press("#portal-q", "Enter")
    page.wait_for_url(re.compile(r"/portal/search"))
    assert page.locator("ol.results a", has_text=data["article"]).count() == 1
    # Suggestions while typing.
    page.goto(base + "/portal/tickets/new")
    page.locator("#subject").press_sequentially("Printer queue stuck", delay=30)
    suggestion = page.locator("#suggestion-list a", has_text=data["article"])
    suggestion.wait_for()
    with page.context.expect_page() as opened:
        suggestion.click()
    article = opened.value
    article.wait_for_load_state()
    assert "Restart the print spooler" in article.content()
    article.close()
    # File anyway, with an attachment; the number shows at once.
    page.fill("#description", "The spooler restart did not help.")
    log = tmp_path / "spool.log"
    log.write_text("spooler error 0x0000011b")
    page.set_input_files("#attachments", str(log))
    page.click("form#new-ticket button[type=submit]")
    number = page.locator("#ticket-number").inner_text()
    assert re.fullmatch(r"\d{4}-\d{6}", number)
    assert "spool.log" in page.content()
    # Staff reply and plan the fix into a release.
    ticket = api(base, data["token"], "GET", f"/tickets?q={number}")["items"][0]
    api(base, data["token"], "POST", f"/tickets/{ticket['id']}/messages",
        {"body": "Please install driver 5.1, we fix the rest in 2.4."})
    rel = api(base, data["token"], "POST", f"/applications/{data['app_id']}/releases",
              {"version": "2.4", "planned_on": "2026-12-15"})
    api(base, data["token"], "POST", f"/releases/{rel['id']}/tickets", {"ticket": number})
    # The customer sees the reply and the planned release.
    page.reload()
    assert "Please install driver 5.1" in page.locator(".messages").inner_text()
    release = page.locator("#ticket-release").inner_text()
    assert "2.4" in release and "15" in release and "Dec" in release
