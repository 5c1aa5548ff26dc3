"""Sign-in, throttling, CSRF, cookies, roles and the staff pages for users and teams."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from kbdesk.accounts.models import LoginAttempt, Team, User
from tests.conftest import csrf_from
from tests.factories import PASSWORD


def test_login_and_logout(client, auth, users):
    resp = auth.login("spec@kbdesk.test")
    assert resp.status_code == 302
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target,lands", [
    ("/tickets/", "/tickets/"), ("//evil.example/", "/"), ("/\\evil.example/", "/"),
    ("https://evil.example/", "/")])
def test_login_goes_to_next_only_on_this_site(client, auth, users, target, lands):
    from urllib.parse import quote

    token = auth.csrf("/login")
    resp = client.post(f"/login?next={quote(target)}", data={
        "email": "spec@kbdesk.test", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    assert urlsplit(resp.headers["Location"]).path == lands


def test_wrong_password_is_refused_and_recorded(client, auth, users, db):
    resp = auth.login("spec@kbdesk.test", "nope-nope-nope")
    assert resp.status_code == 200
    assert "Wrong e-mail or password" in resp.get_data(as_text=True)
    attempts = db.session.scalars(select(LoginAttempt)).all()
    assert [a.success for a in attempts] == [False]


def test_repeated_failures_are_throttled_per_account(client, auth, users):
    for _ in range(5):
        auth.login("spec@kbdesk.test", "wrong-password")
    resp = auth.login("spec@kbdesk.test")  # even the right password waits now
    assert resp.status_code == 429
    assert "Too many failed sign-in attempts" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302
    # Another account from the same address is not locked out by one account's failures.
    assert auth.login("admin@kbdesk.test").status_code == 302


def test_form_post_without_csrf_is_refused(client, users, db):
    resp = client.post("/login", data={"email": "spec@kbdesk.test", "password": "x"})
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)
    assert db.session.scalars(select(LoginAttempt)).all() == []


def test_session_cookie_flags(client, auth, users):
    resp = auth.login("spec@kbdesk.test")
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_password_is_hashed(users, db):
    user = db.session.scalar(select(User).where(User.email == "spec@kbdesk.test"))
    assert "correct horse" not in user.password_hash and user.password_hash.startswith("scrypt")


def test_admin_creates_user_through_the_form(client, auth, users, db):
    auth.login("admin@kbdesk.test")
    html = client.get("/users/new").get_data(as_text=True)
    resp = client.post("/users/new", data={
        "csrf_token": csrf_from(html), "email": "New@Example.cz", "name": "Nový",
        "role": "customer", "customer": "alfa", "locale": "cs", "active": "y",
        "password": "long enough pw"})
    assert resp.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@example.cz"))
    assert user.customer.slug == "alfa" and user.role == "customer"


def test_user_form_errors_change_nothing(client, auth, users, db):
    auth.login("admin@kbdesk.test")
    html = client.get("/users/new").get_data(as_text=True)
    resp = client.post("/users/new", data={
        "csrf_token": csrf_from(html), "email": "x@example.cz", "name": "X",
        "role": "customer", "customer": "", "locale": "cs", "password": "short"})
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "A customer user needs a customer" in body and "At least 8 characters" in body
    assert db.session.scalar(select(User).where(User.email == "x@example.cz")) is None


def test_specialist_may_not_manage_users(client, auth, users):
    auth.login("spec@kbdesk.test")
    assert client.get("/users/new").status_code == 403
    assert client.get("/users").status_code == 200


def test_customer_user_does_not_see_staff_lists(client, auth, users):
    auth.login("alice@alfa.test")
    assert client.get("/users").status_code == 404
    assert client.get("/teams").status_code == 404


def test_admin_builds_a_team(client, auth, users, db):
    auth.login("admin@kbdesk.test")
    html = client.get("/teams/new").get_data(as_text=True)
    dev, tester = users["developer"].id, users["tester"].id
    resp = client.post("/teams/new", data={
        "csrf_token": csrf_from(html), "name": "Release crew", "kind": "development",
        "members": [str(dev), str(tester)], "leads": [str(dev)]})
    assert resp.status_code == 302
    team = db.session.scalar(select(Team).where(Team.name == "Release crew"))
    assert {m.user_id: m.is_lead for m in team.members} == {dev: True, tester: False}
    assert "Release crew" in client.get("/teams").get_data(as_text=True)


def test_team_refuses_customer_members(client, auth, users, db):
    auth.login("admin@kbdesk.test")
    html = client.get("/teams/new").get_data(as_text=True)
    resp = client.post("/teams/new", data={
        "csrf_token": csrf_from(html), "name": "Mixed", "kind": "support",
        "members": [str(users["alice"].id)]})
    assert resp.status_code == 422
    assert db.session.scalar(select(Team).where(Team.name == "Mixed")) is None


def test_token_page_shows_token_once(client, auth, users):
    auth.login("spec@kbdesk.test")
    html = client.get("/tokens").get_data(as_text=True)
    resp = client.post("/tokens", data={"csrf_token": csrf_from(html), "name": "laptop"})
    body = resp.get_data(as_text=True)
    assert "kbd_" in body
    again = client.get("/tokens").get_data(as_text=True)
    plain = body.split('<code class="token">')[1].split("<")[0]
    assert plain not in again
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
