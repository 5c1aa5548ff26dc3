"""Loop safety, caps, header injection, HTML, attachments: nothing automatic starts a loop."""

from __future__ import annotations

import hashlib
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from kbdesk.mail.models import OutboundMail
from kbdesk.mail.outbound import send_notification
from kbdesk.mail.smtp import build_message
from kbdesk.tickets.models import Attachment, Ticket, TicketEvent
from kbdesk.tickets.services import add_message
from tests.mail.support import count, fixture_bytes, inbound, mail, messages, outbound, tickets

AUTOMATIC = [
    "outlook_oof_en.eml", "vacation_sieve_cs.eml", "x_autoreply_header.eml",
    "newsletter_precedence_bulk.eml", "bounce_dsn_postfix.eml", "bounce_exchange_ndr_headers.eml",
    "empty_return_path.eml", "mailer_daemon_plain_bounce.eml",
]


@pytest.mark.parametrize("name", AUTOMATIC)
def test_automatic_mail_gets_no_acknowledgement(name, ingest, db, smtp, customers):
    assert ingest(fixture_bytes(name)).exit_code == 0
    assert smtp.messages == []
    assert outbound() == []
    assert inbound()[0].state in ("parsed", "ignored")


@pytest.mark.parametrize("header", [
    ("Auto-Submitted", "auto-generated"), ("Auto-Submitted", "auto-replied"),
    ("Precedence", "junk"), ("Precedence", "list"), ("X-Autoreply", "yes"),
    ("X-Auto-Response-Suppress", "All"), ("Return-Path", "<>"),
])
def test_each_loop_header_suppresses_the_acknowledgement(header, ingest, db, smtp, customers):
    ingest(mail(sender="p.dvorak@strojirny-brno.cz", subject="Report from the monitoring",
                body="Disk almost full.", headers=dict([header])))
    assert smtp.messages == []


def test_auto_submitted_no_is_a_person(ingest, db, smtp, customers):
    ingest(mail(sender="p.dvorak@strojirny-brno.cz", subject="Disk", body="Full.",
                headers={"Auto-Submitted": "no"}))
    assert len(smtp.messages) == 1


def test_auto_generated_report_still_opens_a_ticket(ingest, db, smtp, customers):
    ingest(mail(sender="monitor@strojirny-brno.cz", subject="[ALERT] SRV-IIS01 down",
                body="HTTP check failed.", headers={"Auto-Submitted": "auto-generated"}))
    assert len(tickets()) == 1  # nothing reported is lost
    assert smtp.messages == []


def test_out_of_office_reply_on_a_ticket_does_not_reopen_or_answer(ingest, db, smtp, customers,
                                                                   users):
    from kbdesk.tickets.services import update_ticket

    ingest(fixture_bytes("quoted_printable_utf8.eml"))
    ticket = tickets()[0]
    ack = smtp.to("lukas.prochazka@beta-logistics.com")[0]
    update_ticket(users["specialist"], ticket.id, {"status": "resolved"})
    db.session.commit()
    smtp.clear()
    oof = mail(sender="lukas.prochazka@beta-logistics.com", subject="Automatic reply: " + ack["Subject"],
               body="I am out of the office.", in_reply_to=ack["Message-ID"],
               headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"})
    ingest(oof)
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status == "resolved"
    [message] = messages(ticket)
    assert message.automatic
    assert smtp.messages == []


def test_our_own_message_coming_back_is_ignored(ingest, db, smtp, customers):
    ingest(fixture_bytes("outlook_new_request_cs_windows1250.eml"))
    ack = smtp.to("jiri.cerny@strojirny-brno.cz")[0]
    smtp.clear()
    ingest(ack.as_bytes())  # a forwarding rule sends it back to us
    assert inbound()[1].state == "ignored"
    assert len(tickets()) == 1 and messages(tickets()[0]) == []
    assert smtp.messages == []


def test_mail_from_our_address_is_ignored(ingest, db, smtp):
    ingest(mail(sender="support@kbdesk.test", subject="Loop?", body="x"))
    assert inbound()[0].state == "ignored"
    assert tickets() == [] and smtp.messages == []


def test_acknowledgements_are_capped_per_sender(ingest, db, smtp, customers):
    for i in range(5):
        ingest(mail(sender="p.dvorak@strojirny-brno.cz", subject=f"Problem {i}", body="x"))
    assert len(tickets()) == 5
    assert len(smtp.to("p.dvorak@strojirny-brno.cz")) == 3
    suppressed = outbound(state="suppressed")
    assert len(suppressed) == 2
    assert "capped" in suppressed[0].error


def test_automatic_mails_are_capped_per_ticket(app, db, smtp, customers, users):
    from kbdesk.tickets.services import open_ticket, update_ticket

    app.config["MAIL_AUTO_PER_TICKET_HOUR"] = 2
    ticket = open_ticket(users["specialist"], {"customer": customers["alfa"], "subject": "x",
                                               "contact": customers["alfa"].contacts[0]},
                         channel="phone")
    db.session.commit()
    for status in ("waiting_customer", "open", "resolved", "open", "waiting_customer"):
        update_ticket(users["specialist"], ticket.id, {"status": status})
        db.session.commit()
    assert len(smtp.messages) == 2  # acknowledgement + the first status change
    assert count(OutboundMail, OutboundMail.state == "suppressed") == 2


def test_no_automatic_mail_to_daemons_or_noreply(app, db, smtp, users, make):
    from kbdesk.tickets.services import open_ticket

    alfa = make.Customer(slug="x1", allowed_domains=[])
    for address in ("noreply@vendor.example", "MAILER-DAEMON@x.example"):
        contact = make.Contact(customer=alfa, email=address)
        open_ticket(users["specialist"], {"customer": alfa, "contact": contact, "subject": "x"},
                    channel="phone")
        db.session.commit()
    assert smtp.messages == []


def test_header_injection_in_inbound_names_and_subject(ingest, db, smtp):
    ingest(fixture_bytes("header_injection_attempt.eml"))
    ticket = tickets()[0]
    assert "\n" not in ticket.subject and "\r" not in ticket.subject
    [ack] = smtp.messages
    _from, rcpts, msg = ack
    assert rcpts == ["eve@attacker.example"]  # no smuggled Bcc
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert "\n" not in msg["Subject"]


def test_outbound_headers_are_single_line_whatever_the_input(app, db, users):
    row = OutboundMail(kind="notification", to_addr="spec@kbdesk.test",
                       to_name="Spec\r\nBcc: victim@example.org", subject="Hi\r\nBcc: v@example.org",
                       body="text", message_id="kbd.0.x@kbdesk.test", language="en")
    from kbdesk.db_types import utcnow

    row.created_at = utcnow()
    msg = build_message(row, from_name="Support\nX-Evil: 1")
    raw = msg.as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert parsed["Subject"] == "Hi Bcc: v@example.org"


def test_html_only_mail_becomes_sanitised_text(ingest, db, smtp, customers):
    ingest(fixture_bytes("html_only_with_script.eml"))
    ticket = tickets()[0]
    text = ticket.description
    assert "Při exportu sestavy „Faktury 2025“" in text
    assert "- verze 3.8.2" in text
    assert "<script" not in text and "document.cookie" not in text
    assert "onclick" not in text and "<iframe" not in text and "<p" not in text
    assert "<https://portal.example.cz/help/export>" in text


def test_big_attachment_is_dropped_with_a_note(ingest, db, smtp, app):
    app.config["ATTACHMENT_MAX_BYTES"] = 1024 * 1024
    ingest(fixture_bytes("big_attachment.eml"))
    ticket = tickets()[0]
    assert "w3wp-dump.zip" in ticket.description
    assert "1.4 MB" in ticket.description and "1.0 MB" in ticket.description
    names = [a.filename for a in db.session.query(Attachment).filter_by(ticket_id=ticket.id)]
    assert names == ["app.log"]


def test_attachment_names_are_kept_safely_and_stored_by_hash(ingest, db, smtp, app):
    raw = fixture_bytes("attachments_rfc2231_filenames.eml")
    ingest(raw)
    ticket = tickets()[0]
    atts = db.session.query(Attachment).filter_by(ticket_id=ticket.id).order_by(Attachment.id).all()
    names = [a.filename for a in atts]
    assert names[0] == "Prohlížeč událostí – export.log"
    assert names[1] == "snímek obrazovky.png"
    assert all("/" not in n and "\\" not in n and "\n" not in n and ".." not in n for n in names)
    data_dir = Path(app.config["DATA_DIR"])
    for a in atts:
        stored = data_dir / "attachments" / a.sha256[:2] / a.sha256
        assert stored.exists()
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == a.sha256
    assert not (data_dir / "etc").exists()
    assert atts[0].text.startswith("Chyba 1000")


def test_iso_8859_2_rfc2231_filename(ingest, db, smtp):
    ingest(fixture_bytes("thunderbird_attachment_iso88592_name.eml"))
    [att] = db.session.query(Attachment).all()
    assert att.filename == "Objednávka č. 12.pdf"


def test_inline_image_and_forwarded_message_are_attachments(ingest, db, smtp):
    ingest(fixture_bytes("html_inline_image_related.eml"))
    ingest(fixture_bytes("outlook_forward_as_attachment.eml"))
    first, second = tickets()
    assert [a.filename for a in first.attachments] == ["image001.png"]
    assert "[screenshot]" in first.description
    assert second.attachments[0].filename.endswith(".eml")
    assert "Disk C" in second.attachments[0].filename


def test_bounce_of_our_mail_is_noted_on_its_ticket(ingest, db, smtp, customers, app):
    ingest(mail(sender="p.dvorak@strojirny-brno.cz", subject="Tisk", body="Nejde tisk."))
    ticket = tickets()[0]
    ack_row = outbound(kind="ack")[0]
    raw = fixture_bytes("bounce_dsn_postfix.eml").replace(
        b"kbd.1.aaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbb@kbdesk.test", ack_row.message_id.encode())
    smtp.clear()
    ingest(raw)
    db.session.expire_all()
    assert outbound(kind="ack")[0].state == "bounced"
    assert db.session.query(TicketEvent).filter_by(ticket_id=ticket.id, kind="mail_bounced").count() == 1
    assert len(tickets()) == 1 and smtp.messages == []


def test_staff_notification_is_sent_once(app, db, smtp, users):
    row = send_notification(users["specialist"].id, "SLA breach soon", "Ticket 2026-000001.")
    db.session.commit()
    [(_f, rcpts, msg)] = smtp.messages
    assert rcpts == ["spec@kbdesk.test"]
    assert msg["Auto-Submitted"] == "auto-generated"
    from kbdesk.mail.tasks import send_outbound

    send_outbound(row.id)  # a retry after success sends nothing
    assert len(smtp.messages) == 1


def test_internal_note_is_never_mailed(app, db, smtp, customers, users, ingest):
    ingest(mail(sender="p.dvorak@strojirny-brno.cz", subject="Tisk", body="Nejde tisk."))
    smtp.clear()
    ticket = tickets()[0]
    add_message(users["specialist"], ticket, "Internal: check the spooler", internal=True)
    db.session.commit()
    assert smtp.messages == []
