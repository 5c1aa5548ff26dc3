"""The kbdesk command: init, user add, token create, demo (load only)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, func, inspect, select

from kbdesk.accounts.models import ApiToken, Team, User
from kbdesk.config import normalise_db_url
from kbdesk.customers.models import Application, Contact, Customer
from tests.conftest import PG_BASE, drop_pg_database, make_pg_database


def test_user_add_and_token_create(runner, db, users):
    result = runner.invoke(args=["user", "add", "new@kbdesk.test", "--role", "developer",
                                 "--password", "a good password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "new@kbdesk.test"))
    assert user.role == "developer"
    result = runner.invoke(args=["token", "create", "new@kbdesk.test"])
    assert result.exit_code == 0
    plain = result.output.strip()
    assert plain.startswith("kbd_")
    stored = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert plain not in (stored.token_hash, stored.prefix)


def test_user_add_prompts_for_password(runner, db, users):
    result = runner.invoke(args=["user", "add", "p@kbdesk.test", "--role", "customer",
                                 "--customer", "alfa"], input="long password\nlong password\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.email == "p@kbdesk.test")).customer_id


def test_user_add_errors_are_clear(runner, db, users):
    result = runner.invoke(args=["user", "add", "c@kbdesk.test", "--role", "customer",
                                 "--password", "long password"])
    assert result.exit_code == 1 and "A customer user needs a customer" in result.output
    result = runner.invoke(args=["user", "add", "c@kbdesk.test", "--role", "customer",
                                 "--customer", "nope", "--password", "long password"])
    assert result.exit_code == 1 and "No such customer" in result.output
    result = runner.invoke(args=["user", "add", "spec@kbdesk.test", "--role", "admin",
                                 "--password", "long password"])
    assert result.exit_code == 1 and "already exists" in result.output
    result = runner.invoke(args=["token", "create", "ghost@kbdesk.test"])
    assert result.exit_code == 1 and "No user" in result.output


def test_demo_loads_once(runner, db):
    for _ in range(2):
        result = runner.invoke(args=["demo", "--no-serve"])
        assert result.exit_code == 0, result.output
    assert "admin@kbdesk.example" in result.output
    count = lambda m: db.session.scalar(select(func.count()).select_from(m))  # noqa: E731
    assert count(Customer) == 3 and count(Application) == 6 and count(Contact) == 6
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {"admin", "specialist", "developer", "tester", "customer"}
    assert {t.kind for t in db.session.scalars(select(Team))} == {
        "support", "development", "testing", "operations"}
    snapshot = (count(Customer), count(User), count(Team))
    runner.invoke(args=["demo", "--no-serve"])
    assert (count(Customer), count(User), count(Team)) == snapshot


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    if request.param == "sqlite":
        yield None
        return
    if not PG_BASE:
        pytest.skip("PostgreSQL run not requested (KBDESK_TEST_DATABASE_URL)")
    url = make_pg_database(PG_BASE)
    yield url
    drop_pg_database(url)


def test_init_in_a_subprocess(tmp_path, database_url):
    """`kbdesk init` as a real console script creates the data directory, schema and index."""
    data = tmp_path / "data"
    env = {**os.environ, "KBDESK_DATA_DIR": str(data)}
    env.pop("KBDESK_DATABASE_URL", None)
    if database_url:
        env["KBDESK_DATABASE_URL"] = database_url
    exe = os.path.join(os.path.dirname(sys.executable), "kbdesk")
    out = subprocess.run([exe, "init"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert (data / "secret_key").exists() and (data / "index").is_dir()
    assert (data / "kbdesk.db").exists() == (database_url is None)
    engine = create_engine(normalise_db_url(database_url or f"sqlite:///{data / 'kbdesk.db'}"))
    assert {"customers", "users", "tickets", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()
    again = subprocess.run([exe, "init"], env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0
