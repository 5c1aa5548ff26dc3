"""Searches are logged from staff search, the portal and the API; opened results are recorded."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from kbdesk.gaps import services as gaps
from kbdesk.gaps.models import SearchLog
from tests.gaps.conftest import bearer


def logs(db):
    return list(db.session.scalars(select(SearchLog).order_by(SearchLog.id)))


def sl_of(html: str) -> str:
    m = re.search(r"[?&]sl=(\d+)", html)
    assert m, "result links carry no search log id"
    return m.group(1)


def test_portal_search_that_finds_nothing_is_logged(client, auth, users, library, db):
    auth.login("alice@alfa.test")
    resp = client.get("/portal/search?q=Čárový  kód pípá!")
    assert resp.status_code == 200
    [entry] = logs(db)
    assert (entry.scope, entry.query, entry.results) == ("portal", "Čárový  kód pípá!", 0)
    assert entry.normalised == gaps.normalise("carovy kod pipa")
    assert entry.user_id == users["alice"].id and entry.customer_id == users["alfa"].id
    assert entry.clicked_at is None


def test_portal_result_link_records_the_click(client, auth, users, library, db):
    auth.login("alice@alfa.test")
    html = client.get("/portal/search?q=printer").get_data(as_text=True)
    sl = sl_of(html)
    art = library["public"]
    assert client.get(f"/portal/articles/{art.id}?sl={sl}").status_code == 200
    db.session.expire_all()
    [entry] = logs(db)
    assert entry.results >= 1 and entry.clicked_at is not None
    assert (entry.clicked_kind, entry.clicked_id) == ("article", art.id)


def test_someone_elses_search_log_in_a_link_is_ignored(client, auth, users, library, db, make):
    other = make.User(role="customer", email="carol@alfa.test", customer=users["alfa"])
    other_id = gaps.log_search(other, "portal", "printer", 1)
    db.session.commit()
    auth.login("alice@alfa.test")
    resp = client.get(f"/portal/articles/{library['public'].id}?sl={other_id}")
    assert resp.status_code == 200
    db.session.expire_all()
    assert db.session.get(SearchLog, other_id).clicked_at is None
    # and junk in sl never breaks the page
    assert client.get(f"/portal/articles/{library['public'].id}?sl=abc").status_code == 200


def test_repeating_a_search_soon_is_one_search(client, auth, users, library, db):
    auth.login("alice@alfa.test")
    client.get("/portal/search?q=barcode scanner")
    client.get("/portal/search?q=Scanner  barcode")
    assert db.session.scalar(select(func.count(SearchLog.id))) == 1


def test_staff_search_logs_and_result_link_goes_through_the_recorder(client, auth, users,
                                                                      library, db):
    auth.login("spec@kbdesk.test")
    html = client.get("/search/?q=spooler").get_data(as_text=True)
    [entry] = logs(db)
    assert entry.scope == "staff" and entry.results >= 1
    link = re.search(r'href="(/gaps/open/\d+/article/(\d+))"', html)
    assert link, html
    resp = client.get(link.group(1))
    assert resp.status_code == 302 and f"/kb/{link.group(2)}" in resp.headers["Location"]
    db.session.expire_all()
    assert logs(db)[0].clicked_id == int(link.group(2))
    # paging is not a new search, nor is an author following an example from the gap report
    client.get("/search/?q=spooler&offset=20")
    client.get("/search/?q=nothing+like+it&from=gaps")
    assert len(logs(db)) == 1


def test_result_recorder_answers_404_for_unknown_results(client, auth, users, library, db):
    auth.login("spec@kbdesk.test")
    client.get("/search/?q=spooler")
    log_id = logs(db)[0].id
    assert client.get(f"/gaps/open/{log_id}/article/999999").status_code == 404
    assert client.get(f"/gaps/open/{log_id}/nonsense/1").status_code == 404
    db.session.expire_all()
    assert logs(db)[0].clicked_at is None


def test_api_search_returns_log_id_and_click_is_recorded(client, users, library, db, make):
    token = make.token(users["bob"])
    body = client.get("/api/v1/search?q=invoice export", headers=bearer(token)).get_json()
    log_id = body["search_log_id"]
    assert log_id and body["total"] >= 1
    art = library["beta"]
    resp = client.post(f"/api/v1/search-log/{log_id}/click", headers=bearer(token),
                       json={"kind": "article", "id": art.id})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["clicked_id"] == art.id
    entry = db.session.get(SearchLog, log_id)
    assert entry.scope == "api" and entry.customer_id == users["beta"].id


def test_click_with_bad_input_is_422_and_changes_nothing(client, users, library, db, make):
    token = make.token(users["bob"])
    log_id = client.get("/api/v1/search?q=invoice", headers=bearer(token)).get_json()[
        "search_log_id"]
    for body in ({"kind": "spaceship", "id": 1}, {"kind": "article"}, {"kind": "article",
                                                                        "id": "x"}):
        resp = client.post(f"/api/v1/search-log/{log_id}/click", headers=bearer(token), json=body)
        assert resp.status_code == 422
        assert "fields" in resp.get_json()["error"]
    db.session.expire_all()
    assert db.session.get(SearchLog, log_id).clicked_at is None


def test_another_customers_search_log_is_404(client, users, library, db, make):
    bob_log = client.get("/api/v1/search?q=invoice",
                         headers=bearer(make.token(users["bob"]))).get_json()["search_log_id"]
    resp = client.post(f"/api/v1/search-log/{bob_log}/click",
                       headers=bearer(make.token(users["alice"])),
                       json={"kind": "article", "id": library["public"].id})
    assert resp.status_code == 404
    assert "invoice" not in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SearchLog, bob_log).clicked_at is None


def _break_logging(monkeypatch):
    def broken(*_a, **_kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(gaps, "_log", broken)


def test_logging_failure_does_not_break_portal_search(client, auth, users, library, db,
                                                      monkeypatch):
    _break_logging(monkeypatch)
    auth.login("alice@alfa.test")
    resp = client.get("/portal/search?q=printer")
    assert resp.status_code == 200 and "Printer queue stuck" in resp.get_data(as_text=True)
    assert logs(db) == []


def test_logging_failure_does_not_break_staff_or_api_search(client, auth, users, library, db,
                                                            monkeypatch, make):
    _break_logging(monkeypatch)
    token = make.token(users["specialist"])
    auth.login("spec@kbdesk.test")
    resp = client.get("/search/?q=spooler")
    assert resp.status_code == 200 and "Internal spooler runbook" in resp.get_data(as_text=True)
    body = client.get("/api/v1/search?q=spooler", headers=bearer(token)).get_json()
    assert body["total"] >= 1 and body["search_log_id"] is None
    assert logs(db) == []


def test_a_database_error_while_logging_is_rolled_back_to_the_savepoint(users, library, db,
                                                                         monkeypatch):
    # A real failed INSERT (NOT NULL violated), not a Python error: the surrounding
    # transaction must stay usable, as the search request around it still commits.
    with monkeypatch.context() as m:
        m.setattr(gaps, "normalise", lambda q: None)
        assert gaps.log_search(users["alice"], "portal", "printer", 1) is None
    assert gaps.log_search(users["alice"], "portal", "", 1) is None
    assert gaps.log_search(users["alice"], "portal", "scanner", 0) is not None
    db.session.commit()
    assert [e.query for e in logs(db)] == ["scanner"]
