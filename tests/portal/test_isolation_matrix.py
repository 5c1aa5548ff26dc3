"""Tenant isolation: a user of Alfa asking for Beta's objects gets 404 on every route.

One table walks every portal route with an object in its path, and every API route a customer
can reach for tickets, messages, attachments, articles, releases and status; list-like routes
(search, suggestions, lists) must simply not contain Beta's objects.
"""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from

# (method, url template, form/json); {x} filled from the world fixture's Beta objects.
PORTAL = [
    ("GET", "/portal/tickets/{b_number}", None),
    ("POST", "/portal/tickets/{b_number}/reply", {"body": "hi"}),
    ("POST", "/portal/tickets/{b_number}/status", {"status": "closed"}),
    ("GET", "/portal/tickets/{b_number}/attachments/{b_file}", None),
    ("GET", "/portal/tickets/{a_number}/attachments/{b_file}", None),
    ("GET", "/portal/articles/{beta_art}", None),
    ("GET", "/portal/articles/{beta_art}?from=suggestion", None),
    ("POST", "/portal/articles/{beta_art}/vote", {"helpful": "yes"}),
    ("GET", "/portal/articles/{internal_art}", None),
    ("GET", "/portal/applications/{beta_app}/releases", None),
    ("GET", "/status/beta", None),
]
API = [
    ("GET", "/api/v1/tickets/{b_id}", None),
    ("PATCH", "/api/v1/tickets/{b_id}", {"status": "closed"}),
    ("GET", "/api/v1/tickets/{b_id}/messages", None),
    ("POST", "/api/v1/tickets/{b_id}/messages", {"body": "hi"}),
    ("GET", "/api/v1/tickets/{b_id}/events", None),
    ("GET", "/api/v1/tickets/{b_id}/attachments", None),
    ("GET", "/api/v1/tickets/{b_id}/attachments/{b_file}", None),
    ("GET", "/api/v1/tickets/{a_id}/attachments/{b_file}", None),
    ("GET", "/api/v1/tickets/{b_id}/sla", None),
    ("GET", "/api/v1/articles/{beta_art}", None),
    ("GET", "/api/v1/customers/beta", None),
    ("GET", "/api/v1/customers/beta/applications", None),
    ("GET", "/api/v1/applications/{beta_app}/releases", None),
    ("POST", "/api/v1/applications/{beta_app}/releases", {"version": "1"}),
    ("GET", "/api/v1/releases/{beta_rel}", None),
    ("PATCH", "/api/v1/releases/{beta_rel}", {"state": "released"}),
    ("POST", "/api/v1/releases/{beta_rel}/tickets", {"ticket": "{a_number}"}),
]
# Routes without another customer's object in the path: Beta's things must be absent.
LISTS = [
    ("/portal/", "b_number"),
    ("/portal/tickets", "b_number"),
    ("/portal/releases", "beta_rel_version"),
    ("/portal/search?q=Beta+printer+spooler+secret", "beta_art_link"),
    ("/portal/suggest?q=Beta+printer+spooler+secret", "beta_art_link"),
    ("/api/v1/tickets", "b_number"),
    ("/api/v1/search?q=Beta+printer+spooler+secret", "beta_art_link"),
    ("/api/v1/articles", "beta_art_title"),
]


def _ids(world) -> dict:
    return {"a_number": world["a"].number, "b_number": world["b"].number, "a_id": world["a"].id,
            "b_id": world["b"].id, "b_file": world["b_file"].id,
            "beta_art": world["arts"]["beta"].id, "internal_art": world["arts"]["internal"].id,
            "beta_app": world["beta_app"].id, "beta_rel": world["beta_rel"].id,
            "beta_rel_version": "9.1", "beta_art_link": f"/articles/{world['arts']['beta'].id}",
            "beta_art_title": world["arts"]["beta"].title}


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("method,url,data", PORTAL)
def test_portal_route_answers_404_for_other_customer(client, auth, world, method, url, data):
    auth.login("alice@alfa.test")
    ids = _ids(world)
    token = csrf_from(client.get("/portal/").get_data(as_text=True))
    if method == "GET":
        resp = client.get(_fill(url, ids))
    else:
        resp = client.post(_fill(url, ids), data={**_fill(data, ids), "csrf_token": token})
    assert resp.status_code == 404, (url, resp.status_code)
    assert "Beta" not in resp.get_data(as_text=True)


@pytest.mark.parametrize("method,url,data", API)
def test_api_route_answers_404_for_other_customer(client, make, users, world, method, url, data):
    headers = {"Authorization": f"Bearer {make.token(users['alice'])}"}
    ids = _ids(world)
    resp = client.open(_fill(url, ids), method=method, headers=headers,
                       json=_fill(data, ids) if data is not None else None)
    assert resp.status_code == 404, (url, resp.status_code, resp.get_json())


@pytest.mark.parametrize("url,key", LISTS)
def test_lists_never_contain_other_customers_objects(client, auth, world, url, key):
    auth.login("alice@alfa.test")
    client.get("/portal/tickets/new")
    resp = client.get(url)
    assert resp.status_code == 200, url
    assert str(_ids(world)[key]) not in resp.get_data(as_text=True)


def test_suggestion_events_are_per_user(client, auth, world, db, users):
    from kbdesk.errors import NotFound
    from kbdesk.portal import services

    with pytest.raises(NotFound):
        services.record_opened(users["alice"], world["arts"]["beta"].id, "k")
    services.suggest(users["bob"], "Beta printer spooler", "bob-key")
    assert services.my_suggestions(users["alice"], "bob-key") == []


def test_matrix_covers_every_portal_route(app):
    """A new portal route with an object in its path must be added to the table."""
    covered = {u.split("?")[0] for _m, u, _d in PORTAL} | {u.split("?")[0] for u, _k in LISTS}
    import re

    def shape(rule: str) -> str:
        return re.sub(r"<[^>]+>", "X", rule)

    covered_shapes = {re.sub(r"\{[^}]+\}", "X", u) for u in covered}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("portal.") and rule.endpoint not in (
                "portal.static", "portal.new_ticket", "portal.search", "portal.deflection_report",
                "portal.announcements"):
            assert shape(rule.rule) in covered_shapes, rule.rule
