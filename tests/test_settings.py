"""Settings from the environment: embedded defaults, PostgreSQL and Redis at scale."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, os
from kbdesk import config
from kbdesk.extensions import huey
settings = config.from_env()
queue = type(huey).__name__
if queue == "RedisHuey":
    huey.storage.enqueue(b"probe")
    assert huey.storage.dequeue() == b"probe"
print(json.dumps({"queue": queue, "db": settings["SQLALCHEMY_DATABASE_URI"],
                  "data": settings["DATA_DIR"], "index": settings["SEARCH_INDEX_DIR"]}))
"""


def probe(tmp_path, **env) -> dict:
    full = {k: v for k, v in os.environ.items() if not k.startswith("KBDESK_")}
    full.update({"KBDESK_DATA_DIR": str(tmp_path / "data"), **env})
    out = subprocess.run([sys.executable, "-c", PROBE], env=full, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_embedded_defaults(tmp_path):
    got = probe(tmp_path)
    assert got["queue"] == "SqliteHuey"
    assert got["db"] == f"sqlite:///{tmp_path / 'data' / 'kbdesk.db'}"
    assert got["index"] == str(tmp_path / "data" / "index")
    assert (tmp_path / "data" / "huey.db").exists()


def test_postgresql_and_redis_urls(tmp_path):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    got = probe(tmp_path, KBDESK_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test",
                KBDESK_REDIS_URL="redis://127.0.0.1:6379/15")
    assert got["queue"] == "RedisHuey"
    assert got["db"] == "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_embedded_sqlite_runs_in_wal_mode_with_a_busy_timeout(app, db):
    from sqlalchemy import text

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 10000
