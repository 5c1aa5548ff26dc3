"""The quarantine: failed mails stay visible with their error; staff retry them (POST + CSRF)."""

from __future__ import annotations

from kbdesk.mail.models import InboundMail
from tests.conftest import csrf_from
from tests.mail.support import count, fixture_bytes, inbound, tickets


def _fail_parsing(monkeypatch):
    def broken(*_a, **_k):
        raise ValueError("cannot make sense of this")

    monkeypatch.setattr("kbdesk.mail.intake.parse_mail", broken)


def test_failed_mail_is_listed_with_its_error_and_retried(ingest, db, smtp, client, auth, users,
                                                         monkeypatch):
    _fail_parsing(monkeypatch)
    ingest(fixture_bytes("gmail_new_request_cs_base64.eml"))
    monkeypatch.undo()
    row = inbound()[0]
    assert row.state == "failed"
    auth.login("spec@kbdesk.test")
    page = client.get("/mail/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "cannot make sense of this" in html
    assert "Nelze se přihlásit do portálu" in html
    detail = client.get(f"/mail/inbound/{row.id}")
    assert detail.status_code == 200
    assert "ValueError: cannot make sense of this" in detail.get_data(as_text=True)
    token = csrf_from(detail.get_data(as_text=True))
    done = client.post(f"/mail/inbound/{row.id}/retry", data={"csrf_token": token})
    assert done.status_code == 302
    db.session.expire_all()
    assert inbound()[0].state == "parsed"
    assert len(tickets()) == 1
    assert len(smtp.messages) == 1


def test_retry_needs_csrf(ingest, db, client, auth, users, monkeypatch):
    _fail_parsing(monkeypatch)
    ingest(fixture_bytes("no_message_id.eml"))
    auth.login("spec@kbdesk.test")
    row = inbound()[0]
    assert client.post(f"/mail/inbound/{row.id}/retry").status_code == 400
    db.session.expire_all()
    assert inbound()[0].state == "failed"


def test_only_failed_mail_can_be_retried(ingest, db, client, auth, users):
    ingest(fixture_bytes("no_message_id.eml"))
    auth.login("spec@kbdesk.test")
    row = inbound()[0]
    token = auth.csrf("/mail/")
    assert client.post(f"/mail/inbound/{row.id}/retry", data={"csrf_token": token}).status_code == 409
    assert len(tickets()) == 1


def test_customers_and_strangers_cannot_see_mail(ingest, db, client, auth, users):
    ingest(fixture_bytes("no_message_id.eml"))
    assert client.get("/mail/").status_code == 302  # to the login page
    auth.login("alice@alfa.test")
    assert client.get("/mail/").status_code == 403
    assert client.get(f"/mail/inbound/{inbound()[0].id}").status_code == 403
    assert client.get(f"/mail/inbound/{inbound()[0].id}/raw").status_code == 403


def test_raw_download_and_other_tabs(ingest, db, smtp, client, auth, users):
    raw = fixture_bytes("vacation_sieve_cs.eml")
    ingest(raw)
    auth.login("spec@kbdesk.test")
    row = inbound()[0]
    got = client.get(f"/mail/inbound/{row.id}/raw")
    assert got.data == raw
    assert got.headers["Content-Type"] == "application/octet-stream"
    ignored = client.get("/mail/?state=ignored").get_data(as_text=True)
    assert "Automatická odpověď" in ignored
    assert client.get("/mail/outbound").status_code == 200
    assert client.get("/mail/?state=all&offset=x").status_code == 200


def test_cli_list_and_retry(ingest, db, runner, monkeypatch):
    _fail_parsing(monkeypatch)
    ingest(fixture_bytes("no_message_id.eml"))
    monkeypatch.undo()
    listed = runner.invoke(args=["mail", "list"])
    assert "cannot make sense" in listed.output
    row_id = inbound()[0].id
    db.session.rollback()
    assert runner.invoke(args=["mail", "retry", str(row_id)]).exit_code == 0
    db.session.expire_all()
    assert inbound()[0].state == "parsed"
    assert runner.invoke(args=["mail", "retry", str(row_id)]).exit_code == 1
    assert count(InboundMail) == 1


def test_sweep_queues_mail_left_new(ingest, db, monkeypatch):
    from datetime import timedelta

    from kbdesk.db_types import utcnow
    from kbdesk.mail import store
    from kbdesk.mail.tasks import sweep

    monkeypatch.setattr(store, "queue_parse", lambda _id: None)  # the queue was down
    ingest(fixture_bytes("no_message_id.eml"))
    monkeypatch.undo()
    row = inbound()[0]
    assert row.state == "new"
    row.received_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    sweep.call_local()
    db.session.expire_all()
    assert inbound()[0].state == "parsed"
