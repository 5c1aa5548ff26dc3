"""The whole loop through the pages: resolved ticket → scrubbed article → review → published →
shown first for the next similar ticket; a portal search that found nothing → the gap report."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.kb.models import Article
from tests.authoring.conftest import assert_clean, bearer
from tests.authoring.test_pages import editor, form_from
from tests.conftest import csrf_from


def test_resolved_ticket_to_published_article_to_the_next_ticket(client, auth, resolved, users,
                                                                   make, db):
    t = resolved["ticket"]
    auth.login("spec@kbdesk.test")
    page = editor(client, t, "?language=en")
    resp = client.post(f"/authoring/tickets/{t.number}/article", data=form_from(page))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    article = db.session.scalar(select(Article).order_by(Article.id.desc()))
    assert article.status == "draft"
    assert_clean(article.title + "\n" + article.body)

    token = csrf_from(client.get(f"/kb/{article.id}").get_data(as_text=True))
    assert client.post(f"/kb/{article.id}/review/submit",
                       data={"csrf_token": token}).status_code == 302
    # The author cannot approve their own article...
    assert client.post(f"/kb/{article.id}/review/approve",
                       data={"csrf_token": token}).status_code == 403
    db.session.refresh(article)
    assert article.status == "in_review"
    # ...a colleague does.
    auth.logout()
    auth.login("dev@kbdesk.test")
    token = csrf_from(client.get("/kb/review").get_data(as_text=True))
    assert client.post(f"/kb/{article.id}/review/approve",
                       data={"csrf_token": token}).status_code == 302
    db.session.refresh(article)
    assert article.status == "published" and article.review_due is not None

    # The customer's next, similar ticket gets the article first.
    alice = bearer(make.token(users["alice"]))
    resp = client.post("/api/v1/tickets", headers=alice, json={
        "subject": "Invoice export ends with a gateway timeout again",
        "description": "The invoice export stops with a gateway timeout."})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["similar"]["articles"][0]["id"] == article.id


def test_a_portal_search_that_found_nothing_is_in_the_gap_report(client, auth, users):
    auth.login("alice@alfa.test")
    page = client.get("/portal/search?q=kvantový+tiskový+ovladač").get_data(as_text=True)
    assert "kvantový" in page
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    auth.login("spec@kbdesk.test")
    report = client.get("/gaps/").get_data(as_text=True)
    assert "kvantový tiskový ovladač" in report
