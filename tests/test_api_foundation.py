"""The JSON API: auth, errors, pagination, customers, isolation and the OpenAPI document."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kbdesk.api.openapi import openapi_path
from kbdesk.customers.models import Customer


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(users, make):
    return {name: make.token(users[name]) for name in ("admin", "specialist", "alice", "bob")}


def test_me(client, tokens):
    resp = client.get("/api/v1/me", headers=bearer(tokens["alice"]))
    assert resp.status_code == 200
    assert resp.get_json()["customer"] == "alfa"


def test_missing_and_bad_tokens_are_401_json(client, tokens):
    for headers in ({}, bearer("kbd_not-a-real-token"), {"Authorization": "Basic abc"}):
        resp = client.get("/api/v1/me", headers=headers)
        assert resp.status_code == 401
        assert resp.get_json()["error"]["code"] == "unauthorized"


def test_admin_creates_customer(client, tokens, db):
    resp = client.post("/api/v1/customers", headers=bearer(tokens["admin"]),
                       json={"name": "Gama Energie", "language": "cs",
                             "allowed_domains": ["gama.example.cz"]})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["slug"] == "gama-energie" and body["timezone"] == "Europe/Prague"
    assert db.session.scalar(select(Customer).where(Customer.slug == "gama-energie"))


def test_specialist_may_not_create_customer(client, tokens):
    resp = client.post("/api/v1/customers", headers=bearer(tokens["specialist"]),
                       json={"name": "X"})
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "forbidden"


def test_malformed_json_is_400(client, tokens, db):
    resp = client.post("/api/v1/customers", headers={**bearer(tokens["admin"]),
                       "Content-Type": "application/json"}, data=b'{"name": "Broken",')
    assert resp.status_code == 400
    assert resp.get_json()["error"]["message"] == "Malformed JSON body."
    assert db.session.scalar(select(Customer).where(Customer.name == "Broken")) is None


def test_validation_names_failing_fields(client, tokens):
    resp = client.post("/api/v1/customers", headers=bearer(tokens["admin"]),
                       json={"name": "", "language": "de", "timezone": "Mars/Olympus",
                             "allowed_domains": ["not a domain"]})
    assert resp.status_code == 422
    fields = resp.get_json()["error"]["fields"]
    assert set(fields) >= {"name", "language", "timezone", "allowed_domains"}


def test_duplicate_slug_is_409(client, tokens):
    resp = client.post("/api/v1/customers", headers=bearer(tokens["admin"]),
                       json={"name": "Alfa again", "slug": "alfa"})
    assert resp.status_code == 409


def test_unknown_route_and_wrong_method_are_json(client, tokens):
    resp = client.get("/api/v1/nothing-here", headers=bearer(tokens["admin"]))
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    resp = client.delete("/api/v1/customers", headers=bearer(tokens["admin"]))
    assert resp.status_code == 405 and "error" in resp.get_json()


def test_too_large_body_is_413_json(app, client, tokens):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    resp = client.post("/api/v1/customers", headers=bearer(tokens["admin"]),
                       json={"name": "x" * 5000})
    assert resp.status_code == 413 and "error" in resp.get_json()


def test_server_error_is_json(app, client, tokens, monkeypatch):
    from kbdesk.customers import services

    def boom(*a, **k):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(services, "list_customers", boom)
    resp = client.get("/api/v1/customers", headers=bearer(tokens["admin"]))
    assert resp.status_code == 500
    assert resp.get_json()["error"]["code"] == "internal_error"
    assert "secret detail" not in resp.get_data(as_text=True)


def test_customer_token_sees_only_its_customer(client, tokens):
    resp = client.get("/api/v1/customers", headers=bearer(tokens["alice"]))
    assert [c["slug"] for c in resp.get_json()["items"]] == ["alfa"]
    assert client.get("/api/v1/customers/alfa", headers=bearer(tokens["alice"])).status_code == 200
    for path in ("/api/v1/customers/beta", "/api/v1/customers/beta/applications",
                 "/api/v1/customers/beta/contacts"):
        resp = client.get(path, headers=bearer(tokens["alice"]))
        assert resp.status_code == 404, path
        assert "Beta" not in resp.get_data(as_text=True)
    resp = client.patch("/api/v1/customers/beta", headers=bearer(tokens["alice"]), json={"name": "x"})
    assert resp.status_code == 404
    resp = client.post("/api/v1/customers/beta/contacts", headers=bearer(tokens["alice"]),
                       json={"name": "x"})
    assert resp.status_code == 404


def test_customer_token_cannot_write_its_own_customer(client, tokens):
    resp = client.patch("/api/v1/customers/alfa", headers=bearer(tokens["alice"]),
                        json={"name": "Hacked"})
    assert resp.status_code == 403


def test_pagination(client, tokens, make):
    for i in range(7):
        make.Customer(name=f"Zeta {i}", slug=f"zeta-{i}")
    resp = client.get("/api/v1/customers?limit=4&offset=0", headers=bearer(tokens["admin"]))
    body = resp.get_json()
    assert body["total"] == 9 and len(body["items"]) == 4 and "offset=4" in body["next"]
    last = client.get("/api/v1/customers?limit=4&offset=8", headers=bearer(tokens["admin"]))
    assert last.get_json()["next"] is None and len(last.get_json()["items"]) == 1
    bad = client.get("/api/v1/customers?limit=0&offset=-1", headers=bearer(tokens["admin"]))
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"limit", "offset"}


def test_applications_and_contacts(client, tokens):
    h = bearer(tokens["specialist"])
    resp = client.post("/api/v1/customers/alfa/applications", headers=h,
                       json={"name": "Portál", "environment": "prod", "url": "https://p.alfa.cz"})
    assert resp.status_code == 201
    resp = client.post("/api/v1/customers/alfa/applications", headers=h,
                       json={"name": "Portál", "environment": "prod"})
    assert resp.status_code == 409
    resp = client.post("/api/v1/customers/alfa/applications", headers=h,
                       json={"name": "Bad", "environment": "qa", "url": "ftp://x"})
    assert resp.status_code == 422 and set(resp.get_json()["error"]["fields"]) == {"environment", "url"}
    resp = client.post("/api/v1/customers/alfa/contacts", headers=h,
                       json={"name": "Jana", "email": "jana@alfa.cz", "phone": "+420 1"})
    assert resp.status_code == 201
    apps = client.get("/api/v1/customers/alfa/applications", headers=bearer(tokens["alice"]))
    assert [a["name"] for a in apps.get_json()["items"]] == ["Portál"]
    contacts = client.get("/api/v1/customers/alfa/contacts", headers=h).get_json()
    assert contacts["total"] == 1 and contacts["items"][0]["email"] == "jana@alfa.cz"


def test_patch_customer(client, tokens):
    resp = client.patch("/api/v1/customers/alfa", headers=bearer(tokens["admin"]),
                        json={"language": "en", "allowed_domains": "alfa.cz, alfa.com"})
    assert resp.status_code == 200
    assert resp.get_json()["allowed_domains"] == ["alfa.cz", "alfa.com"]
    assert resp.get_json()["name"] == "Alfa s.r.o."


def test_session_api_use_needs_csrf(client, auth, users):
    auth.login("admin@kbdesk.test")
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/customers", json={"name": "Via session"}).status_code == 400
    token = auth.csrf("/")
    resp = client.post("/api/v1/customers", json={"name": "Via session"},
                       headers={"X-CSRFToken": token})
    assert resp.status_code == 201


def test_openapi_describes_every_route(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in doc["paths"].get(openapi_path(rule.rule), {}):
                missing.append(f"{method} {rule.rule}")
    assert missing == []
    refs = {v.split("/")[-1] for v in _refs(doc)}
    assert refs <= set(doc["components"]["schemas"])


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_request_log_has_id_and_no_secrets(client, tokens, caplog):
    caplog.set_level("INFO", logger="kbdesk.request")
    resp = client.get("/api/v1/me?token=supersecret", headers=bearer(tokens["admin"]))
    line = [r.getMessage() for r in caplog.records if r.name == "kbdesk.request"][-1]
    assert resp.headers["X-Request-ID"] in line and "GET /api/v1/me 200" in line
    assert "supersecret" not in line and tokens["admin"] not in line
