"""Shared extension objects: database, login, CSRF, translations, task queue."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from huey import RedisHuey, SqliteHuey
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraints get predictable names (for migrations)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Embedded SQLite: WAL lets the web server read while the worker writes, and a busy
    connection waits for the lock instead of failing at once."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def _make_huey():
    """RedisHuey when KBDESK_REDIS_URL is set, else SqliteHuey in the data directory."""
    if url := os.environ.get("KBDESK_REDIS_URL"):
        return RedisHuey("kbdesk", url=url)
    data_dir = Path(os.environ.get("KBDESK_DATA_DIR", "instance")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("kbdesk", filename=str(data_dir / "huey.db"))


huey = _make_huey()
