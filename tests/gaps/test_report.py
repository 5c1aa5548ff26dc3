"""The "articles to write" report: page, API, ticket gaps, ranking, dismissing, CLI."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from kbdesk.db_types import utcnow
from kbdesk.gaps import report as reports
from kbdesk.gaps import services as gaps
from kbdesk.gaps.models import GapDismissal, SearchLog, TicketGap
from kbdesk.tickets import services as tickets
from tests.conftest import csrf_from
from tests.gaps.conftest import bearer


def api_gaps(client, token, query: str = "") -> list[dict]:
    resp = client.get(f"/api/v1/gaps{query}", headers=bearer(token))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["items"]


def by_title(items: list[dict]) -> dict[str, dict]:
    return {g["title"]: g for g in items}


def test_a_portal_search_that_found_nothing_is_on_the_report(client, auth, users, library, db,
                                                             make):
    # Done-when: "The gap report lists a query that found nothing".
    auth.login("alice@alfa.test")
    assert client.get("/portal/search?q=barcode scanner beeps").status_code == 200
    client.post("/logout", data={"csrf_token": auth.csrf("/portal/")})
    auth.login("spec@kbdesk.test")
    html = client.get("/gaps/").get_data(as_text=True)
    assert "barcode scanner beeps" in html and "Write article" in html
    assert "/search/?q=barcode+scanner+beeps&amp;from=gaps" in html
    [gap] = [g for g in api_gaps(client, make.token(users["specialist"]), "?scope=portal")
             if g["kind"] == "query"]
    assert gap["examples"] == ["barcode scanner beeps"]
    assert (gap["searches"], gap["zero_results"], gap["no_click"]) == (1, 1, 0)
    assert gap["customers"] == 1 and gap["scopes"] == ["portal"]
    # the staff scope has no such search
    assert not api_gaps(client, make.token(users["specialist"]), "?scope=staff")


def test_no_click_counts_and_a_clicked_search_does_not(client, auth, users, library, db, make):
    other = make.User(role="customer", email="carol@alfa.test", customer=users["alfa"])
    opened = gaps.log_search(users["alice"], "portal", "printer queue", 1)
    gaps.log_search(other, "portal", "Printer  queue!", 1)  # results, nothing opened
    gaps.record_click(users["alice"], opened, {"kind": "article", "id": library["public"].id})
    gaps.log_search(users["bob"], "portal", "invoice export", 1)
    gaps.record_click(users["bob"], gaps.get_log(users["bob"], 3).id, {"kind": "article", "id": 3})
    db.session.commit()
    items = api_gaps(client, make.token(users["specialist"]))
    [printer] = [g for g in items if g["key"] == gaps.normalise("printer queue")]
    assert (printer["searches"], printer["no_click"], printer["zero_results"]) == (2, 1, 0)
    assert printer["users"] == 2
    assert set(printer["examples"]) == {"printer queue", "Printer  queue!"}
    # every invoice search had a result opened: no gap
    assert not [g for g in items if "invoice" in g["key"]]


def test_ranking_prefers_zero_results_tickets_and_recent(db, users, library):
    now = utcnow()
    for q, results, age in (("old nothing", 0, 80), ("new nothing", 0, 1),
                            ("opened nothing", 2, 1)):
        db.session.add(SearchLog(scope="staff", query=q, normalised=gaps.normalise(q),
                                 results=results, user_id=users["specialist"].id,
                                 created_at=now - timedelta(days=age)))
    db.session.commit()
    order = [g["title"] for g in reports.report(users["specialist"])["gaps"]]
    assert order == ["new nothing", "opened nothing", "old nothing"]
    assert [g["title"] for g in reports.report(users["specialist"], days=30)["gaps"]] == [
        "new nothing", "opened nothing"]


def test_the_gap_check_waits_for_the_ticket_to_be_committed(users, library, db):
    ticket = tickets.open_ticket(users["specialist"], {
        "customer": "alfa", "subject": "Forklift terminal reboots"}, channel="phone")
    count = lambda: db.session.scalar(select(func.count(TicketGap.id)))  # noqa: E731
    assert count() == 0  # not in the request that opens the ticket...
    db.session.commit()
    assert count() == 1  # ...but by the task queued for after the commit
    assert db.session.scalar(select(TicketGap.ticket_id)) == ticket.id


def test_new_ticket_without_a_matching_article_is_a_ticket_gap(client, users, library, db, make):
    token = make.token(users["specialist"])
    app = make.Application(customer=users["alfa"], name="Sklad", environment="prod")
    numbers = []
    for subject in ("Barcode scanner beeps twice at goods receipt",
                    "Goods receipt barcode scanner beeps and stops"):
        resp = client.post("/api/v1/tickets", headers=bearer(token), json={
            "customer": "alfa", "application": app.id, "subject": subject,
            "description": "The barcode scanner beeps at goods receipt."})
        assert resp.status_code == 201, resp.get_json()
        numbers.append(resp.get_json()["number"])
    covered = client.post("/api/v1/tickets", headers=bearer(token), json={
        "customer": "alfa", "subject": "Printer queue stuck after the update",
        "description": "The printer spooler queue is stuck since the update."})
    assert covered.status_code == 201
    assert db.session.scalar(select(func.count(TicketGap.id))) == 2
    gap = db.session.scalar(select(TicketGap).order_by(TicketGap.id))
    assert gap.best_article_score is None and "barcod" in gap.terms
    [cluster] = [g for g in api_gaps(client, token) if g["kind"] == "tickets"]
    assert sorted(t["number"] for t in cluster["tickets"]) == sorted(numbers)
    assert cluster["application"] == "Sklad"
    assert covered.get_json()["number"] not in [t["number"] for t in cluster["tickets"]]
    auth_html = _staff_page(client)
    assert numbers[0] in auth_html and "tickets no article matched" in auth_html


def _staff_page(client) -> str:
    from tests.conftest import AuthActions

    AuthActions(client).login("spec@kbdesk.test")
    return client.get("/gaps/?scope=tickets").get_data(as_text=True)


def test_a_ticket_gap_failure_never_stops_the_ticket(client, users, db, make, monkeypatch):
    from kbdesk.gaps import tickets as gap_tickets

    def broken(_ticket):
        raise RuntimeError("index on fire")

    monkeypatch.setattr(gap_tickets, "articles_for", broken)
    ticket = tickets.open_ticket(users["specialist"], {"customer": "alfa", "subject": "Odd"},
                                 channel="phone")
    db.session.commit()
    assert ticket.id and db.session.scalar(select(func.count(TicketGap.id))) == 0


def test_customers_get_404_on_the_page_and_403_on_the_api(client, auth, users, library, db,
                                                          make):
    gaps.log_search(users["bob"], "portal", "beta secret gap", 0)
    db.session.commit()
    auth.login("alice@alfa.test")
    for url in ("/gaps/", "/gaps/?scope=portal", f"/gaps/open/1/article/{library['beta'].id}"):
        resp = client.get(url)
        assert resp.status_code == 404 and "beta secret gap" not in resp.get_data(as_text=True)
    token = make.token(users["alice"])
    resp = client.get("/api/v1/gaps", headers=bearer(token))
    assert resp.status_code == 403 and "beta secret gap" not in resp.get_data(as_text=True)
    resp = client.post("/api/v1/gaps/dismiss", headers=bearer(token),
                       json={"normalised": gaps.normalise("beta secret gap")})
    assert resp.status_code == 403
    assert db.session.scalar(select(func.count(GapDismissal.id))) == 0


def test_dismiss_from_the_page_needs_csrf_and_the_gap_returns_when_it_recurs(client, auth,
                                                                              users, db):
    gaps.log_search(users["alice"], "portal", "vpn nefunguje", 0)
    db.session.commit()
    auth.login("spec@kbdesk.test")
    html = client.get("/gaps/").get_data(as_text=True)
    assert "vpn nefunguje" in html
    key = gaps.normalise("vpn nefunguje")
    assert client.post("/gaps/dismiss", data={"normalised": key}).status_code == 400
    assert db.session.scalar(select(func.count(GapDismissal.id))) == 0
    resp = client.post("/gaps/dismiss", data={"normalised": key, "csrf_token": csrf_from(html)})
    assert resp.status_code == 303
    assert "vpn nefunguje" not in client.get("/gaps/").get_data(as_text=True)
    # someone searches for it again: it is back, counting only the new search
    db.session.add(SearchLog(scope="portal", query="VPN nefunguje", normalised=key, results=0,
                             created_at=utcnow() + timedelta(seconds=5)))
    db.session.commit()
    [gap] = reports.report(users["specialist"])["gaps"]
    assert gap["searches"] == 1 and gap["examples"] == ["VPN nefunguje"]


def test_dismiss_api_and_bad_input(client, users, db, make):
    token = make.token(users["specialist"])
    gaps.log_search(users["alice"], "portal", "sso login loop", 0)
    db.session.commit()
    for body in ({}, {"normalised": ""}, {"normalised": 5}):
        resp = client.post("/api/v1/gaps/dismiss", headers=bearer(token), json=body)
        assert resp.status_code == 422 and "normalised" in resp.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count(GapDismissal.id))) == 0
    resp = client.post("/api/v1/gaps/dismiss", headers=bearer(token),
                       json={"normalised": gaps.normalise("sso login loop")})
    assert resp.status_code == 201
    assert api_gaps(client, token) == []


def test_bad_filters_are_a_clear_error(client, auth, users, make):
    token = make.token(users["specialist"])
    for query in ("?days=0", "?days=abc", "?days=9999", "?scope=everyone"):
        resp = client.get(f"/api/v1/gaps{query}", headers=bearer(token))
        assert resp.status_code == 422, query
        assert resp.get_json()["error"]["fields"]
    auth.login("spec@kbdesk.test")
    resp = client.get("/gaps/?days=abc")
    assert resp.status_code == 422 and "days" in resp.get_data(as_text=True)


def test_chart_and_write_article_link(client, auth, users, db):
    for q in ("ocr import", "ocr import", "label printer"):
        db.session.add(SearchLog(scope="staff", query=q, normalised=gaps.normalise(q),
                                 results=0, created_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    auth.login("spec@kbdesk.test")
    html = client.get("/gaps/?days=28").get_data(as_text=True)
    assert "<svg" in html and html.count('class="bar"') in (4, 5)
    assert ": 3</title>" in html  # the week with three zero-result searches
    assert "/kb/new?title=ocr+import" in html
    editor = client.get("/kb/new?title=ocr+import").get_data(as_text=True)
    assert 'value="ocr import"' in editor


def test_cli_report_prints_the_top_gaps(runner, users, db):
    gaps.log_search(users["alice"], "portal", "tiskárna netiskne", 0)
    db.session.commit()
    result = runner.invoke(args=["gaps", "report", "--scope", "portal"])
    assert result.exit_code == 0, result.output
    assert "tiskárna netiskne" in result.output and "1 found nothing" in result.output
    bad = runner.invoke(args=["gaps", "report", "--days", "abc"])
    assert bad.exit_code != 0 and "days" in bad.output


def test_gap_records_do_not_run_after_commit_work_early(client, auth, users, db):
    # The ticket hook and search logging use SAVEPOINTs; releasing one must not run the
    # index writer before the real commit (it would index rows not yet committed: none).
    from kbdesk.kb import services as kb

    kb.create_article(users["admin"], {"title": "Thermal label printer calibration",
                                       "body": "Calibrate the thermal label printer.",
                                       "visibility": "public", "status": "published"})
    tickets.open_ticket(users["specialist"], {"customer": "alfa", "subject": "Warehouse wifi"},
                        channel="phone")
    gaps.log_search(users["specialist"], "staff", "anything", 0)
    db.session.commit()
    auth.login("spec@kbdesk.test")
    html = client.get("/search/?q=thermal calibration").get_data(as_text=True)
    assert "Thermal label printer calibration" in html
    assert "Warehouse wifi" in client.get("/search/?q=warehouse wifi").get_data(as_text=True)


def test_demo_hook_is_idempotent_and_fills_the_report(app, users, db):
    from kbdesk.gaps.demo import SEARCHES, load_demo

    load_demo(app, users["admin"])
    load_demo(app, users["admin"])
    db.session.commit()
    assert db.session.scalar(select(func.count(SearchLog.id))) == len(SEARCHES)
    titles = [g["title"] for g in reports.report(users["admin"])["gaps"]]
    assert "HL7 ACK timeout" in titles and len(titles) == 4


def test_a_ticket_gap_leaves_the_report_once_an_article_documents_or_is_used_on_it(
        users, library, db):
    spec = users["specialist"]
    one = tickets.open_ticket(spec, {"customer": "alfa", "subject": "Forklift terminal reboots"},
                              channel="phone")
    two = tickets.open_ticket(spec, {"customer": "beta", "subject": "Kiosk display flickers"},
                              channel="phone")
    db.session.commit()

    def numbers():
        return {t["number"] for g in reports.report(spec, "tickets")["gaps"] for t in g["tickets"]}

    assert numbers() == {one.number, two.number}
    art = library["public"].id
    # by table name: authoring's article_sources and feedback's article_uses
    db.session.execute(db.metadata.tables["article_sources"].insert().values(
        article_id=art, ticket_id=one.id))
    db.session.execute(db.metadata.tables["article_uses"].insert().values(
        article_id=art, ticket_id=two.id))
    db.session.commit()
    assert numbers() == set()
    assert db.session.scalar(select(func.count(TicketGap.id))) == 2  # computed, not deleted


def test_report_page_renders_in_czech_too(client, auth, users, db):
    gaps.log_search(users["alice"], "portal", "tiskárna", 0)
    db.session.commit()
    auth.login("spec@kbdesk.test")
    client.get("/lang/cs")
    resp = client.get("/gaps/")
    assert resp.status_code == 200 and 'lang="cs"' in resp.get_data(as_text=True)
    assert "tiskárna" in resp.get_data(as_text=True)
