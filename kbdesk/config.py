"""Settings from KBDESK_* environment variables, with embedded defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _data_dir() -> Path:
    return Path(os.environ.get("KBDESK_DATA_DIR", "instance")).resolve()


def _secret_key(data_dir: Path) -> str:
    """Use KBDESK_SECRET_KEY, else a random key kept in the data directory."""
    if key := os.environ.get("KBDESK_SECRET_KEY"):
        return key
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def normalise_db_url(url: str) -> str:
    """Let people write postgresql:// and still get the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def from_env() -> dict:
    """Build the settings mapping from the environment."""
    data_dir = _data_dir()
    db_url = os.environ.get("KBDESK_DATABASE_URL") or f"sqlite:///{data_dir / 'kbdesk.db'}"
    return {
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": _secret_key(data_dir),
        "SQLALCHEMY_DATABASE_URI": normalise_db_url(db_url),
        "REDIS_URL": os.environ.get("KBDESK_REDIS_URL") or None,
        "SMTP_URL": os.environ.get("KBDESK_SMTP_URL") or None,
        "IMAP_URL": os.environ.get("KBDESK_IMAP_URL") or None,
        "MAIL_FROM": os.environ.get("KBDESK_MAIL_FROM", "support@kbdesk.localhost"),
        "SEARCH_INDEX_DIR": os.environ.get("KBDESK_SEARCH_INDEX_DIR") or str(data_dir / "index"),
        "ATTACHMENT_MAX_BYTES": int(os.environ.get("KBDESK_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)),
        "LOG_LEVEL": os.environ.get("KBDESK_LOG_LEVEL", "INFO"),
        "KB_REVIEW_INTERVAL_DAYS": int(os.environ.get("KBDESK_KB_REVIEW_INTERVAL_DAYS", 180)),
        "GAPS_WINDOW_DAYS": int(os.environ.get("KBDESK_GAPS_WINDOW_DAYS", 90)),
    }


class Defaults:
    """Settings that do not come from the environment."""

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None
    BABEL_DEFAULT_LOCALE = "cs"
    BABEL_SUPPORTED_LOCALES = ["cs", "en"]
    BABEL_DEFAULT_TIMEZONE = "Europe/Prague"
    MAX_CONTENT_LENGTH = 26 * 1024 * 1024
    ATTACHMENT_MAX_BYTES = 25 * 1024 * 1024
    LOGIN_THROTTLE_MAX = 5
    LOGIN_THROTTLE_WINDOW = 15 * 60
    API_PAGE_LIMIT_MAX = 200
    HUEY_IMMEDIATE = False
