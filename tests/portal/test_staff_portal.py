"""Staff side of the portal: announcements and the deflection report."""

from __future__ import annotations

from kbdesk.portal import deflection
from kbdesk.portal import services as portal
from tests.conftest import csrf_from


def test_staff_post_announcement_customers_see_it(client, auth, users, world):
    auth.login("spec@kbdesk.test")
    html = client.get("/portal/announcements").get_data(as_text=True)
    token = csrf_from(html)
    assert client.post("/portal/announcements", data={"csrf_token": token, "text": "",
                                                      "language": "cs"}).status_code == 422
    resp = client.post("/portal/announcements", data={"csrf_token": token, "language": "cs",
                                                      "text": "Odstávka v sobotu"})
    assert resp.status_code == 302
    client.post("/logout", data={"csrf_token": token})
    auth.login("alice@alfa.test")
    assert "Odstávka v sobotu" in client.get("/portal/").get_data(as_text=True)
    assert client.get("/portal/announcements").status_code == 404
    assert client.get("/portal/report/deflection").status_code == 404


def test_deflection_report_counts_per_week_and_article(db, users, world):
    alice, bob = users["alice"], users["bob"]
    art = world["arts"]["public"]
    # Alice: opens a suggestion and files nothing (a deflection).
    portal.suggest(alice, "printer spooler", "s1")
    portal.record_opened(alice, art.id, "s1")
    # Bob: sees suggestions and files anyway.
    portal.suggest(bob, "printer spooler", "s2")
    portal.file_ticket(bob, {"subject": "Printer still stuck"}, [], "s2")
    db.session.commit()
    report = deflection.report(users["specialist"])
    assert report["totals"]["deflections"] == 1 and report["totals"]["filed"] == 1
    assert report["totals"]["opened"] == 1 and report["totals"]["shown"] >= 2
    row = next(r for r in report["articles"] if r["id"] == art.id)
    assert row["deflections"] == 1 and row["filed"] == 1 and row["opened"] == 1
    assert len(report["weeks"]) == 1 and report["weeks"][0]["deflections"] == 1


def test_customer_releases_page_shows_only_own(client, auth, world):
    auth.login("alice@alfa.test")
    html = client.get("/portal/releases").get_data(as_text=True)
    assert "2.4" in html and world["a"].number in html
    assert "9.1" not in html and world["b"].number not in html
