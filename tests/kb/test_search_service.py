"""Search through the real surfaces: API, staff page, CLI rebuild/verify, broken index."""

from __future__ import annotations

import shutil
from pathlib import Path

from kbdesk.search.indexing import get_engine
from kbdesk.tickets import services as tickets


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def titles(resp) -> set[str]:
    assert resp.status_code == 200, resp.get_json()
    return {h["title"] for h in resp.get_json()["items"]}


def test_customer_api_search_sees_own_and_public_only(client, corpus, users, make):
    alice = make.token(users["alice"])
    found = titles(client.get("/api/v1/search?q=*", headers=bearer(alice)))
    for q in ("public", "alfa", "beta", "internal", "config", "draft", "old"):
        found |= titles(client.get(f"/api/v1/search?q={q}", headers=bearer(alice)))
    assert found == {"Public IIS 503", "Alfa only"}
    body = client.get("/api/v1/search?q=beta", headers=bearer(alice)).get_json()
    assert "Beta" not in str(body["facets"]) and body["did_you_mean"] in (None, "alfa")


def test_staff_api_search_sees_everything_with_facets(client, corpus, users, make):
    admin = make.token(users["admin"])
    body = client.get("/api/v1/search?q=config", headers=bearer(admin)).get_json()
    assert {"Alfa config", "Beta config"} <= {h["title"] for h in body["items"]}
    kinds = {f["value"]: f["count"] for f in body["facets"]["kind"]}
    assert kinds.get("config") == 2
    hit = body["items"][0]
    assert set(hit) == {"id", "kind", "title", "snippet", "score", "url"}
    filtered = client.get("/api/v1/search?q=config&kind=config&customer=beta",
                          headers=bearer(admin)).get_json()
    assert [h["title"] for h in filtered["items"]] == ["Beta config"]


def test_zavada_finds_zavada_na_tiskarne(client, kb, users, make):
    kb.article(title="Závada na tiskárně", body="Tiskárna hlásí závadu.", visibility="public",
               status="published", language="cs")
    token = make.token(users["alice"])
    for q in ("zavada", "závady", "závadou", "tiskarne"):
        assert titles(client.get(f"/api/v1/search?q={q}", headers=bearer(token))) == {
            "Závada na tiskárně"}, q


def test_odd_queries_never_fail(client, corpus, users, make):
    token = make.token(users["specialist"])
    for q in ('"unbalanced', "AND OR (", "title:", "*", "", "a" * 600, "%00<script>"):
        resp = client.get("/api/v1/search", query_string={"q": q}, headers=bearer(token))
        assert resp.status_code == 200, q
    bad = client.get("/api/v1/search?q=x&kind=nonsense", headers=bearer(token))
    assert bad.status_code == 422 and "kind" in bad.get_json()["error"]["fields"]


def test_staff_search_page(client, auth, corpus, users):
    auth.login("spec@kbdesk.test")
    html = client.get("/search/?q=iis").get_data(as_text=True)
    assert "Public IIS 503" in html and "<mark>" in html
    assert client.get("/search/?q=sertificate").status_code == 200
    auth.logout()
    auth.login("alice@alfa.test")
    assert client.get("/search/?q=iis").status_code == 404


def test_tickets_join_the_index_with_internal_notes_hidden(client, db, users, make):
    t = tickets.open_ticket(users["specialist"], {"customer": "alfa", "subject": "Tiskárna hlásí chybu",
                                                  "description": "Nejde tisknout faktury."},
                            channel="phone")
    tickets.add_message(users["specialist"], t, "Příčina: vadný ovladač xyzzy", internal=True)
    tickets.open_ticket(users["specialist"], {"customer": "beta", "subject": "Tiskárna beta"},
                        channel="phone")
    db.session.commit()
    alice, staff = make.token(users["alice"]), make.token(users["admin"])
    assert titles(client.get("/api/v1/search?q=tiskarna", headers=bearer(alice))) == {
        f"{t.number} Tiskárna hlásí chybu"}
    assert titles(client.get("/api/v1/search?q=xyzzy", headers=bearer(alice))) == set()
    assert titles(client.get("/api/v1/search?q=xyzzy", headers=bearer(staff))) == {
        f"{t.number} Tiskárna hlásí chybu"}


def test_verify_rebuild_and_repair(app, runner, kb, corpus, db):
    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 0, result.output
    kb.update(corpus["public"], body="Changed body about app pools.")
    assert runner.invoke(args=["search", "verify"]).exit_code == 0
    # Damage the index by hand: drop one document behind the writer's back.
    get_engine(app).apply([], [f"article:{corpus['alfa'].id}"])
    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 1 and f"article:{corpus['alfa'].id}" in result.output
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "Indexed" in result.output
    assert runner.invoke(args=["search", "verify"]).exit_code == 0


def test_missing_index_is_detected_and_rebuilt(app, client, corpus, users, make):
    token = make.token(users["admin"])
    assert titles(client.get("/api/v1/search?q=iis", headers=bearer(token))) == {"Public IIS 503"}
    shutil.rmtree(Path(app.config["SEARCH_INDEX_DIR"]))
    app.extensions.pop("kbdesk_search", None)
    first = client.get("/api/v1/search?q=iis", headers=bearer(token)).get_json()
    # Tasks run eagerly in tests, so the queued rebuild has already run by now.
    assert first["rebuilding"] is True and first["items"] == []
    assert titles(client.get("/api/v1/search?q=iis", headers=bearer(token))) == {"Public IIS 503"}
    assert client.get("/healthz").status_code == 200


def test_corrupt_index_keeps_the_app_running(app, client, auth, corpus, runner):
    index_dir = Path(app.config["SEARCH_INDEX_DIR"])
    for f in index_dir.iterdir():
        if f.suffix == ".toc":
            f.write_bytes(b"garbage")
    app.extensions.pop("kbdesk_search", None)
    assert runner.invoke(args=["search", "verify"]).exit_code == 1
    auth.login("spec@kbdesk.test")
    html = client.get("/search/?q=iis").get_data(as_text=True)
    assert "being rebuilt" in html
    assert "Public IIS 503" in client.get("/search/?q=iis").get_data(as_text=True)
