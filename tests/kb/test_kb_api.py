"""The articles API: list, create, read, change, revisions; customer tokens stay in their lane."""

from __future__ import annotations

import pytest


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(make, users):
    return {name: bearer(make.token(users[name]))
            for name in ("admin", "specialist", "developer", "alice", "bob")}


def test_create_read_patch_and_revisions(client, tokens, kb, users):
    resp = client.post("/api/v1/articles", headers=tokens["developer"], json={
        "title": "PostgreSQL too many clients", "body": "## Fix\n\nUse **pgbouncer**.",
        "tags": ["PostgreSQL", "pgbouncer"], "language": "en", "visibility": "public",
        "status": "draft"})  # a developer no longer publishes directly (kb.review)
    assert resp.status_code == 201, resp.get_json()
    a = resp.get_json()
    assert a["slug"] == "postgresql-too-many-clients" and a["revision"] == 1
    assert a["tags"] == ["postgresql", "pgbouncer"] and a["author"] == "Dev"
    assert '<h2 id="fix">Fix</h2>' in a["html"] and a["url"] == f"/kb/{a['id']}"

    resp = client.patch(f"/api/v1/articles/{a['id']}", headers=tokens["specialist"],
                        json={"body": "## Fix\n\nUse pgbouncer.", "note": "less bold",
                              "base_revision": 1})
    assert resp.status_code == 200 and resp.get_json()["revision"] == 2
    # An unchanged PATCH makes no revision.
    resp = client.patch(f"/api/v1/articles/{a['id']}", headers=tokens["specialist"],
                        json={"body": "## Fix\n\nUse pgbouncer."})
    assert resp.get_json()["revision"] == 2
    # A stale base revision is a conflict.
    resp = client.patch(f"/api/v1/articles/{a['id']}", headers=tokens["admin"],
                        json={"body": "other", "base_revision": 1})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "conflict"

    resp = client.get(f"/api/v1/articles/{a['id']}/revisions", headers=tokens["admin"])
    page = resp.get_json()
    assert page["total"] == 2 and [r["number"] for r in page["items"]] == [2, 1]
    assert page["items"][0]["note"] == "less bold" and page["items"][0]["current"] is True


def test_validation_errors_are_json(client, tokens, users):
    resp = client.post("/api/v1/articles", headers=tokens["admin"],
                       json={"title": "Note", "kind": "config", "visibility": "public"})
    assert resp.status_code == 422
    fields = resp.get_json()["error"]["fields"]
    assert "visibility" in fields and "customer" in fields
    resp = client.post("/api/v1/articles", headers=tokens["admin"], data="{oops",
                       content_type="application/json")
    assert resp.status_code == 400


def test_list_filters_and_pagination(client, tokens, corpus):
    resp = client.get("/api/v1/articles?kind=config", headers=tokens["specialist"])
    assert {a["title"] for a in resp.get_json()["items"]} == {"Alfa config", "Beta config"}
    resp = client.get("/api/v1/articles?customer=alfa&tag=", headers=tokens["specialist"])
    assert {a["title"] for a in resp.get_json()["items"]} == {"Alfa only", "Alfa config"}
    resp = client.get("/api/v1/articles?tag=iis", headers=tokens["specialist"])
    assert [a["title"] for a in resp.get_json()["items"]] == ["Public IIS 503"]
    resp = client.get("/api/v1/articles?limit=3", headers=tokens["specialist"])
    page = resp.get_json()
    assert len(page["items"]) == 3 and page["total"] == len(corpus) and page["next"]
    assert "body" not in page["items"][0]
    resp = client.get("/api/v1/articles?status=nope", headers=tokens["specialist"])
    assert resp.status_code == 422


def test_customer_token_isolation(client, tokens, corpus):
    alice = tokens["alice"]
    page = client.get("/api/v1/articles", headers=alice).get_json()
    assert {a["title"] for a in page["items"]} == {"Public IIS 503", "Alfa only"}
    assert page["total"] == 2
    assert client.get("/api/v1/articles?customer=beta", headers=alice).get_json()["total"] == 0
    assert client.get("/api/v1/articles?kind=config", headers=alice).get_json()["total"] == 0
    for key in ("beta", "internal", "alfa_config", "beta_config", "public_draft", "archived"):
        resp = client.get(f"/api/v1/articles/{corpus[key].id}", headers=alice)
        assert resp.status_code == 404, key
        assert resp.get_json()["error"]["code"] == "not_found"
        assert corpus[key].title not in resp.get_data(as_text=True)
        resp = client.patch(f"/api/v1/articles/{corpus[key].id}", headers=alice,
                            json={"title": "mine"})
        assert resp.status_code == 404, key
        assert client.get(f"/api/v1/articles/{corpus[key].id}/revisions",
                          headers=alice).status_code == 404
    own = client.get(f"/api/v1/articles/{corpus['alfa'].id}", headers=alice).get_json()
    assert own["customer"] == "alfa" and own["author"] is None
    # Readable but not writable: 403.
    resp = client.patch(f"/api/v1/articles/{corpus['alfa'].id}", headers=alice,
                        json={"title": "mine"})
    assert resp.status_code == 403
    assert client.get(f"/api/v1/articles/{corpus['public'].id}/revisions",
                      headers=alice).status_code == 403
    resp = client.post("/api/v1/articles", headers=alice, json={"title": "mine"})
    assert resp.status_code == 403
    bob_sees = client.get(f"/api/v1/articles/{corpus['beta'].id}", headers=tokens["bob"])
    assert bob_sees.status_code == 200
    assert client.get(f"/api/v1/articles/{corpus['alfa'].id}",
                      headers=tokens["bob"]).status_code == 404


def test_public_article_about_a_customer_does_not_name_it_to_others(client, tokens, kb):
    a = kb.article(title="Public, about alfa", visibility="public", status="published",
                   customer="alfa")
    body = client.get(f"/api/v1/articles/{a.id}", headers=tokens["bob"]).get_json()
    assert body["customer"] is None and body["application"] is None


def test_routes_are_documented(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"get", "post"} <= set(doc["paths"]["/api/v1/articles"])
    assert {"get", "patch"} <= set(doc["paths"]["/api/v1/articles/{article_id}"])
    assert "get" in doc["paths"]["/api/v1/articles/{article_id}/revisions"]
    for name in ("Article", "ArticleInput", "ArticlePage", "ArticleRevision",
                 "ArticleRevisionPage"):
        assert name in doc["components"]["schemas"]
