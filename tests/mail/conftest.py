"""Mail test helpers: a real SMTP server (aiosmtpd) and a real IMAP server (Dovecot) on loopback."""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import tempfile
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.mail.support import ROOT, free_port

DOVECOT_SCRIPT = ROOT / "scripts" / "dovecot-test.sh"


class Inbox:
    """What the test SMTP server received."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, address: str) -> list:
        """Messages delivered to an address."""
        return [m for _f, rcpts, m in self.messages if address in rcpts]

    def clear(self) -> None:
        self.messages.clear()


@pytest.fixture
def smtp(app):
    """An SMTP server on loopback; the app sends to it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    yield inbox
    controller.stop()


@pytest.fixture
def ingest(runner, db):
    """Feed raw bytes to `kbdesk mail ingest` (standard input); returns the click result."""

    def feed(raw: bytes, *args):
        db.session.rollback()  # no open read may block the command's writes (SQLite)
        result = runner.invoke(args=["mail", "ingest", *args], input=raw)
        db.session.expire_all()
        return result

    return feed


@pytest.fixture
def customers(make):
    """Two customers with allowed domains and one known contact each."""
    alfa = make.Customer(name="Strojírny Brno a.s.", slug="strojirny", language="cs",
                         allowed_domains=["strojirny-brno.cz"])
    beta = make.Customer(name="Beta Logistics", slug="beta-logistics", language="en",
                         allowed_domains=["beta-logistics.com"])
    make.Contact(customer=alfa, name="Petr Dvořák", email="p.dvorak@strojirny-brno.cz",
                 language="cs")
    make.Contact(customer=beta, name="Jane Miller", email="jane.miller@beta-logistics.com",
                 language="en")
    return {"alfa": alfa, "beta": beta}


def _dovecot_available() -> str | None:
    """None when Dovecot can run here, else the reason it cannot."""
    if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists():
        done = subprocess.run([str(DOVECOT_SCRIPT), "install"], capture_output=True, text=True,
                              timeout=600)
        if done.returncode != 0:
            return f"dovecot is not installed and could not be installed: {done.stderr.strip()}"
    return None


@pytest.fixture(scope="session")
def dovecot():
    """A private Dovecot on loopback with the user support/secret; yields connection facts."""
    reason = _dovecot_available()
    if reason:
        pytest.skip(reason)
    # Not under pytest's own temporary root: that is private to root, and Dovecot's
    # unprivileged processes must read the password file and write the mail directory.
    base = Path(tempfile.mkdtemp(prefix="kbdesk-dovecot-"))
    port, tls_port = free_port(), free_port()
    started = subprocess.run([str(DOVECOT_SCRIPT), "start", str(base), str(port), str(tls_port),
                              "support", "secret", str(os.getpid())],
                             capture_output=True, text=True, timeout=60)
    if started.returncode != 0:
        pytest.fail(f"dovecot did not start: {started.stderr}")
    yield {"host": "127.0.0.1", "port": port, "tls_port": tls_port, "user": "support",
           "password": "secret", "cafile": str(base / "cert.pem")}
    subprocess.run([str(DOVECOT_SCRIPT), "stop", str(base)], capture_output=True, timeout=60)
    shutil.rmtree(base, ignore_errors=True)

