"""Views, uses, votes and helped tickets per article: counters, pages and the API."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kbdesk.db_types import utcnow
from kbdesk.feedback import services
from kbdesk.feedback.models import ArticleViewDay
from kbdesk.tickets import services as tickets
from tests.feedback.helpers import article, bearer, ticket


def test_views_are_counted_per_day_from_every_surface(client, auth, users, make, db):
    art = article("Counted")
    auth.login("spec@kbdesk.test")
    assert client.get(f"/kb/{art.id}").status_code == 200
    assert client.get(f"/kb/{art.id}").status_code == 200
    auth.logout()
    auth.login("alice@alfa.test")
    assert client.get(f"/portal/articles/{art.id}").status_code == 200
    assert client.get("/portal/articles/999999").status_code == 404
    staff = bearer(make.token(users["developer"]))
    assert client.get(f"/api/v1/articles/{art.id}", headers=staff).status_code == 200
    rows = db.session.scalars(select(ArticleViewDay)).all()
    assert [(r.article_id, r.day, r.count) for r in rows] == [(art.id, utcnow().date(), 4)]
    services.record_view(art.id, now=utcnow() - timedelta(days=40))
    db.session.commit()
    s = client.get(f"/api/v1/articles/{art.id}/stats", headers=staff).get_json()
    assert (s["views"], s["views_30d"]) == (5, 4)
    assert len(s["daily_views"]) == 90 and s["daily_views"][-1] == {
        "day": utcnow().date().isoformat(), "views": 4}
    assert s["daily_views"][0]["views"] == 0


def test_use_shows_in_stats_and_ticket_helped_once_resolved(client, auth, users, make, db):
    art = article("Fix the export")
    t = ticket(users["alice"], "Export broken")
    staff = bearer(make.token(users["specialist"]))
    assert client.post(f"/api/v1/tickets/{t.id}/article-uses", headers=staff,
                       json={"article_id": art.id}).status_code == 201
    s = client.get(f"/api/v1/articles/{art.id}/stats", headers=staff).get_json()
    assert s["uses"] == 1 and s["helped"] == 0 and s["helped_tickets"] == []
    tickets.update_ticket(users["specialist"], t.id, {"status": "resolved"})
    db.session.commit()
    s = client.get(f"/api/v1/articles/{art.id}/stats", headers=staff).get_json()
    assert s["helped"] == 1 and [x["number"] for x in s["helped_tickets"]] == [t.number]
    auth.login("spec@kbdesk.test")
    page = client.get(f"/kb/{art.id}/stats").get_data(as_text=True)
    assert f"/tickets/{t.number}" in page and "<svg" in page
    assert 'data-stat="uses">1<' in page and 'data-stat="helped">1<' in page
    panel = client.get(f"/kb/{art.id}").get_data(as_text=True)
    assert "Tickets helped: <strong>1</strong>" in " ".join(panel.split())


def test_documented_in_source_tickets_count_as_helped(client, users, make, db):
    from kbdesk.authoring.models import ArticleSource

    art = article("Written from a ticket")
    t = ticket(users["alice"])
    db.session.add(ArticleSource(article_id=art.id, ticket_id=t.id))
    tickets.update_ticket(users["specialist"], t.id, {"status": "closed"})
    db.session.commit()
    s = client.get(f"/api/v1/articles/{art.id}/stats",
                   headers=bearer(make.token(users["developer"]))).get_json()
    assert [x["id"] for x in s["helped_tickets"]] == [t.id]


def test_stats_list_sorts_by_each_number(client, auth, users, make, db):
    viewed, used, voted = article("Viewed a lot"), article("Used a lot"), article("Liked")
    article("Config note", kind="config", visibility="internal")
    for _ in range(3):
        services.record_view(viewed.id)
    t = ticket(users["alice"])
    services.insert_link(users["specialist"], t.id, {"article_id": used.id})
    services.vote(users["alice"], voted.id, True)
    db.session.commit()
    staff = bearer(make.token(users["developer"]))

    def first(sort):
        body = client.get(f"/api/v1/articles/stats?sort={sort}", headers=staff).get_json()
        assert body["total"] == 3  # articles only, not configuration notes
        return body["items"][0]["title"]

    assert first("views") == "Viewed a lot"
    assert first("uses") == "Used a lot"
    assert first("votes") == "Liked"
    assert first("title") == "Liked"
    bad = client.get("/api/v1/articles/stats?sort=random", headers=staff)
    assert bad.status_code == 422 and "sort" in bad.get_json()["error"]["fields"]
    auth.login("spec@kbdesk.test")
    page = client.get("/kb/stats?sort=uses").get_data(as_text=True)
    assert page.index("Used a lot") < page.index("Viewed a lot")
    assert client.get("/kb/stats?sort=random").status_code == 200


def test_customers_get_no_stats(client, auth, users, make, db):
    art = article("Public")
    alice = bearer(make.token(users["alice"]))
    assert client.get(f"/api/v1/articles/{art.id}/stats", headers=alice).status_code == 404
    assert client.get("/api/v1/articles/stats", headers=alice).status_code == 404
    auth.login("alice@alfa.test")
    assert client.get(f"/kb/{art.id}/stats").status_code == 404
    assert client.get("/kb/stats").status_code == 404


def test_demo_adds_feedback_once(runner, db):
    from sqlalchemy import func

    from kbdesk.feedback.models import ArticleComment

    def counts():
        return (db.session.scalar(select(func.sum(ArticleViewDay.count))),
                db.session.scalar(select(func.count()).select_from(ArticleComment)))

    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    first = counts()
    assert first[0] > 0 and first[1] == 1
    assert runner.invoke(args=["demo", "--no-serve"]).exit_code == 0
    assert counts() == first
