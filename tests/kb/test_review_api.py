"""Article review through the JSON API: submit, approve, return, reviewed, queue, stale."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kbdesk.kb import review
from kbdesk.kb.models import Article, ArticleReview


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(make, users):
    return {name: bearer(make.token(users[name]))
            for name in ("admin", "specialist", "developer", "tester", "alice", "bob")}


def test_full_workflow_submit_return_resubmit_approve(client, tokens, users, db, app):
    resp = client.post("/api/v1/articles", headers=tokens["developer"], json={
        "title": "IIS pool stops", "body": "Restart the pool.", "visibility": "public"})
    a = resp.get_json()
    assert resp.status_code == 201 and a["status"] == "draft" and a["review_due"] is None
    url = f"/api/v1/articles/{a['id']}"

    resp = client.post(f"{url}/submit", headers=tokens["developer"],
                       json={"reviewer_id": users["specialist"].id, "comment": "please"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "in_review"
    # The author of the latest revision may not approve it: 403 with a clear message.
    resp = client.post(f"{url}/approve", headers=tokens["developer"], json={})
    assert resp.status_code == 403
    assert "someone else must review it" in resp.get_json()["error"]["message"]
    # A tester writes but does not sign off.
    assert client.post(f"{url}/approve", headers=tokens["tester"], json={}).status_code == 403
    # Returning needs a comment; nothing changes without one.
    resp = client.post(f"{url}/return", headers=tokens["specialist"], json={"comment": "  "})
    assert resp.status_code == 422 and "comment" in resp.get_json()["error"]["fields"]
    assert db.session.get(Article, a["id"]).status == "in_review"
    resp = client.post(f"{url}/return", headers=tokens["specialist"],
                       json={"comment": "Say which IIS version."})
    assert resp.status_code == 200 and resp.get_json()["status"] == "draft"

    client.patch(url, headers=tokens["developer"], json={"body": "IIS 10: restart the pool."})
    assert client.post(f"{url}/submit", headers=tokens["developer"], json={}).status_code == 200
    resp = client.post(f"{url}/approve", headers=tokens["specialist"], json={"comment": "ok"})
    body = resp.get_json()
    assert resp.status_code == 200 and body["status"] == "published"
    expected = review.today() + timedelta(days=app.config.get("KB_REVIEW_INTERVAL_DAYS", 180))
    assert body["review_due"] == expected.isoformat() and body["reviewed_at"]
    art = db.session.get(Article, a["id"])
    db.session.refresh(art)
    assert art.reviewed_by_id == users["specialist"].id and art.reviewer_id is None

    page = client.get(f"{url}/reviews", headers=tokens["admin"]).get_json()
    assert [r["action"] for r in page["items"]] == ["approved", "submitted", "returned",
                                                    "submitted"]
    assert page["items"][2]["comment"] == "Say which IIS version."
    assert page["items"][3]["reviewer_id"] == users["specialist"].id
    assert page["items"][0]["revision"] == 2 and page["items"][0]["actor"] == "Spec"
    # Approving twice is a conflict, not a second publication.
    assert client.post(f"{url}/approve", headers=tokens["admin"], json={}).status_code == 409


def test_bad_input_is_refused_and_changes_nothing(client, tokens, kb, users, db):
    a = kb.article(actor=users["developer"], title="Draft")
    url = f"/api/v1/articles/{a.id}"
    # A customer user cannot be the reviewer, nor can the latest author.
    for bad in (users["alice"].id, users["developer"].id, "x", 99999):
        resp = client.post(f"{url}/submit", headers=tokens["developer"], json={"reviewer_id": bad})
        assert resp.status_code == 422 and "reviewer_id" in resp.get_json()["error"]["fields"]
    resp = client.post(f"{url}/submit", headers=tokens["developer"], data="{no",
                       content_type="application/json")
    assert resp.status_code == 400
    # Only drafts are submitted; only articles in review are approved or returned.
    assert client.post(f"{url}/approve", headers=tokens["admin"], json={}).status_code == 409
    assert client.post(f"{url}/reviewed", headers=tokens["admin"], json={}).status_code == 409
    resp = client.patch(url, headers=tokens["developer"], json={"review_due": "next week"})
    assert resp.status_code == 422 and "review_due" in resp.get_json()["error"]["fields"]
    db.session.expire_all()
    a = db.session.get(Article, a.id)
    assert a.status == "draft" and a.review_due is None
    assert db.session.query(ArticleReview).count() == 0


def test_only_admins_publish_directly(client, tokens, kb, users, db):
    a = kb.article(actor=users["developer"], title="Quick fix")
    resp = client.patch(f"/api/v1/articles/{a.id}", headers=tokens["specialist"],
                        json={"status": "published"})
    assert resp.status_code == 422 and "review" in resp.get_json()["error"]["fields"]["status"]
    db.session.refresh(a)
    assert a.status == "draft"
    resp = client.patch(f"/api/v1/articles/{a.id}", headers=tokens["admin"],
                        json={"status": "published"})
    assert resp.status_code == 200 and resp.get_json()["review_due"]
    # Configuration notes are operational facts: no review needed.
    resp = client.post("/api/v1/articles", headers=tokens["developer"], json={
        "title": "Alfa servers", "kind": "config", "customer": "alfa", "status": "published"})
    assert resp.status_code == 201


def test_customer_never_sees_articles_in_review(client, tokens, kb, users):
    a = kb.article(actor=users["developer"], title="Zebra printers jam", body="Zebra printer jams",
                   visibility="public")
    review.submit(users["developer"], a.id, {})
    from kbdesk.extensions import db
    db.session.commit()
    for name in ("alice", "bob"):
        h = tokens[name]
        assert client.get(f"/api/v1/articles/{a.id}", headers=h).status_code == 404
        assert client.get("/api/v1/articles?status=in_review", headers=h).get_json()["total"] == 0
        hits = client.get("/api/v1/search?q=zebra", headers=h).get_json()["items"]
        assert not any(hit.get("title") == a.title for hit in hits)
        assert client.post(f"/api/v1/articles/{a.id}/approve", headers=h,
                           json={}).status_code == 404
        assert client.get(f"/api/v1/articles/{a.id}/reviews", headers=h).status_code == 404
        assert client.get("/api/v1/articles/review-queue", headers=h).status_code == 403
        assert client.get("/api/v1/articles/stale", headers=h).status_code == 403
    # Staff find it in the index (so the filter, not a missing document, hides it).
    hits = client.get("/api/v1/search?q=zebra", headers=tokens["specialist"]).get_json()["items"]
    assert any(hit.get("title") == a.title for hit in hits)
    # Once published, the customer reads it, without the internal review dates.
    review.approve(users["specialist"], a.id, {})
    db.session.commit()
    got = client.get(f"/api/v1/articles/{a.id}", headers=tokens["alice"]).get_json()
    assert got["status"] == "published" and got["review_due"] is None and got["reviewed_at"] is None


def test_review_queue_puts_mine_first(client, tokens, kb, users, db):
    first = kb.article(actor=users["developer"], title="Waiting longest")
    second = kb.article(actor=users["developer"], title="Asked of spec")
    review.submit(users["developer"], first.id, {})
    review.submit(users["developer"], second.id, {"reviewer_id": users["specialist"].id})
    db.session.commit()
    page = client.get("/api/v1/articles/review-queue", headers=tokens["specialist"]).get_json()
    assert [i["title"] for i in page["items"]] == ["Asked of spec", "Waiting longest"]
    assert page["items"][0]["may_review"] is True
    page = client.get("/api/v1/articles/review-queue", headers=tokens["developer"]).get_json()
    assert page["total"] == 2 and not any(i["may_review"] for i in page["items"])


def test_stale_list_filters_sorts_and_mark_reviewed(client, tokens, kb, users, db):
    today = review.today()
    old = kb.article(title="Old runbook", status="published",
                     review_due=(today - timedelta(days=40)).isoformat())
    older = kb.article(title="Older alfa note", status="published", customer="alfa",
                       visibility="customer", review_due=(today - timedelta(days=90)).isoformat())
    kb.article(title="Fresh", status="published")
    kb.article(title="Draft past due", review_due=(today - timedelta(days=5)).isoformat())
    url = "/api/v1/articles/stale"
    page = client.get(url, headers=tokens["developer"]).get_json()
    assert [i["title"] for i in page["items"]] == ["Older alfa note", "Old runbook"]
    assert page["items"][0]["days_overdue"] == 90
    page = client.get(f"{url}?sort=least_overdue", headers=tokens["developer"]).get_json()
    assert [i["title"] for i in page["items"]] == ["Old runbook", "Older alfa note"]
    page = client.get(f"{url}?customer=alfa", headers=tokens["developer"]).get_json()
    assert [i["title"] for i in page["items"]] == ["Older alfa note"]
    page = client.get(f"{url}?author={users['specialist'].id}", headers=tokens["developer"])
    assert page.get_json()["total"] == 0
    assert client.get(f"{url}?sort=random", headers=tokens["developer"]).status_code == 422
    assert client.get(f"{url}?author=me", headers=tokens["developer"]).status_code == 422

    resp = client.post(f"/api/v1/articles/{old.id}/reviewed", headers=tokens["developer"],
                       json={"comment": "still right"})
    assert resp.status_code == 200 and resp.get_json()["review_due"] > today.isoformat()
    page = client.get(url, headers=tokens["developer"]).get_json()
    assert [i["title"] for i in page["items"]] == ["Older alfa note"]
    assert older.id in [i["id"] for i in page["items"]]


def test_openapi_documents_review_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/articles/{article_id}/submit", "/api/v1/articles/{article_id}/approve",
                 "/api/v1/articles/{article_id}/return", "/api/v1/articles/{article_id}/reviewed",
                 "/api/v1/articles/{article_id}/reviews", "/api/v1/articles/review-queue",
                 "/api/v1/articles/stale"):
        assert path in paths
