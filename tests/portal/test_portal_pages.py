"""The portal through its pages: home, search, articles and votes, filing, own tickets."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from kbdesk.portal.models import Announcement, ArticleVote, SuggestionEvent
from kbdesk.tickets.models import Ticket
from tests.conftest import csrf_from


def test_customer_lands_on_portal_home(client, auth, users, world, db):
    db.session.add(Announcement(text="Maintenance on Saturday", language="en"))
    db.session.add(Announcement(text="Only for Beta", language="en", customer=users["beta"]))
    db.session.commit()
    auth.login("alice@alfa.test")
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/portal/")
    html = client.get("/portal/").get_data(as_text=True)
    # Czech customer: the portal speaks Czech by default; the search box comes first.
    assert 'lang="cs"' in html
    assert html.index('name="q"') < html.index(world["a"].number)
    assert "Maintenance on Saturday" in html and "Only for Beta" not in html
    assert "status-panel" in html
    assert world["b"].number not in html


def test_session_language_choice_wins(client, auth, users, world):
    auth.login("alice@alfa.test")
    client.get("/lang/en")
    html = client.get("/portal/").get_data(as_text=True)
    assert 'lang="en"' in html and "Support portal" in html


def test_every_portal_page_renders_in_both_languages(client, auth, users, world):
    auth.login("alice@alfa.test")
    a = world["a"]
    pages = ["/portal/", "/portal/search?q=printer", f"/portal/articles/{world['arts']['public'].id}",
             "/portal/tickets/new", "/portal/tickets", f"/portal/tickets/{a.number}",
             "/portal/releases", f"/portal/applications/{world['alfa_app'].id}/releases"]
    for lang in ("cs", "en"):
        client.get(f"/lang/{lang}")
        for url in pages:
            resp = client.get(url)
            assert resp.status_code == 200, (lang, url)
            assert f'lang="{lang}"' in resp.get_data(as_text=True)


def test_staff_do_not_get_a_portal(client, auth, users, world):
    auth.login("spec@kbdesk.test")
    assert client.get("/portal/").status_code == 404
    assert client.get("/portal/tickets").status_code == 404


def test_search_shows_public_and_own_customer_articles_only(client, auth, users, world):
    auth.login("alice@alfa.test")
    html = client.get("/portal/search?q=printer spooler").get_data(as_text=True)
    arts = world["arts"]
    # result links may carry ?sl=<search log id> (knowledge gaps record the opened result)
    linked = {int(i) for i in re.findall(r'/portal/articles/(\d+)[?"]', html)}
    assert {arts["public"].id, arts["alfa"].id} <= linked
    for hidden in ("beta", "internal", "draft"):
        assert arts[hidden].id not in linked


def test_article_vote_is_one_per_user_and_changeable(client, auth, users, world, db):
    auth.login("alice@alfa.test")
    art = world["arts"]["public"]
    url = f"/portal/articles/{art.id}"
    html = client.get(url).get_data(as_text=True)
    assert "Restart the print spooler" in html
    assert client.post(f"{url}/vote", data={"helpful": "yes"}).status_code == 400  # no CSRF
    token = csrf_from(html)
    assert client.post(f"{url}/vote", data={"helpful": "yes", "csrf_token": token}).status_code == 302
    assert client.post(f"{url}/vote", data={"helpful": "no", "csrf_token": token}).status_code == 302
    votes = list(db.session.scalars(select(ArticleVote).where(ArticleVote.article_id == art.id)))
    assert len(votes) == 1 and votes[0].helpful is False
    bad = client.post(f"{url}/vote", data={"helpful": "maybe", "csrf_token": token})
    assert bad.status_code == 422


def test_suggestions_recorded_shown_and_opened_then_deflection(client, auth, users, world, db):
    auth.login("alice@alfa.test")
    client.get("/portal/tickets/new")
    assert client.get("/portal/suggest?q=pr").get_json() == {"suggestions": []}
    data = client.get("/portal/suggest?q=printer spooler").get_json()["suggestions"]
    ids = [s["id"] for s in data]
    arts = world["arts"]
    assert 0 < len(ids) <= 5
    assert arts["beta"].id not in ids and arts["internal"].id not in ids
    client.get("/portal/suggest?q=printer spooler")  # the same list again: not counted twice
    shown = list(db.session.scalars(select(SuggestionEvent).where(SuggestionEvent.kind == "shown")))
    assert len(shown) == len(ids)
    assert client.get(data[0]["url"]).status_code == 200
    opened = list(db.session.scalars(select(SuggestionEvent).where(SuggestionEvent.kind == "opened")))
    assert [e.article_id for e in opened] == [ids[0]]
    # No ticket filed: a deflection in the staff report.
    client.post("/logout", data={"csrf_token": auth.csrf("/portal/")})
    auth.login("spec@kbdesk.test")
    html = client.get("/portal/report/deflection").get_data(as_text=True)
    assert 'id="total-deflections">1<' in html and 'id="total-filed">0<' in html


def test_filing_with_attachment_links_suggestions_and_shows_number(client, auth, users, world, db):
    auth.login("alice@alfa.test")
    html = client.get("/portal/tickets/new").get_data(as_text=True)
    client.get("/portal/suggest?q=printer spooler")
    resp = client.post("/portal/tickets/new", data={
        "csrf_token": csrf_from(html), "subject": "Printer spooler hangs", "description": "Again.",
        "severity": "high", "attachments": (io.BytesIO(b"spool log"), "spool.log")},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    ticket = db.session.scalar(select(Ticket).where(Ticket.subject == "Printer spooler hangs"))
    assert ticket.channel == "portal" and ticket.severity == "high"
    assert ticket.number in page and "spool.log" in page
    events = list(db.session.scalars(select(SuggestionEvent)))
    assert events and all(e.ticket_id == ticket.id for e in events)
    # A fresh filing session afterwards.
    client.get("/portal/suggest?q=printer spooler")
    assert db.session.scalar(select(SuggestionEvent).where(SuggestionEvent.ticket_id.is_(None)))


def test_filing_errors_keep_input_and_change_nothing(client, auth, users, world, db):
    auth.login("alice@alfa.test")
    html = client.get("/portal/tickets/new").get_data(as_text=True)
    before = db.session.query(Ticket).count()
    resp = client.post("/portal/tickets/new", data={"csrf_token": csrf_from(html), "subject": "",
                                                    "description": "kept text"})
    assert resp.status_code == 422 and "kept text" in resp.get_data(as_text=True)
    assert db.session.query(Ticket).count() == before


def test_ticket_detail_hides_internal_and_shows_release(client, auth, users, world):
    auth.login("alice@alfa.test")
    a = world["a"]
    html = client.get(f"/portal/tickets/{a.number}").get_data(as_text=True)
    assert "Public answer to Alfa." in html
    assert "SECRET internal note" not in html and "internal.txt" not in html
    assert "alfa.log" in html
    assert "2.4" in html and "15" in html  # planned for 2.4 (15 Dec)
    assert "id=\"ticket-sla\"" in html
    assert client.get(f"/portal/tickets/{a.number}/attachments/{world['a_internal'].id}").status_code == 404
    assert client.get(f"/portal/tickets/{a.number}/attachments/{world['a_file'].id}").data == b"alfa log"


def test_reply_with_attachment_close_and_reopen(client, auth, users, world, db):
    auth.login("alice@alfa.test")
    a = world["a"]
    html = client.get(f"/portal/tickets/{a.number}").get_data(as_text=True)
    token = csrf_from(html)
    resp = client.post(f"/portal/tickets/{a.number}/reply", data={
        "csrf_token": token, "body": "Here is the screenshot.",
        "attachments": (io.BytesIO(b"png-ish"), "shot.txt")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    html = client.get(f"/portal/tickets/{a.number}").get_data(as_text=True)
    assert "Here is the screenshot." in html and "shot.txt" in html
    client.post(f"/portal/tickets/{a.number}/status", data={"csrf_token": token, "status": "closed"})
    db.session.expire_all()
    assert db.session.get(Ticket, a.id).status == "closed"
    client.post(f"/portal/tickets/{a.number}/status", data={"csrf_token": token, "status": "open"})
    db.session.expire_all()
    assert db.session.get(Ticket, a.id).status == "open"


def test_customer_sees_only_own_tickets_when_configured(client, auth, users, world, make, db):
    carol = make.User(role="customer", email="carol@alfa.test", name="Carol", customer=users["alfa"])
    auth.login(carol.email)
    assert world["a"].number in client.get("/portal/tickets").get_data(as_text=True)
    users["alfa"].portal_sees_all = False
    db.session.commit()
    assert world["a"].number not in client.get("/portal/tickets").get_data(as_text=True)
    assert client.get(f"/portal/tickets/{world['a'].number}").status_code == 404
