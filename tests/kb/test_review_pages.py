"""Article review through the pages: panel, queue with diff, stale list, nav, CSRF, 404s."""

from __future__ import annotations

import re
from datetime import timedelta

from kbdesk.extensions import db
from kbdesk.kb import review
from kbdesk.kb.models import Article, ArticleReview
from tests.conftest import csrf_from


def _form_action(html: str, action: str) -> bool:
    return re.search(rf'action="/kb/\d+/review/{action}"', html) is not None


def test_submit_return_and_approve_through_the_pages(client, auth, kb, users):
    # Published by an admin, then a developer rewrites it as a draft and submits it.
    a = kb.article(title="Printer spooler", body="Restart the spooler.", status="published",
                   visibility="public")
    kb.update(a, actor=users["developer"], body="Restart the spooler.\nThen clear the queue.",
              status="draft")
    auth.login("dev@kbdesk.test")
    html = client.get(f"/kb/{a.id}").get_data(as_text=True)
    assert _form_action(html, "submit") and not _form_action(html, "approve")
    # The reviewer choice leaves out the author of the latest revision.
    assert f'<option value="{users["specialist"].id}">Spec</option>' in html
    assert f'<option value="{users["developer"].id}">' not in html
    url = f"/kb/{a.id}/review/submit"
    assert client.post(url, data={"comment": "x"}).status_code == 400  # no CSRF token
    assert db.session.get(Article, a.id).status == "draft"
    resp = client.post(url, data={"reviewer_id": str(users["specialist"].id), "comment": "pls",
                                  "csrf_token": csrf_from(html)})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Article, a.id).status == "in_review"
    html = client.get(f"/kb/{a.id}").get_data(as_text=True)
    assert "Waiting for review by someone who did not write the latest revision." in html
    assert not _form_action(html, "approve")
    # Approving one's own change is refused with a clear message.
    resp = client.post(f"/kb/{a.id}/review/approve", data={"csrf_token": csrf_from(html)})
    assert resp.status_code == 403 and "someone else must review it" in resp.get_data(as_text=True)

    auth.logout()
    auth.login("spec@kbdesk.test")
    page = client.get("/kb/review").get_data(as_text=True)
    assert "Printer spooler" in page and "assigned to you" in page
    assert "Then clear the queue." in page and 'class="diff-add"' in page  # diff vs published
    assert f"/kb/{a.id}/diff?a=1&amp;b=2" in page
    token = csrf_from(page)
    resp = client.post(f"/kb/{a.id}/review/return", data={"comment": "", "csrf_token": token})
    assert resp.status_code == 422 and "required" in resp.get_data(as_text=True).lower()
    db.session.expire_all()
    assert db.session.get(Article, a.id).status == "in_review"
    resp = client.post(f"/kb/{a.id}/review/approve",
                       data={"comment": "good", "csrf_token": token, "next": "/kb/review"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/kb/review")
    db.session.expire_all()
    art = db.session.get(Article, a.id)
    assert art.status == "published" and art.reviewed_by_id == users["specialist"].id
    assert "Nothing waits for review." in client.get("/kb/review").get_data(as_text=True)
    actions = [r.action for r in db.session.query(ArticleReview).order_by(ArticleReview.id)]
    assert actions == ["submitted", "approved"]


def test_next_must_stay_on_site(client, auth, kb, users):
    a = kb.article(title="Fresh", status="published")
    auth.login("spec@kbdesk.test")
    token = auth.csrf(f"/kb/{a.id}")
    for away in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        resp = client.post(f"/kb/{a.id}/review/reviewed",
                           data={"csrf_token": token, "next": away})
        assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/kb/{a.id}")


def test_stale_page_lists_overdue_and_marks_reviewed(client, auth, kb, users):
    today = review.today()
    old = kb.article(title="Ancient runbook", status="published",
                     review_due=(today - timedelta(days=30)).isoformat())
    kb.article(title="Fresh article", status="published")
    auth.login("test@kbdesk.test")
    html = client.get("/kb/stale").get_data(as_text=True)
    assert "Ancient runbook" in html and "Fresh article" not in html
    assert client.get("/kb/stale?customer=alfa").get_data(as_text=True).count("Ancient") == 0
    assert client.get("/kb/stale?sort=bogus").status_code == 422
    page = client.get(f"/kb/{old.id}").get_data(as_text=True)
    assert "Stale: 30 days overdue" in page
    resp = client.post(f"/kb/{old.id}/review/reviewed",
                       data={"csrf_token": csrf_from(html), "next": "/kb/stale"})
    assert resp.status_code == 302
    assert "Ancient runbook" not in client.get("/kb/stale").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Article, old.id).review_due > today


def test_review_date_form(client, auth, kb, users):
    a = kb.article(title="Dated", status="published")
    auth.login("spec@kbdesk.test")
    token = auth.csrf(f"/kb/{a.id}")
    resp = client.post(f"/kb/{a.id}/review-date", data={"review_due": "someday",
                                                        "csrf_token": token})
    assert resp.status_code == 422 and "YYYY-MM-DD" in resp.get_data(as_text=True)
    before = a.review_due
    db.session.expire_all()
    assert db.session.get(Article, a.id).review_due == before
    resp = client.post(f"/kb/{a.id}/review-date", data={"review_due": "2030-01-31",
                                                        "csrf_token": token})
    assert resp.status_code == 302
    db.session.expire_all()
    art = db.session.get(Article, a.id)
    assert art.review_due.isoformat() == "2030-01-31" and art.revision == 1  # no new revision


def test_nav_links_and_customers_locked_out(client, auth, kb, users):
    a = kb.article(actor=users["developer"], title="Hidden in review", visibility="public",
                   body="Hidden review text")
    review.submit(users["developer"], a.id, {})
    db.session.commit()
    auth.login("spec@kbdesk.test")
    html = client.get("/kb/").get_data(as_text=True)
    assert 'href="/kb/review">Review <span class="badge"' in html and 'href="/kb/stale"' in html
    auth.logout()
    auth.login("alice@alfa.test")
    for url in ("/kb/review", "/kb/stale", f"/kb/{a.id}"):
        assert client.get(url).status_code == 404
    assert client.get(f"/portal/articles/{a.id}").status_code == 404
    html = client.get("/portal/search?q=hidden review").get_data(as_text=True)
    assert f"/portal/articles/{a.id}\"" not in html
    assert client.post(f"/kb/{a.id}/review/approve",
                       data={"csrf_token": auth.csrf("/portal/")}).status_code == 404


def test_demo_adds_review_examples_once(runner, db):
    for _ in range(2):
        result = runner.invoke(args=["demo", "--no-serve"])
        assert result.exit_code == 0, result.output
    waiting = db.session.query(Article).filter(Article.status == "in_review").all()
    assert len(waiting) == 1 and waiting[0].reviewer.email == "specialist@kbdesk.example"
    assert db.session.query(ArticleReview).count() == 1
    from kbdesk.accounts.models import User
    spec = db.session.query(User).filter(User.email == "specialist@kbdesk.example").one()
    assert review.stale_articles(spec)[1] == 2


def test_the_editor_offers_published_only_to_those_who_may_publish(client, auth, users):
    auth.login("spec@kbdesk.test")
    page = client.get("/kb/new").get_data(as_text=True)
    assert 'value="in_review"' in page and 'value="published"' not in page
    assert 'value="published"' in client.get("/kb/new?kind=config").get_data(as_text=True)
    token = csrf_from(page)
    resp = client.post("/kb/new", data={"csrf_token": token, "title": "Sneaky", "kind": "article",
                                        "visibility": "public", "status": "published",
                                        "language": "en", "body": "x"})
    assert resp.status_code == 422
    auth.logout()
    auth.login("admin@kbdesk.test")
    assert 'value="published"' in client.get("/kb/new").get_data(as_text=True)
