"""Ticket → article through the staff pages: editor, scrubbing diff, saving, documented-in."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from kbdesk.authoring.models import ArticleSource
from kbdesk.kb import services as kb
from kbdesk.kb.models import Article
from kbdesk.tickets import services as tickets
from tests.authoring.conftest import assert_clean
from tests.conftest import csrf_from


def field(page: str, name: str) -> str:
    """The value of an input or the text of a textarea on a page."""
    m = (re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
         or re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page))
    assert m, name
    return html.unescape(m.group(1))


def editor(client, ticket, query: str = "") -> str:
    resp = client.get(f"/authoring/tickets/{ticket.number}/article{query}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def form_from(page: str, **extra) -> dict:
    """What the browser posts from the editor: every replacement ticked unless told."""
    count = int(field(page, "count"))
    data = {"csrf_token": csrf_from(page), "sig": field(page, "sig"), "picked": "1",
            "count": str(count), "title": field(page, "title"), "body": field(page, "body"),
            "replace": [str(i) for i in range(count)], "target": "public", "action": "save"}
    for pick in ("cause", "resolution"):  # the message checkboxes as ticked on the page
        data[pick] = re.findall(rf'name="{pick}" value="(\d+)" checked', page)
    data.update(extra)
    return data


def test_resolved_ticket_becomes_a_scrubbed_article(client, auth, resolved, db):
    t, note, reply = resolved["ticket"], resolved["note"], resolved["reply"]
    auth.login("spec@kbdesk.test")
    ticket_page = client.get(f"/tickets/{t.number}").get_data(as_text=True)
    assert f"/authoring/tickets/{t.number}/article" in ticket_page and "Create article" in ticket_page
    page = editor(client, t, f"?cause={note.id}&resolution={reply.id}&language=en")
    # The diff: each replacement with its original, ticked.
    for original in ("jan.novak@alfa.cz", "+420 603 123 456", "10.20.30.40",
                     "helpdesk.alfa-net.cz", "Novák"):
        assert f"<del>{original}</del>" in html.unescape(page)
    body = field(page, "body")
    assert "## Symptoms" in body and "## Cause" in body and "## Resolution" in body
    assert "index on invoices(created_at)" in body and "closing the ticket" not in body
    assert_clean(body)
    assert_clean(field(page, "title"))
    assert "<del>Invoice export fails with gateway timeout (Jan Novák)</del>" in html.unescape(page)
    body += "\n\nChecked by the author."
    resp = client.post(f"/authoring/tickets/{t.number}/article", data=form_from(page, body=body))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    article = db.session.scalar(select(Article).order_by(Article.id.desc()))
    assert resp.headers["Location"].endswith(f"/kb/{article.id}")
    assert article.body.endswith("Checked by the author.")
    assert_clean(article.body)
    assert_clean(article.title)
    assert (article.status, article.visibility, article.kind) == ("draft", "public", "article")
    assert db.session.scalar(select(ArticleSource.ticket_id).where(
        ArticleSource.article_id == article.id)) == t.id
    ticket_page = client.get(f"/tickets/{t.number}").get_data(as_text=True)
    assert "Documented in" in ticket_page and f"/kb/{article.id}" in ticket_page
    article_page = client.get(f"/kb/{article.id}").get_data(as_text=True)
    assert "Source tickets" in article_page and t.number in article_page


def test_untick_keeps_the_original_and_rebuild_follows_the_picks(client, auth, resolved, db):
    t, note = resolved["ticket"], resolved["note"]
    auth.login("spec@kbdesk.test")
    page = editor(client, t, f"?cause={note.id}")
    assert "index on invoices" not in field(page, "body")
    items = re.findall(r'name="replace" value="(\d+)"[^>]*>\s*<span class="badge">[^<]*</span>\s*'
                       r"<del>([^<]*)</del>", page)
    ip_index = next(i for i, original in items if original == "10.20.30.40")
    data = form_from(page, action="rebuild",
                     replace=[i for i, _o in items if i != ip_index])
    rebuilt = client.post(f"/authoring/tickets/{t.number}/article", data=data)
    assert rebuilt.status_code == 200
    rebuilt_page = rebuilt.get_data(as_text=True)
    assert "10.20.30.40" in field(rebuilt_page, "body")
    assert db.session.scalar(select(func.count(Article.id))) == 0
    saved = client.post(f"/authoring/tickets/{t.number}/article", data=form_from(
        rebuilt_page, replace=[i for i, _o in items if i != ip_index]))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert "10.20.30.40" in db.session.scalar(select(Article.body))


def test_personal_data_typed_in_is_refused_then_allowed(client, auth, resolved, db):
    t = resolved["ticket"]
    auth.login("spec@kbdesk.test")
    page = editor(client, t)
    data = form_from(page, body=field(page, "body") + "\nAsk jan.novak@alfa.cz.")
    resp = client.post(f"/authoring/tickets/{t.number}/article", data=data)
    assert resp.status_code == 422
    assert "Still contains personal data: jan.novak@alfa.cz" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Article.id))) == 0
    resp = client.post(f"/authoring/tickets/{t.number}/article",
                       data={**data, "allow_personal_data": "1"})
    assert resp.status_code == 302


def test_bad_target_csrf_and_open_tickets_change_nothing(client, auth, resolved, users, db):
    t = resolved["ticket"]
    auth.login("spec@kbdesk.test")
    page = editor(client, t)
    resp = client.post(f"/authoring/tickets/{t.number}/article",
                       data=form_from(page, target="everyone"))
    assert resp.status_code == 422 and "Must be one of" in resp.get_data(as_text=True)
    no_csrf = form_from(page)
    no_csrf.pop("csrf_token")
    assert client.post(f"/authoring/tickets/{t.number}/article", data=no_csrf).status_code == 400
    assert db.session.scalar(select(func.count(Article.id))) == 0
    assert db.session.scalar(select(func.count(ArticleSource.id))) == 0
    fresh = tickets.open_ticket(users["specialist"], {"customer": "alfa", "subject": "Open one"},
                                channel="web")
    db.session.commit()
    assert "Create article" not in client.get(f"/tickets/{fresh.number}").get_data(as_text=True)
    assert client.get(f"/authoring/tickets/{fresh.number}/article").status_code == 409


def test_customer_users_get_404(client, auth, resolved, users, make):
    t = resolved["ticket"]
    auth.login("alice@alfa.test")
    assert client.get(f"/authoring/tickets/{t.number}/article").status_code == 404
    token = auth.csrf("/portal/")
    assert client.post(f"/authoring/tickets/{t.number}/documented-in",
                       data={"csrf_token": token, "article": "1"}).status_code == 404


def test_link_existing_article_and_portal_shows_only_readable(client, auth, resolved, users, db):
    t, admin = resolved["ticket"], users["admin"]
    public = kb.create_article(admin, {"title": "Gateway timeouts explained", "body": "x",
                                       "visibility": "public", "status": "published"})
    internal = kb.create_article(admin, {"title": "Internal runbook", "body": "y",
                                         "visibility": "internal", "status": "published"})
    beta = kb.create_article(admin, {"title": "Beta only", "body": "z", "visibility": "customer",
                                     "customer": "beta", "status": "published"})
    db.session.commit()
    auth.login("spec@kbdesk.test")
    url = f"/authoring/tickets/{t.number}/documented-in"
    token = auth.csrf(f"/tickets/{t.number}")
    for ref in (public.slug, str(internal.id)):
        assert client.post(url, data={"csrf_token": token, "article": ref}).status_code == 302
    assert client.post(url, data={"csrf_token": token, "article": public.slug}).status_code == 302
    bad = client.post(url, data={"csrf_token": token, "article": str(beta.id)})
    assert bad.status_code == 422 and "another customer" in bad.get_data(as_text=True)
    assert client.post(url, data={"csrf_token": token, "article": "no-such"}).status_code == 422
    assert db.session.scalar(select(func.count(ArticleSource.id))) == 2
    auth.logout()
    auth.login("alice@alfa.test")
    portal = client.get(f"/portal/tickets/{t.number}").get_data(as_text=True)
    assert "Gateway timeouts explained" in portal and "Internal runbook" not in portal
    client.post("/logout", data={"csrf_token": auth.csrf("/portal/")})
    auth.login("spec@kbdesk.test")
    token = auth.csrf(f"/tickets/{t.number}")
    assert client.post(f"{url}/{internal.id}/remove",
                       data={"csrf_token": token}).status_code == 302
    assert db.session.scalar(select(func.count(ArticleSource.id))) == 1
