"""Browser fixtures: a live waitress server on a free loopback port and Debian's Chromium.

Skipped, with the reason, only when /usr/bin/chromium or Playwright is missing. A failing
test leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from kbdesk import create_app, migrate
from kbdesk.cli import run_init_hooks
from kbdesk.extensions import db as _db

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); "
                "run apt-get install -y chromium (.ci/run does)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api",
                                     reason="playwright is not installed (pip install -e .[test])")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_app(tmp_path):
    """The app on a file SQLite database, with eager tasks."""
    app = create_app({
        "TESTING": True, "SECRET_KEY": "browser-secret", "DATA_DIR": str(tmp_path),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'kbdesk.db'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "index"), "MAIL_FROM": "support@kbdesk.test",
        "SMTP_URL": None, "IMAP_URL": None, "REDIS_URL": None, "LOG_LEVEL": "WARNING",
        "WTF_CSRF_SSL_STRICT": False,
    })
    with app.app_context():
        _db.create_all()
        migrate.stamp(app)
        run_init_hooks(app)
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    """Serve the app with waitress in a thread; yields the base URL."""
    from waitress.server import create_server

    port = free_port()
    server = create_server(live_app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture
def page(browser, request):
    """A fresh browser context and page; a screenshot when the test fails."""
    context = browser.new_context(locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, open_page in enumerate(context.pages):
            open_page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}.png"),
                                 full_page=True)
    context.close()
