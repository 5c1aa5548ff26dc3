"""Votes from staff and the portal in one table; internal comments only for staff."""

from __future__ import annotations

from kbdesk.feedback.models import ArticleComment
from kbdesk.portal.models import ArticleVote
from tests.conftest import csrf_from
from tests.feedback.helpers import article, bearer, count


def test_staff_and_portal_votes_are_counted_separately(client, auth, users, make, db):
    art = article("Reset the cache")
    auth.login("spec@kbdesk.test")
    page = client.get(f"/kb/{art.id}").get_data(as_text=True)
    assert 'id="feedback"' in page
    assert client.post(f"/kb/{art.id}/vote", data={"helpful": "yes"}).status_code == 400
    resp = client.post(f"/kb/{art.id}/vote", data={"csrf_token": csrf_from(page),
                                                   "helpful": "yes"})
    assert resp.status_code == 302
    bad = client.post(f"/kb/{art.id}/vote", data={"csrf_token": csrf_from(page),
                                                  "helpful": "perhaps"})
    assert bad.status_code == 422
    auth.logout()
    auth.login("alice@alfa.test")
    portal = client.get(f"/portal/articles/{art.id}").get_data(as_text=True)
    assert client.post(f"/portal/articles/{art.id}/vote", data={
        "csrf_token": csrf_from(portal), "helpful": "no"}).status_code == 302
    stats = client.get(f"/api/v1/articles/{art.id}/stats",
                       headers=bearer(make.token(users["developer"]))).get_json()
    assert stats["votes"] == {"portal": {"yes": 0, "no": 1}, "staff": {"yes": 1, "no": 0}}


def test_api_votes_are_scoped_to_readable_articles(client, users, make, db):
    public = article("Public")
    beta_only = article("Beta private", visibility="customer", customer=users["beta"])
    internal = article("Internal", visibility="internal")
    alice = bearer(make.token(users["alice"]))
    resp = client.post(f"/api/v1/articles/{public.id}/votes", headers=alice,
                       json={"helpful": True})
    assert resp.status_code == 200 and resp.get_json() == {"article_id": public.id,
                                                           "helpful": True}
    changed = client.post(f"/api/v1/articles/{public.id}/votes", headers=alice,
                          json={"helpful": False})
    assert changed.get_json()["helpful"] is False
    for other in (beta_only, internal):
        assert client.post(f"/api/v1/articles/{other.id}/votes", headers=alice,
                           json={"helpful": True}).status_code == 404
    assert client.post(f"/api/v1/articles/{public.id}/votes", headers=alice,
                       json={"helpful": "maybe"}).status_code == 422
    assert client.post(f"/api/v1/articles/{public.id}/votes", headers=alice,
                       json={}).status_code == 422
    bob = bearer(make.token(users["bob"]))
    assert client.post(f"/api/v1/articles/{beta_only.id}/votes", headers=bob,
                       json={"helpful": True}).status_code == 200
    staff = bearer(make.token(users["tester"]))
    assert client.post(f"/api/v1/articles/{internal.id}/votes", headers=staff,
                       json={"helpful": True}).status_code == 200
    assert count(ArticleVote) == 3
    assert count(ArticleVote, ArticleVote.article_id == public.id,
                 ArticleVote.helpful.is_(False)) == 1


def test_comments_api_staff_only_and_sanitised(client, users, make, db):
    art = article("Public article")
    staff = bearer(make.token(users["developer"]))
    url = f"/api/v1/articles/{art.id}/comments"
    resp = client.post(url, headers=staff,
                       json={"body": "Step 3 is **wrong**<script>alert(1)</script>"})
    assert resp.status_code == 201, resp.get_json()
    c = resp.get_json()
    assert "<strong>wrong</strong>" in c["html"] and "<script" not in c["html"]
    assert c["author"] == "Dev" and c["resolved"] is False
    assert client.post(url, headers=staff, json={"body": "  "}).status_code == 422
    assert client.post(url, headers=staff, json={"body": 5}).status_code == 422
    listed = client.get(url, headers=staff).get_json()["items"]
    assert [x["id"] for x in listed] == [c["id"]]
    alice = bearer(make.token(users["alice"]))
    assert client.get(url, headers=alice).status_code == 404
    assert client.post(url, headers=alice, json={"body": "let me in"}).status_code == 404
    assert client.patch(f"/api/v1/article-comments/{c['id']}", headers=alice,
                        json={"resolved": True}).status_code == 404
    assert count(ArticleComment) == 1
    bad = client.patch(f"/api/v1/article-comments/{c['id']}", headers=staff,
                       json={"resolved": "yes"})
    assert bad.status_code == 422
    done = client.patch(f"/api/v1/article-comments/{c['id']}", headers=staff,
                        json={"resolved": True})
    assert done.status_code == 200 and done.get_json()["resolved"] is True


def test_comment_pages_and_customers_never_see_comments(client, auth, users, make, db):
    art = article("Readable by customers")
    auth.login("dev@kbdesk.test")
    page = client.get(f"/kb/{art.id}").get_data(as_text=True)
    url = f"/kb/{art.id}/comments"
    assert client.post(url, data={"body": "secret remark"}).status_code == 400
    empty = client.post(url, data={"csrf_token": csrf_from(page), "body": ""})
    assert empty.status_code == 422 and count(ArticleComment) == 0
    resp = client.post(url, data={"csrf_token": csrf_from(page),
                                  "body": "Mention the *secret remark* fix"})
    assert resp.status_code == 302
    shown = client.get(f"/kb/{art.id}").get_data(as_text=True)
    assert "<em>secret remark</em>" in shown
    comment = db.session.scalars(db.select(ArticleComment)).one()
    resolved = client.post(f"/kb/comments/{comment.id}/resolve",
                           data={"csrf_token": csrf_from(shown), "resolved": "1"})
    assert resolved.status_code == 302
    db.session.refresh(comment)
    assert comment.resolved is True
    auth.logout()
    auth.login("alice@alfa.test")
    for path in (f"/kb/{art.id}", f"/portal/articles/{art.id}"):
        body = client.get(path).get_data(as_text=True)
        assert "secret remark" not in body and 'id="feedback"' not in body
    assert client.post(url, data={"csrf_token": auth.csrf("/portal/"),
                                  "body": "x"}).status_code == 404
    hits = client.get("/api/v1/search?q=secret+remark",
                      headers=bearer(make.token(users["alice"]))).get_json()
    assert hits["total"] == 0
