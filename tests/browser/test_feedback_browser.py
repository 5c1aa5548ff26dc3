"""Staff in a real browser insert article links into a reply: JS fills the textarea."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from kbdesk.extensions import db
from kbdesk.feedback.models import ArticleUse
from kbdesk.kb.models import Article
from kbdesk.tickets import services as tickets
from tests import factories
from tests.browser.test_portal_browser import login


def seed(app) -> dict:
    with app.app_context():
        alfa = factories.CustomerFactory.create(name="Alfa s.r.o.", slug="alfa", language="en")
        alice = factories.UserFactory.create(role="customer", email="alice@alfa.test",
                                             name="Alice", customer=alfa)
        factories.UserFactory.create(role="specialist", email="spec@kbdesk.test", name="Spec")
        public = Article(title="Printer spooler restart", slug="printer-spooler-restart",
                         body="Restart the printer spooler.", visibility="public",
                         status="published", language="en")
        internal = Article(title="Printer vendor escalation", slug="printer-vendor-escalation",
                           body="Call the printer vendor.", visibility="internal",
                           status="published", language="en")
        db.session.add_all([public, internal])
        t = tickets.open_ticket(alice, {"subject": "Printer offline"}, channel="portal")
        db.session.commit()
        return {"number": t.number, "public": public.id, "internal": internal.id}


def test_insert_link_fills_reply_and_refuses_internal_in_public_reply(live_app, live_server,
                                                                       page):
    base, data = live_server, seed(live_app)
    login(page, base, "spec@kbdesk.test")
    page.wait_for_load_state()
    page.goto(f"{base}/tickets/{data['number']}?article_q=printer")
    textarea = page.locator("[data-reply-form] textarea[name=body]")
    assert not page.locator("#insert-article .no-js-only").is_visible()
    page.click(f"#insert-article button[name=article_id][value='{data['public']}']")
    page.wait_for_function("document.querySelector('[data-reply-form] textarea').value !== ''")
    assert textarea.input_value() == \
        f"[Printer spooler restart]({base}/portal/articles/{data['public']})"
    status = page.locator("[data-insert-status]")
    page.click(f"#insert-article button[name=article_id][value='{data['internal']}']")
    page.wait_for_function("document.querySelector('[data-insert-status]')"
                           ".classList.contains('error')")
    assert "internal note" in status.inner_text()
    page.check("[data-reply-form] input[name=internal][value=y]")
    page.click(f"#insert-article button[name=article_id][value='{data['internal']}']")
    page.wait_for_function("document.querySelector('[data-reply-form] textarea')"
                           ".value.includes('/kb/')")
    assert re.search(rf"\[Printer vendor escalation\]\({re.escape(base)}/kb/{data['internal']}\)",
                     textarea.input_value())
    assert page.url.endswith("article_q=printer")  # no reload: the script did it
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ArticleUse)) == 2
