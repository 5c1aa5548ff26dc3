"""An author in a real browser: unticking a replacement restores the original, no reload."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.extensions import db
from kbdesk.kb.models import Article
from kbdesk.tickets import services as tickets
from tests import factories
from tests.browser.test_portal_browser import login


def seed(app) -> str:
    with app.app_context():
        factories.CustomerFactory.create(name="Alfa s.r.o.", slug="alfa", language="en")
        spec = factories.UserFactory.create(role="specialist", email="spec@kbdesk.test",
                                            name="Spec")
        t = tickets.open_ticket(spec, {"customer": "alfa", "subject": "Backup job fails 🙁",
                                       "description": "Backup to 10.1.2.3 fails 🙁, mail "
                                                      "ops@alfa.example.com."}, channel="web")
        tickets.add_message(spec, t, "Resolution: free space on the share.")
        tickets.update_ticket(spec, t.id, {"status": "resolved"})
        db.session.commit()
        return t.number


def test_untick_restores_the_original_in_place_and_saves(live_app, live_server, page):
    base, number = live_server, seed(live_app)
    login(page, base, "spec@kbdesk.test")
    page.wait_for_load_state()
    page.goto(f"{base}/tickets/{number}")
    page.click("#authoring a.button")
    body = page.locator("#au-body")
    assert "[IP address]" in body.input_value() and "[e-mail]" in body.input_value()
    url = page.url
    page.uncheck("#au-scrub input[name=replace][value='0']")
    page.wait_for_function("document.getElementById('au-body').value.includes('10.1.2.3')")
    assert "[e-mail]" in body.input_value() and page.url == url
    page.fill("#au-title", "Backup job fails when the share is full")
    page.press("#au-title", "Enter")  # Enter saves, it does not rebuild
    page.wait_for_url(f"{base}/kb/*")
    with live_app.app_context():
        saved = db.session.scalar(select(Article))
        assert "10.1.2.3" in saved.body and "ops@alfa" not in saved.body
        assert saved.title == "Backup job fails when the share is full"
