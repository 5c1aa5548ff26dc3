"""Problem pages and the ticket panel: staff only, CSRF-protected forms, 422 on bad input."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.problems import services
from kbdesk.problems.models import Problem, ProblemTicket
from kbdesk.problems.proposals import propose
from kbdesk.tickets import services as tickets
from tests.conftest import csrf_from


def _problem(users, **data):
    return services.create_problem(users["specialist"], {"title": "Export hangs", **data})


def test_create_from_the_page_and_bad_input(client, auth, db, users):
    auth.login("spec@kbdesk.test")
    page = client.get("/problems/new")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    bad = client.post("/problems/new", data={"csrf_token": token, "title": "", "status": "open"})
    assert bad.status_code == 422
    wrong = client.post("/problems/new", data={"csrf_token": token, "title": "X",
                                                "status": "fixed"})
    assert wrong.status_code == 422 and "A new problem is open or a known error." in \
        wrong.get_data(as_text=True)
    assert db.session.scalar(select(Problem.id)) is None
    no_csrf = client.post("/problems/new", data={"title": "X", "status": "open"})
    assert no_csrf.status_code == 400 and db.session.scalar(select(Problem.id)) is None
    ok = client.post("/problems/new", data={"csrf_token": token, "title": "Export hangs",
                                            "status": "open", "workaround": "Use **CSV**."})
    assert ok.status_code == 302
    problem = db.session.scalar(select(Problem))
    html = client.get(f"/problems/{problem.id}").get_data(as_text=True)
    assert "Export hangs" in html and "<strong>CSV</strong>" in html
    listing = client.get("/problems/?status=open").get_data(as_text=True)
    assert problem.number in listing
    assert problem.number not in client.get("/problems/?status=closed").get_data(as_text=True)


def test_edit_status_workaround_and_history(client, auth, db, users):
    problem = _problem(users)
    db.session.commit()
    auth.login("spec@kbdesk.test")
    url = f"/problems/{problem.id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    resp = client.post(url, data={"csrf_token": token, "title": "Export hangs",
                                  "status": "known_error", "workaround": "Restart <b>it</b>",
                                  "root_cause": "", "application_id": "", "release_id": "",
                                  "owner_id": str(users["specialist"].id)})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Problem, problem.id).status == "known_error"
    html = client.get(url).get_data(as_text=True)
    assert "edited the workaround" in html and "Known error" in html
    bad = client.post(url, data={"csrf_token": token, "title": "Export hangs",
                                 "status": "proposed"})
    assert bad.status_code == 422
    assert db.session.get(Problem, problem.id).status == "known_error"


def test_accept_and_reject_buttons(client, auth, db, users, open_similar):
    open_similar(3)
    first = propose()[0]
    db.session.commit()
    auth.login("spec@kbdesk.test")
    html = client.get("/problems/").get_data(as_text=True)
    assert 'title="Proposals waiting for a decision">1<' in html
    page = client.get(f"/problems/{first.id}").get_data(as_text=True)
    assert "Accept" in page and "Reject" in page
    # the weekly chart: this week's bar holds the three tickets
    assert "<svg" in page and ": 3</title></rect>" in page
    token = csrf_from(page)
    assert client.post(f"/problems/{first.id}/accept",
                       data={"csrf_token": token, "title": ""}).status_code == 422
    resp = client.post(f"/problems/{first.id}/accept",
                       data={"csrf_token": token, "title": "PDF export timeouts"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Problem, first.id).status == "open"
    assert db.session.get(Problem, first.id).title == "PDF export timeouts"
    assert client.post(f"/problems/{first.id}/reject", data={}).status_code == 400
    assert client.post(f"/problems/{first.id}/reject",
                       data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Problem, first.id).status == "rejected"
    assert client.post(f"/problems/{first.id}/reject",
                       data={"csrf_token": token}).status_code == 422


def test_ticket_panel_links_shows_workaround_and_unlinks(client, auth, db, users):
    problem = _problem(users, workaround="Clear the **export cache**.")
    ticket = tickets.open_ticket(users["alice"], {"subject": "Export hangs"}, channel="portal")
    db.session.commit()
    auth.login("spec@kbdesk.test")
    url = f"/tickets/{ticket.number}"
    page = client.get(url).get_data(as_text=True)
    assert "Not linked to a problem." in page and problem.title in page
    token = csrf_from(page)
    bad = client.post(f"/problems/link-ticket/{ticket.number}",
                      data={"csrf_token": token, "problem": "9999"})
    assert bad.status_code == 422 and db.session.scalar(select(ProblemTicket.id)) is None
    resp = client.post(f"/problems/link-ticket/{ticket.number}",
                       data={"csrf_token": token, "problem": str(problem.id)})
    assert resp.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "<strong>export cache</strong>" in page
    assert f"linked to problem {problem.number} “{problem.title}”" in page
    resp = client.post(f"/problems/{problem.id}/tickets/{ticket.id}/unlink",
                       data={"csrf_token": token, "back_ticket": ticket.number})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(url)
    assert db.session.scalar(select(ProblemTicket.id)) is None


def test_link_by_number_on_the_problem_page(client, auth, db, users):
    problem = _problem(users)
    ticket = tickets.open_ticket(users["alice"], {"subject": "Export hangs"}, channel="portal")
    db.session.commit()
    auth.login("spec@kbdesk.test")
    token = csrf_from(client.get(f"/problems/{problem.id}").get_data(as_text=True))
    bad = client.post(f"/problems/{problem.id}/tickets", data={"csrf_token": token,
                                                               "ticket": "2026-999999"})
    assert bad.status_code == 422
    ok = client.post(f"/problems/{problem.id}/tickets", data={"csrf_token": token,
                                                              "ticket": ticket.number})
    assert ok.status_code == 302
    assert ticket.number in client.get(f"/problems/{problem.id}").get_data(as_text=True)


def test_customers_never_see_problem_pages_or_panel(client, auth, db, users):
    problem = _problem(users, workaround="internal workaround text")
    ticket = tickets.open_ticket(users["alice"], {"subject": "Export hangs"}, channel="portal")
    services.link_ticket(users["specialist"], problem.id, ticket.id)
    db.session.commit()
    auth.login("alice@alfa.test")
    for url in ("/problems/", f"/problems/{problem.id}", "/problems/new"):
        assert client.get(url).status_code == 404, url
    for path in (f"/portal/tickets/{ticket.number}", "/portal/"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert "internal workaround text" not in resp.get_data(as_text=True), path
        assert "Problems" not in resp.get_data(as_text=True), path
