"""Inserting an article link into a ticket reply: API, page with and without JS, rules."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from kbdesk.feedback.models import ArticleUse
from tests.conftest import csrf_from
from tests.feedback.helpers import article, bearer, count, ticket


def test_api_inserts_portal_link_and_counts_one_use_per_day(client, users, make, db):
    art = article("Pool [recycling] fix")
    t = ticket(users["alice"])
    staff = bearer(make.token(users["specialist"]))
    resp = client.post(f"/api/v1/tickets/{t.id}/article-uses", headers=staff,
                       json={"article_id": art.id})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["url"] == f"http://localhost/portal/articles/{art.id}"
    assert body["markdown"] == f"[Pool \\[recycling\\] fix]({body['url']})"
    assert body["internal"] is False
    again = client.post(f"/api/v1/tickets/{t.id}/article-uses", headers=staff,
                        json={"article_id": art.id})
    assert again.status_code == 201 and again.get_json()["id"] == body["id"]
    assert count(ArticleUse, ArticleUse.ticket_id == t.id) == 1
    other = bearer(make.token(users["developer"]))
    client.post(f"/api/v1/tickets/{t.id}/article-uses", headers=other, json={"article_id": art.id})
    assert count(ArticleUse, ArticleUse.ticket_id == t.id) == 2


def test_internal_article_refused_in_public_reply_allowed_in_note(client, users, make, db):
    art = article("Server passwords", visibility="internal")
    t = ticket(users["alice"])
    staff = bearer(make.token(users["specialist"]))
    resp = client.post(f"/api/v1/tickets/{t.id}/article-uses", headers=staff,
                       json={"article_id": art.id})
    assert resp.status_code == 422
    assert "internal note" in resp.get_json()["error"]["fields"]["article_id"]
    assert count(ArticleUse) == 0
    note = client.post(f"/api/v1/tickets/{t.id}/article-uses", headers=staff,
                       json={"article_id": art.id, "internal": True})
    assert note.status_code == 201
    assert note.get_json()["url"] == f"http://localhost/kb/{art.id}"
    assert count(ArticleUse, ArticleUse.internal.is_(True)) == 1


def test_other_customers_and_draft_articles_refused_in_public_reply(client, users, make, db):
    beta_art = article("Beta only", visibility="customer", customer=users["beta"])
    draft = article("Draft", status="draft")
    alfa_t, beta_t = ticket(users["alice"]), ticket(users["bob"])
    staff = bearer(make.token(users["specialist"]))
    for art_id, t in ((beta_art.id, alfa_t), (draft.id, alfa_t)):
        resp = client.post(f"/api/v1/tickets/{t.id}/article-uses", headers=staff,
                           json={"article_id": art_id})
        assert resp.status_code == 422
    ok = client.post(f"/api/v1/tickets/{beta_t.id}/article-uses", headers=staff,
                     json={"article_id": beta_art.id})
    assert ok.status_code == 201
    assert count(ArticleUse) == 1


def test_bad_input_and_customers_change_nothing(client, users, make, db):
    art = article("Public")
    t = ticket(users["alice"])
    staff = bearer(make.token(users["specialist"]))
    url = f"/api/v1/tickets/{t.id}/article-uses"
    for payload in ({}, {"article_id": "abc"}, {"article_id": 999999},
                    {"article_id": art.id, "internal": "maybe"}):
        resp = client.post(url, headers=staff, json=payload)
        assert resp.status_code == 422, payload
        assert resp.get_json()["error"]["fields"]
    assert client.post(url, headers={**staff, "Content-Type": "application/json"},
                       data="{nope").status_code == 400
    assert client.post("/api/v1/tickets/999999/article-uses", headers=staff,
                       json={"article_id": art.id}).status_code == 404
    alice = bearer(make.token(users["alice"]))
    assert client.post(url, headers=alice, json={"article_id": art.id}).status_code == 403
    assert count(ArticleUse) == 0


def test_ticket_panel_without_js_prefills_reply(client, auth, users, db):
    art = article("Restart the app pool")
    t = ticket(users["alice"])
    auth.login("spec@kbdesk.test")
    page = client.get(f"/tickets/{t.number}").get_data(as_text=True)
    assert 'id="insert-article"' in page and "feedback.js" in page
    action = f"/feedback/tickets/{t.number}/insert-link"
    assert client.post(action, data={"article_id": art.id}).status_code == 400  # no CSRF
    resp = client.post(action, data={"csrf_token": csrf_from(page), "article_id": art.id})
    assert resp.status_code == 302
    query = parse_qs(urlparse(resp.headers["Location"]).query)
    markdown = f"[Restart the app pool](http://localhost/portal/articles/{art.id})"
    assert query["reply"] == [markdown] and "internal" not in query
    prefilled = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert f"Restart the app pool](http://localhost/portal/articles/{art.id})</textarea>" in \
        prefilled
    assert count(ArticleUse, ArticleUse.ticket_id == t.id) == 1


def test_ticket_panel_refuses_internal_article_for_public_reply(client, auth, users, db):
    art = article("Internal runbook", visibility="internal")
    t = ticket(users["alice"])
    auth.login("spec@kbdesk.test")
    page = client.get(f"/tickets/{t.number}").get_data(as_text=True)
    action = f"/feedback/tickets/{t.number}/insert-link"
    resp = client.post(action, data={"csrf_token": csrf_from(page), "article_id": art.id})
    assert resp.status_code == 422
    assert "The link was not inserted" in resp.get_data(as_text=True)
    assert count(ArticleUse) == 0
    note = client.post(action, data={"csrf_token": csrf_from(page), "article_id": art.id,
                                     "internal": "y"})
    assert note.status_code == 302
    assert parse_qs(urlparse(note.headers["Location"]).query)["internal"] == ["y"]
    assert count(ArticleUse) == 1


def test_panel_search_offers_articles_and_marks_internal_ones(client, auth, users, db):
    article("Certificate renewal on IIS", body="Renew the certificate in IIS manager.")
    article("Certificate store internals", visibility="internal",
            body="Internal certificate notes.")
    t = ticket(users["alice"])
    auth.login("spec@kbdesk.test")
    page = client.get(f"/tickets/{t.number}?article_q=certificate").get_data(as_text=True)
    panel = page.split('id="insert-article"', 1)[1]
    assert "Certificate renewal on IIS" in panel
    assert "Certificate store internals" in panel and "internal only" in panel


def test_customer_sees_no_insert_panel(client, auth, users, db):
    t = ticket(users["alice"])
    auth.login("alice@alfa.test")
    art = article("Public")
    page = client.get(f"/tickets/{t.number}")
    assert 'id="insert-article"' not in page.get_data(as_text=True)
    resp = client.post(f"/feedback/tickets/{t.number}/insert-link",
                       data={"csrf_token": auth.csrf("/portal/"), "article_id": art.id})
    assert resp.status_code == 404
    assert count(ArticleUse) == 0
