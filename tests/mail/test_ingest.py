"""`kbdesk mail ingest`: every message is stored (exit 0), or exit 75 when storing fails."""

from __future__ import annotations

import pytest

from kbdesk.mail.models import InboundMail
from kbdesk.tickets.models import Ticket
from tests.mail.support import all_fixtures, count, fixture_bytes, inbound, mail, tickets


def test_there_are_enough_realistic_fixtures():
    names = all_fixtures()
    assert len(names) >= 25
    for kind in ("outlook", "gmail", "thunderbird", "forward", "rfc822", "inline_image", "big",
                 "windows1250", "iso88592", "quoted_printable", "base64", "rfc2047", "oof",
                 "vacation", "bounce", "no_message_id", "malformed"):
        assert any(kind in n for n in names), kind


@pytest.mark.parametrize("name", all_fixtures())
def test_every_fixture_is_stored_and_filed(name, ingest, db, app):
    raw = fixture_bytes(name)
    result = ingest(raw)
    assert result.exit_code == 0, result.output
    rows = inbound()
    assert len(rows) == 1
    row = rows[0]
    assert row.size == len(raw)
    from kbdesk.mail.store import read_raw

    assert read_raw(row) == raw  # byte for byte
    # Parsed straight away (eager tasks): nothing may end in quarantine.
    assert row.state in ("parsed", "ignored"), row.error
    if row.state == "parsed":
        assert row.ticket_id is not None


def test_ingest_reads_a_file_argument(ingest, db, tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(fixture_bytes("no_message_id.eml"))
    result = ingest(b"", str(path))
    assert result.exit_code == 0
    assert count(InboundMail) == 1


def test_store_failure_exits_75_and_keeps_nothing(ingest, db, app, monkeypatch):
    def broken(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr("kbdesk.mail.store._write_file", broken)
    result = ingest(fixture_bytes("gmail_new_request_cs_base64.eml"))
    assert result.exit_code == 75
    assert "not stored" in result.output
    assert count(InboundMail) == 0


def test_database_failure_exits_75(ingest, db, app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken(*_a, **_k):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr("kbdesk.mail.store.find_duplicate", broken)
    assert ingest(fixture_bytes("gmail_new_request_cs_base64.eml")).exit_code == 75


def test_parse_failure_still_exits_0_and_lands_in_quarantine(ingest, db, monkeypatch):
    def broken(*_a, **_k):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr("kbdesk.mail.intake.parse_mail", broken)
    result = ingest(fixture_bytes("gmail_new_request_cs_base64.eml"))
    assert result.exit_code == 0
    row = inbound()[0]
    assert row.state == "failed"
    assert "parser exploded" in row.error
    assert count(Ticket) == 0


def test_empty_input_is_kept_and_ignored(ingest, db):
    assert ingest(b"").exit_code == 0
    assert ingest(b"  \r\n").exit_code == 0
    assert [m.state for m in inbound()] == ["ignored", "ignored"]
    assert inbound()[0].error == "empty message"
    assert tickets() == []


def test_same_message_twice_makes_one_ticket(ingest, db, customers):
    raw = fixture_bytes("outlook_new_request_cs_windows1250.eml")
    assert ingest(raw).exit_code == 0
    second = ingest(raw)
    assert second.exit_code == 0
    assert "Already stored" in second.output
    assert count(InboundMail) == 1
    assert len(tickets()) == 1


def test_same_message_id_through_another_relay_is_one_message(ingest, db, customers):
    raw = fixture_bytes("quoted_printable_utf8.eml")
    relayed = b"Received: from backup-mx.kbdesk.test by mx2.kbdesk.test; Fri, 16 Jan 2026\r\n" + raw
    ingest(raw)
    ingest(relayed)
    assert count(InboundMail) == 1
    assert len(tickets()) == 1


def test_without_message_id_the_hash_deduplicates(ingest, db, customers):
    raw = fixture_bytes("no_message_id.eml")
    ingest(raw)
    ingest(raw)
    assert count(InboundMail) == 1
    assert inbound()[0].dedupe_key.startswith("sha:")
    assert len(tickets()) == 1
    other = raw.replace(b"stopped sending", b"has stopped sending")
    ingest(other)
    assert len(tickets()) == 2


def test_parse_task_twice_changes_nothing(ingest, db, customers):
    from kbdesk.mail.tasks import parse_inbound

    ingest(mail(sender="p.dvorak@strojirny-brno.cz", subject="Tiskárna", body="Netiskne."))
    row = inbound()[0]
    parse_inbound(row.id)
    parse_inbound(row.id)
    db.session.expire_all()
    assert len(tickets()) == 1


def test_real_command_exits_75_when_the_database_is_unreachable(tmp_path):
    """The console script a mail server pipes into: a database outage is a temporary failure."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("kbdesk")
    env = {**os.environ, "KBDESK_DATA_DIR": str(tmp_path), "KBDESK_SECRET_KEY": "x",
           "KBDESK_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2"}
    env.pop("KBDESK_REDIS_URL", None)
    done = subprocess.run([str(exe), "mail", "ingest"], input=fixture_bytes("no_message_id.eml"),
                          env=env, capture_output=True, timeout=120)
    assert done.returncode == 75, done.stderr.decode()
    assert b"not stored" in done.stderr
