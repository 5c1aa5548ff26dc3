"""Ticket → article through the JSON API, tenant isolation, config notes, and matching."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kbdesk.authoring.models import ArticleSource
from kbdesk.kb import services as kb
from kbdesk.kb.models import Article
from kbdesk.matching.service import match_ticket
from kbdesk.tickets import services as tickets
from tests.authoring.conftest import assert_clean, bearer


def counts(db) -> tuple[int, int]:
    return (db.session.scalar(select(func.count(Article.id))),
            db.session.scalar(select(func.count(ArticleSource.id))))


def test_draft_scrubs_and_reports_each_replacement(client, resolved, users, make):
    t, note, reply = resolved["ticket"], resolved["note"], resolved["reply"]
    staff = bearer(make.token(users["developer"]))
    resp = client.get(f"/api/v1/tickets/{t.id}/article-draft?messages={note.id},{reply.id}"
                      "&language=en", headers=staff)
    assert resp.status_code == 200, resp.get_json()
    draft = resp.get_json()
    assert draft["cause"] == [note.id] and draft["resolution"] == [reply.id]
    assert_clean(draft["body"])
    assert_clean(draft["title"])
    assert "## Cause\n\nCause: the invoice export query on [IP address]" in draft["body"]
    assert {r["kind"] for r in draft["replacements"]} == {"email", "phone", "ip", "host", "name",
                                                          "customer"}
    for r in draft["replacements"]:
        assert draft["original"][r["start"]:r["end"]] == r["original"]
    first = draft["replacements"][0]
    kept = client.get(f"/api/v1/tickets/{t.id}/article-draft?messages={note.id}&keep=0",
                      headers=staff).get_json()
    assert first["original"] in kept["body"]
    default = client.get(f"/api/v1/tickets/{t.id}/article-draft", headers=staff).get_json()
    assert (default["cause"], default["resolution"]) == ([note.id], [resolved["chat"].id])
    for bad in ("messages=abc", "messages=999999", "keep=x"):
        assert client.get(f"/api/v1/tickets/{t.id}/article-draft?{bad}",
                          headers=staff).status_code == 422


def test_api_creates_customer_article_with_sources(client, resolved, users, make, db):
    t = resolved["ticket"]
    staff = bearer(make.token(users["specialist"]))
    draft = client.get(f"/api/v1/tickets/{t.id}/article-draft", headers=staff).get_json()
    resp = client.post(f"/api/v1/tickets/{t.id}/article", headers=staff, json={
        "title": draft["title"], "body": draft["body"], "target": "customer",
        "tags": ["export", "timeout"], "language": "en"})
    assert resp.status_code == 201, resp.get_json()
    art = resp.get_json()
    assert (art["visibility"], art["customer"], art["status"]) == ("customer", "alfa", "draft")
    assert art["tags"] == ["export", "timeout"] and art["language"] == "en"
    assert_clean(art["body"])
    listed = client.get(f"/api/v1/tickets/{t.id}/documented-in", headers=staff).get_json()
    assert [a["id"] for a in listed["items"]] == [art["id"]]
    sources = client.get(f"/api/v1/articles/{art['id']}/sources", headers=staff).get_json()
    assert [s["number"] for s in sources["items"]] == [t.number]
    again = client.post(f"/api/v1/tickets/{t.id}/documented-in", headers=staff,
                        json={"article": art["id"]})
    assert again.status_code == 200 and counts(db) == (1, 1)


@pytest.mark.parametrize("payload,field", [
    ({"target": "everyone"}, "target"),
    ({"target": "public", "title": ""}, "title"),
    ({"target": "config", "title": "Two\nlines"}, "title"),
    ({"target": "public", "body": "Mail jan.novak@alfa.cz"}, "body"),
    ({"target": "config", "config_id": "x"}, "config_id"),
    ({"target": "public", "keep": [1]}, "keep"),
])
def test_bad_input_is_422_and_changes_nothing(client, resolved, users, make, db, payload, field):
    staff = bearer(make.token(users["specialist"]))
    data = {"title": "Export timeout", "body": "Add an index.", **payload}
    resp = client.post(f"/api/v1/tickets/{resolved['ticket'].id}/article", headers=staff,
                       json=data)
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["error"]["fields"]
    assert counts(db) == (0, 0)


def test_kept_personal_data_is_saved_on_purpose(client, resolved, users, make):
    staff = bearer(make.token(users["specialist"]))
    resp = client.post(f"/api/v1/tickets/{resolved['ticket'].id}/article", headers=staff, json={
        "title": "Export timeout", "body": "Restart the job on 10.20.30.40.",
        "target": "public", "keep": ["10.20.30.40"]})
    assert resp.status_code == 201 and "10.20.30.40" in resp.get_json()["body"]


def test_config_note_append_and_new_note(client, resolved, users, make, db):
    t, admin = resolved["ticket"], users["admin"]
    note = kb.create_article(admin, {"title": "Alfa servers", "body": "IIS 10 on the portal.",
                                     "kind": "config", "visibility": "internal",
                                     "customer": "alfa", "tags": ["iis"]})
    beta_note = kb.create_article(admin, {"title": "Beta servers", "body": "x", "kind": "config",
                                          "visibility": "internal", "customer": "beta"})
    db.session.commit()
    staff = bearer(make.token(users["specialist"]))
    url = f"/api/v1/tickets/{t.id}/article"
    wrong = client.post(url, headers=staff, json={"title": "Export", "body": "Index added.",
                                                  "target": "config", "config_id": beta_note.id})
    assert wrong.status_code == 422 and "config_id" in wrong.get_json()["error"]["fields"]
    resp = client.post(url, headers=staff, json={
        "title": "Invoice export timeout", "body": "Index on invoices(created_at).",
        "target": "config", "config_id": note.id, "tags": "export"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()["body"]
    assert body == ("IIS 10 on the portal.\n\n## Invoice export timeout\n\n"
                    "Index on invoices(created_at).")
    assert resp.get_json()["revision"] == 2 and resp.get_json()["tags"] == ["iis", "export"]
    new = client.post(url, headers=staff, json={"title": "Export job", "body": "Runs nightly.",
                                                "target": "config"})
    assert new.status_code == 201
    assert (new.get_json()["kind"], new.get_json()["visibility"],
            new.get_json()["customer"]) == ("config", "internal", "alfa")
    assert counts(db) == (3, 2)


def test_customer_tokens(client, resolved, users, make, db):
    t = resolved["ticket"]
    staff = bearer(make.token(users["specialist"]))
    alice, bob = bearer(make.token(users["alice"])), bearer(make.token(users["bob"]))
    art = client.post(f"/api/v1/tickets/{t.id}/article", headers=staff, json={
        "title": "Invoice export timeout", "body": "Add an index.", "target": "public"}).get_json()
    for who, status in ((alice, 403), (bob, 404)):
        assert client.get(f"/api/v1/tickets/{t.id}/article-draft", headers=who).status_code \
            == status
        assert client.post(f"/api/v1/tickets/{t.id}/article", headers=who, json={
            "title": "x", "body": "y", "target": "public"}).status_code == status
        assert client.post(f"/api/v1/tickets/{t.id}/documented-in", headers=who,
                           json={"article": art["id"]}).status_code == status
    assert client.get(f"/api/v1/tickets/{t.id}/documented-in", headers=bob).status_code == 404
    # A draft is internal: the customer sees neither it nor its sources.
    assert client.get(f"/api/v1/tickets/{t.id}/documented-in",
                      headers=alice).get_json()["items"] == []
    assert client.get(f"/api/v1/articles/{art['id']}/sources", headers=alice).status_code == 404
    kb.update_article(users["admin"], art["id"], {"status": "published"})
    db.session.commit()
    assert [a["id"] for a in client.get(f"/api/v1/tickets/{t.id}/documented-in",
                                        headers=alice).get_json()["items"]] == [art["id"]]
    assert [s["id"] for s in client.get(f"/api/v1/articles/{art['id']}/sources",
                                        headers=alice).get_json()["items"]] == [t.id]
    assert client.get(f"/api/v1/articles/{art['id']}/sources",
                      headers=bob).get_json()["items"] == []
    assert counts(db) == (1, 1)


def _publish_from_ticket(client, resolved, users, make, db) -> int:
    """Other published articles, then the resolved ticket's article, published."""
    t, admin = resolved["ticket"], users["admin"]
    for title, body in (("Printing invoices is slow", "Invoice printing takes minutes."),
                        ("VPN gateway drops connections", "The VPN gateway times out."),
                        ("Exporting reports to Excel", "How to export a report.")):
        kb.create_article(admin, {"title": title, "body": body, "visibility": "public",
                                  "status": "published"})
    db.session.commit()
    staff = bearer(make.token(users["specialist"]))
    draft = client.get(f"/api/v1/tickets/{t.id}/article-draft?language=en",
                       headers=staff).get_json()
    art = client.post(f"/api/v1/tickets/{t.id}/article", headers=staff, json={
        "title": draft["title"], "body": draft["body"], "target": "public"}).get_json()
    kb.update_article(admin, art["id"], {"status": "published"})
    db.session.commit()
    return art["id"]


def _next_ticket(spec, db, **extra):
    new = tickets.open_ticket(spec, {
        "customer": "alfa", "subject": "Invoice export ends with a gateway timeout",
        "description": "The export of invoices fails with a gateway timeout again.", **extra},
        channel="web")
    db.session.commit()
    return new


def test_published_article_comes_first_for_the_next_similar_ticket(client, resolved, users,
                                                                   make, db, runner):
    art_id = _publish_from_ticket(client, resolved, users, make, db)
    assert runner.invoke(args=["search", "rebuild"]).exit_code == 0  # one segment
    new = _next_ticket(users["specialist"], db)
    articles = match_ticket(users["specialist"], new)["articles"]
    assert articles and articles[0]["id"] == art_id, articles
    staff = bearer(make.token(users["specialist"]))
    similar = client.get(f"/api/v1/tickets/{new.id}/similar", headers=staff).get_json()
    assert similar["similar"]["articles"][0]["id"] == art_id


def test_first_on_an_incrementally_built_index(client, resolved, users, make, db):
    # Articles and tickets land in different segments, some without a customer column.
    art_id = _publish_from_ticket(client, resolved, users, make, db)
    new = _next_ticket(users["specialist"], db)
    assert match_ticket(users["specialist"], new)["articles"][0]["id"] == art_id
