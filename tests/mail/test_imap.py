"""`kbdesk mail poll` against a real Dovecot on loopback: store first, then flag or move."""

from __future__ import annotations

import imaplib
import uuid

import pytest

from kbdesk.mail.imap import KEYWORD, imap_settings
from kbdesk.mail.models import InboundMail
from tests.mail.support import count, fixture_bytes, inbound, mail, tickets


@pytest.fixture
def mailbox(dovecot):
    """A fresh, empty mailbox folder on the shared Dovecot, and a logged-in client."""
    conn = imaplib.IMAP4(dovecot["host"], dovecot["port"])
    conn.login(dovecot["user"], dovecot["password"])
    name = f"T{uuid.uuid4().hex[:10]}"
    assert conn.create(name)[0] == "OK"
    conn.select(name)
    yield conn, name
    try:
        conn.logout()
    except Exception:
        pass


def _url(dovecot, folder, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return (f"imap://{dovecot['user']}:{dovecot['password']}@{dovecot['host']}:{dovecot['port']}"
            f"/{folder}" + (f"?{q}" if q else ""))


def _flags(conn, folder):
    conn.select(folder)
    typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
    return [d.decode() if isinstance(d, bytes) else d[0].decode() for d in data if d]


def _poll(runner, app, db, url):
    app.config["IMAP_URL"] = url
    db.session.rollback()
    result = runner.invoke(args=["mail", "poll"])
    db.session.expire_all()
    return result


def test_poll_stores_then_flags_and_skips_duplicates(mailbox, dovecot, runner, app, db, smtp):
    conn, folder = mailbox
    for raw in (fixture_bytes("outlook_new_request_cs_windows1250.eml"),
                fixture_bytes("gmail_new_request_cs_base64.eml"),
                fixture_bytes("gmail_new_request_cs_base64.eml"),  # delivered twice
                fixture_bytes("malformed_garbage_bytes.eml")):
        assert conn.append(folder, None, None, raw)[0] == "OK"
    result = _poll(runner, app, db, _url(dovecot, folder))
    assert result.exit_code == 0, result.output
    assert "3 stored, 1 already stored, 0 failed" in result.output
    assert count(InboundMail) == 3
    assert all(m.source == "imap" for m in inbound())
    assert len(tickets()) == 3
    flags = _flags(conn, folder)
    assert len(flags) == 4 and all(KEYWORD in f and "\\Seen" in f for f in flags)
    # Nothing new the second time; nothing was deleted.
    again = _poll(runner, app, db, _url(dovecot, folder))
    assert "0 stored, 0 already stored" in again.output
    conn.select(folder)
    assert len(conn.uid("SEARCH", None, "ALL")[1][0].split()) == 4


def test_poll_moves_only_after_storing(mailbox, dovecot, runner, app, db, smtp):
    conn, folder = mailbox
    target = folder + "-done"
    conn.append(folder, None, None, mail(sender="p.dvorak@strojirny-brno.cz", subject="Tisk",
                                         body="Nejde tisk."))
    result = _poll(runner, app, db, _url(dovecot, folder, move=target))
    assert result.exit_code == 0, result.output
    assert count(InboundMail) == 1
    conn.select(folder)
    assert conn.uid("SEARCH", None, "ALL")[1] == [b""]
    conn.select(target)
    assert len(conn.uid("SEARCH", None, "ALL")[1][0].split()) == 1


def test_message_not_stored_stays_untouched(mailbox, dovecot, runner, app, db, monkeypatch):
    conn, folder = mailbox
    conn.append(folder, None, None, fixture_bytes("no_message_id.eml"))

    def broken(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr("kbdesk.mail.store._write_file", broken)
    result = _poll(runner, app, db, _url(dovecot, folder, move=folder + "-done"))
    assert result.exit_code == 75
    assert count(InboundMail) == 0
    flags = _flags(conn, folder)
    assert len(flags) == 1 and KEYWORD not in flags[0] and "\\Seen" not in flags[0]
    monkeypatch.undo()
    assert _poll(runner, app, db, _url(dovecot, folder)).exit_code == 0
    assert count(InboundMail) == 1


def test_poll_over_starttls_and_imaps(mailbox, dovecot, runner, app, db, smtp):
    conn, folder = mailbox
    conn.append(folder, None, None, mail(sender="a@example.org", subject="one", body="1"))
    base = (f"{dovecot['user']}:{dovecot['password']}@{dovecot['host']}")
    url = f"imap://{base}:{dovecot['port']}/{folder}?starttls=1&cafile={dovecot['cafile']}"
    assert _poll(runner, app, db, url).exit_code == 0
    conn.append(folder, None, None, mail(sender="b@example.org", subject="two", body="2"))
    url = f"imaps://{base}:{dovecot['tls_port']}/{folder}?cafile={dovecot['cafile']}"
    assert _poll(runner, app, db, url).exit_code == 0
    assert count(InboundMail) == 2


def test_untrusted_certificate_is_refused(dovecot, runner, app, db):
    url = (f"imaps://{dovecot['user']}:{dovecot['password']}@{dovecot['host']}:"
           f"{dovecot['tls_port']}/INBOX")
    result = _poll(runner, app, db, url)
    assert result.exit_code == 75
    assert "CERTIFICATE_VERIFY_FAILED" in result.output or "certificate" in result.output.lower()


def test_wrong_password_is_a_temporary_failure(dovecot, runner, app, db):
    url = f"imap://{dovecot['user']}:wrong@{dovecot['host']}:{dovecot['port']}/INBOX"
    assert _poll(runner, app, db, url).exit_code == 75


def test_periodic_task_polls_when_configured(mailbox, dovecot, app, db, smtp):
    from kbdesk.mail.tasks import poll_mailbox

    conn, folder = mailbox
    conn.append(folder, None, None, mail(sender="c@example.org", subject="three", body="3"))
    app.config["IMAP_URL"] = _url(dovecot, folder)
    db.session.rollback()
    poll_mailbox.call_local()
    db.session.expire_all()
    assert count(InboundMail) == 1


def test_imap_url_forms():
    s = imap_settings("imaps://support%40firma.cz:p%40ss@imap.firma.cz/Support%20Inbox?move=Done")
    assert (s.host, s.port, s.ssl, s.user, s.password) == ("imap.firma.cz", 993, True,
                                                          "support@firma.cz", "p@ss")
    assert (s.mailbox, s.move_to) == ("Support Inbox", "Done")
    s = imap_settings("imap://u:p@localhost?starttls=1")
    assert (s.port, s.starttls, s.mailbox) == (143, True, "INBOX")
