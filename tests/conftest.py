"""Fixtures: app, db, client, runner, auth; SQLite by default, PostgreSQL when asked.

Set KBDESK_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test to run the suite on
PostgreSQL: a fresh database is created for the run and dropped afterwards.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid

import pytest

# The task queue is created at import time from the environment: keep it out of ./instance.
os.environ.setdefault("KBDESK_DATA_DIR", tempfile.mkdtemp(prefix="kbdesk-test-"))
os.environ.pop("KBDESK_REDIS_URL", None)

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from kbdesk import create_app, migrate  # noqa: E402
from kbdesk.cli import run_init_hooks  # noqa: E402
from kbdesk.config import normalise_db_url  # noqa: E402
from kbdesk.extensions import db as _db  # noqa: E402
from tests import factories  # noqa: E402

PG_BASE = os.environ.get("KBDESK_TEST_DATABASE_URL", "")


def make_pg_database(base_url: str) -> str:
    """Create a fresh, empty PostgreSQL database next to base_url and return its URL."""
    url = make_url(normalise_db_url(base_url))
    name = f"kbdesk_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_pg_database(db_url: str) -> None:
    """Drop a database made by make_pg_database."""
    url = make_url(db_url)
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def pg_url():
    """One fresh PostgreSQL database for the whole run (None on SQLite)."""
    if not PG_BASE:
        yield None
        return
    url = make_pg_database(PG_BASE)
    yield url
    drop_pg_database(url)


@pytest.fixture
def app(tmp_path, pg_url):
    """An app on a fresh database and index, with eager tasks."""
    db_url = pg_url or f"sqlite:///{tmp_path / 'kbdesk.db'}"
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATA_DIR": str(tmp_path),
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "MAIL_FROM": "support@kbdesk.test",
        "SMTP_URL": None,
        "IMAP_URL": None,
        "REDIS_URL": None,
        "LOG_LEVEL": "WARNING",
    })
    with app.app_context():
        _db.create_all()
        migrate.stamp(app)
        run_init_hooks(app)
    yield app
    with app.app_context():
        _db.session.remove()
        if pg_url:
            tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            with _db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The database session, inside an app context."""
    with app.app_context():
        yield _db
        _db.session.rollback()


@pytest.fixture
def client(app):
    """A browser that prefers English (tests that need Czech switch explicitly)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token embedded in a page."""
    m = CSRF_RE.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1) or m.group(2)


class AuthActions:
    """Sign a test client in and out through the real login form."""

    def __init__(self, client):
        self.client = client

    def csrf(self, url: str = "/login") -> str:
        return csrf_from(self.client.get(url).get_data(as_text=True))

    def login(self, email: str, password: str = factories.PASSWORD):
        token = self.csrf("/login")
        return self.client.post("/login", data={"email": email, "password": password,
                                                "csrf_token": token})

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf("/")})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def make(db):
    """Factories bound to the test database; commits what they make."""

    class Make:
        def __getattr__(self, name):
            factory = getattr(factories, f"{name}Factory")

            def create(**kwargs):
                obj = factory.create(**kwargs)
                db.session.commit()
                return obj

            return create

        def token(self, user):
            return factories.token_for(user)

    return Make()


@pytest.fixture
def users(make):
    """One user of every role, and two customers with a customer user each."""
    a = make.Customer(name="Alfa s.r.o.", slug="alfa")
    b = make.Customer(name="Beta a.s.", slug="beta", language="en")
    return {
        "admin": make.User(role="admin", email="admin@kbdesk.test", name="Admin"),
        "specialist": make.User(role="specialist", email="spec@kbdesk.test", name="Spec"),
        "developer": make.User(role="developer", email="dev@kbdesk.test", name="Dev"),
        "tester": make.User(role="tester", email="test@kbdesk.test", name="Tester"),
        "alice": make.User(role="customer", email="alice@alfa.test", name="Alice", customer=a),
        "bob": make.User(role="customer", email="bob@beta.test", name="Bob", customer=b),
        "alfa": a,
        "beta": b,
    }
