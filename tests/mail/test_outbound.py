"""Outbound mail on a real SMTP server: replies, status news, threading headers, retries."""

from __future__ import annotations

import smtplib

from kbdesk.mail.ids import verified_ticket_id
from kbdesk.mail.models import OutboundMail
from kbdesk.mail.smtp import smtp_settings
from kbdesk.mail.tasks import send_outbound
from kbdesk.tickets.services import add_message, open_ticket, update_ticket
from tests.mail.support import fixture_bytes, mail, outbound, tickets


def test_staff_reply_is_mailed_with_thread_headers(ingest, db, smtp, customers, users):
    ingest(fixture_bytes("quoted_printable_utf8.eml"))
    ticket = tickets()[0]
    ack = smtp.to("lukas.prochazka@beta-logistics.com")[0]
    add_message(users["specialist"], ticket, "Please set WEBSITE_SWAP_WARMUP_PING_PATH=/health.")
    db.session.commit()
    got = smtp.to("lukas.prochazka@beta-logistics.com")
    assert len(got) == 2
    reply = got[1]
    assert reply["Auto-Submitted"] is None  # a person wrote it
    assert reply["Subject"] == f"[#{ticket.number}] 502 after slot swap on App Service"
    body = reply.get_content()
    assert body.startswith("Please set WEBSITE_SWAP_WARMUP_PING_PATH=/health.")
    assert "Spec, Technical support" in body
    refs = reply["References"].split()
    assert "<a3f9e2c1d4b5@beta-logistics.com>" in refs  # the customer's first mail
    assert ack["Message-ID"] in refs
    assert reply["In-Reply-To"] == refs[-1]
    assert verified_ticket_id(reply["Message-ID"].strip("<>")) == ticket.id


def test_status_news_waiting_and_resolved(ingest, db, smtp, customers, users):
    ingest(fixture_bytes("outlook_new_request_cs_windows1250.eml"))
    ticket = tickets()[0]
    smtp.clear()
    update_ticket(users["specialist"], ticket.id, {"status": "waiting_customer"})
    db.session.commit()
    update_ticket(users["specialist"], ticket.id, {"status": "resolved"})
    db.session.commit()
    update_ticket(users["specialist"], ticket.id, {"severity": "high"})  # not news for them
    db.session.commit()
    subjects = [m["Subject"] for m in smtp.to("jiri.cerny@strojirny-brno.cz")]
    assert subjects == [f"[#{ticket.number}] Čekáme na vaši odpověď: {ticket.subject}",
                        f"[#{ticket.number}] Požadavek vyřešen: {ticket.subject}"]
    assert all(m["Auto-Submitted"] == "auto-generated"
               for m in smtp.to("jiri.cerny@strojirny-brno.cz"))


def test_reply_with_waiting_status_sends_one_mail(ingest, db, smtp, customers, users):
    ingest(fixture_bytes("quoted_printable_utf8.eml"))
    ticket = tickets()[0]
    smtp.clear()
    add_message(users["specialist"], ticket, "Which region?")
    update_ticket(users["specialist"], ticket.id, {"status": "waiting_customer"})
    db.session.commit()
    assert len(smtp.messages) == 1


def test_portal_and_phone_tickets_are_acknowledged(app, db, smtp, customers, users):
    contact = customers["beta"].contacts[0]
    open_ticket(users["specialist"], {"customer": customers["beta"], "contact": contact,
                                      "subject": "Called about VPN"}, channel="phone")
    open_ticket(users["bob"], {"subject": "Portal report"}, channel="portal",
                reporter_email="bob@beta.test")
    open_ticket(users["specialist"], {"customer": customers["beta"], "subject": "Web form"},
                channel="web")
    db.session.commit()
    assert {r for _f, rcpts, _m in smtp.messages for r in rcpts} == {
        "jane.miller@beta-logistics.com", "bob@beta.test"}


def test_nothing_is_sent_before_commit_or_after_rollback(app, db, smtp, customers, users):
    contact = customers["beta"].contacts[0]
    open_ticket(users["specialist"], {"customer": customers["beta"], "contact": contact,
                                      "subject": "Rolled back"}, channel="phone")
    assert smtp.messages == []
    db.session.rollback()
    assert smtp.messages == []
    assert outbound() == []


def test_smtp_failure_keeps_the_mail_queued_and_a_retry_sends_it_once(app, db, smtp, customers,
                                                                      users, monkeypatch):
    contact = customers["beta"].contacts[0]
    real = smtplib.SMTP.send_message
    calls = {"n": 0}

    def flaky(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 1:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return real(self, *a, **k)

    monkeypatch.setattr(smtplib.SMTP, "send_message", flaky)
    open_ticket(users["specialist"], {"customer": customers["beta"], "contact": contact,
                                      "subject": "Flaky"}, channel="phone")
    db.session.commit()
    db.session.expire_all()
    [row] = outbound()
    assert row.state == "queued" and row.attempts == 1
    assert "connection lost" in row.error
    assert smtp.messages == []
    assert send_outbound(row.id).get() == "sent"  # what huey's retry does
    assert send_outbound(row.id).get() == "sent"  # and again: nothing more
    assert len(smtp.messages) == 1
    db.session.expire_all()
    assert outbound()[0].attempts == 2


def test_permanent_refusal_fails_without_retrying(app, db, smtp, customers, users, monkeypatch):
    def refuse(self, *a, **k):
        raise smtplib.SMTPRecipientsRefused({"x@y": (550, b"5.1.1 no such user")})

    monkeypatch.setattr(smtplib.SMTP, "send_message", refuse)
    contact = customers["beta"].contacts[0]
    open_ticket(users["specialist"], {"customer": customers["beta"], "contact": contact,
                                      "subject": "Gone"}, channel="phone")
    db.session.commit()
    db.session.expire_all()
    assert outbound()[0].state == "failed"


def test_without_smtp_settings_mail_waits_queued(app, db, customers, users):
    app.config["SMTP_URL"] = None
    contact = customers["beta"].contacts[0]
    open_ticket(users["specialist"], {"customer": customers["beta"], "contact": contact,
                                      "subject": "No SMTP"}, channel="phone")
    db.session.commit()
    db.session.expire_all()
    row = outbound()[0]
    assert row.state == "queued" and "not set" in row.error


def test_smtp_url_forms():
    s = smtp_settings("smtps://user%40x:p%3Ass@mail.example:465")
    assert (s.host, s.port, s.ssl, s.user, s.password) == ("mail.example", 465, True, "user@x", "p:ss")
    s = smtp_settings("smtp://relay.example?starttls=1")
    assert (s.port, s.ssl, s.starttls, s.user) == (25, False, True, "")


def test_outbound_row_records_every_mail(ingest, db, smtp, customers):
    ingest(mail(sender="p.dvorak@strojirny-brno.cz", subject="Tisk", body="Nejde tisk."))
    [row] = db.session.query(OutboundMail).all()
    assert row.kind == "ack" and row.automatic and row.state == "sent" and row.sent_at
    assert row.ticket_id == tickets()[0].id
    assert row.to_addr == "p.dvorak@strojirny-brno.cz" and row.language == "cs"
