"""Acknowledgements on a real SMTP server, replies threading in, customers matched, forgery refused."""

from __future__ import annotations

from kbdesk.customers.models import Contact
from kbdesk.mail.ids import make_message_id, verified_ticket_id
from kbdesk.tickets.models import Ticket
from kbdesk.tickets.services import list_tickets, update_ticket
from tests.mail.support import count, fixture_bytes, mail, messages, outbound, tickets


def _reply_to(ack, *, sender: str, body: str, name: str = "") -> bytes:
    return mail(sender=sender, name=name, subject="Re: " + str(ack["Subject"]), body=body,
                in_reply_to=str(ack["Message-ID"]), references=str(ack["Message-ID"]))


def test_new_ticket_gets_exactly_one_acknowledgement(ingest, db, smtp, customers):
    assert ingest(fixture_bytes("outlook_new_request_cs_windows1250.eml")).exit_code == 0
    ticket = tickets()[0]
    assert ticket.customer_id == customers["alfa"].id
    assert ticket.channel == "email"
    got = smtp.to("jiri.cerny@strojirny-brno.cz")
    assert len(got) == 1
    ack = got[0]
    assert f"[#{ticket.number}]" in ack["Subject"]
    assert "Přijali jsme váš požadavek" in ack["Subject"]  # the customer's language: Czech
    assert ticket.number in ack.get_content()
    assert ack["Auto-Submitted"] == "auto-replied"
    # It answers the customer's message, so their client threads it.
    assert ack["In-Reply-To"] == "<VI1PR05MB5486C1D2E3F4A5B6C7D8E9F0A1B2@VI1PR05MB5486.eurprd05.prod.outlook.com>"
    assert verified_ticket_id(ack["Message-ID"].strip("<>")) == ticket.id
    assert len(smtp.messages) == 1
    assert outbound()[0].state == "sent"


def test_english_customer_gets_english_acknowledgement(ingest, db, smtp, customers):
    ingest(fixture_bytes("quoted_printable_utf8.eml"))
    ack = smtp.to("lukas.prochazka@beta-logistics.com")[0]
    assert "We have received your request" in ack["Subject"]
    assert "Kind regards" in ack.get_content()


def test_reply_to_acknowledgement_threads_in(ingest, db, smtp, customers):
    ingest(fixture_bytes("gmail_new_request_cs_base64.eml"))
    ack = smtp.to("marie.svobodova@strojirny-brno.cz")[0]
    smtp.clear()
    reply = _reply_to(ack, sender="marie.svobodova@strojirny-brno.cz", name="Marie Svobodová",
                      body="Ještě doplňuji: chyba je i v Safari.\n\nDne út 13. 1. 2026 v 9:12 "
                           "odesílatel Technická podpora <podpora@kbdesk.test> napsal:\n> Dobrý den")
    assert ingest(reply).exit_code == 0
    assert len(tickets()) == 1
    ticket = tickets()[0]
    [message] = messages(ticket)
    assert message.body == "Ještě doplňuji: chyba je i v Safari."
    assert not message.internal and message.via == "email"
    assert message.author_email == "marie.svobodova@strojirny-brno.cz"
    assert smtp.messages == []  # a reply is not acknowledged again


def test_subject_number_threads_for_the_same_customer(ingest, db, smtp, customers):
    ingest(fixture_bytes("outlook_new_request_cs_windows1250.eml"))
    ticket = tickets()[0]
    raw = fixture_bytes("outlook_reply_cs_windows1250.eml").replace(
        b"2026-000001", ticket.number.encode())
    ingest(raw)  # Petr Dvořák is a contact of the same customer; the HMAC id is fake
    assert len(tickets()) == 1
    [message] = messages(ticket)
    assert message.body.startswith("Dobrý den,\n\npo restartu aplikačního poolu")
    assert "Sent: Monday" not in message.body  # Outlook's quoted history is cut off


def test_customer_reply_reopens_resolved_ticket(ingest, db, smtp, customers, users):
    ingest(fixture_bytes("quoted_printable_utf8.eml"))
    ticket = tickets()[0]
    ack = smtp.to("lukas.prochazka@beta-logistics.com")[0]
    update_ticket(users["specialist"], ticket.id, {"status": "resolved"})
    db.session.commit()
    assert len(smtp.to("lukas.prochazka@beta-logistics.com")) == 2  # the "resolved" news
    ingest(_reply_to(ack, sender="lukas.prochazka@beta-logistics.com", body="Still broken."))
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status == "open"
    assert messages(ticket)[-1].body == "Still broken."


def test_number_from_another_customer_opens_a_new_ticket(ingest, db, smtp, customers):
    ingest(fixture_bytes("outlook_new_request_cs_windows1250.eml"))  # Strojírny
    first = tickets()[0]
    raw = mail(sender="jane.miller@beta-logistics.com", name="Jane Miller",
               subject=f"Re: [#{first.number}] Chyby v prohlížeči", body="Can I see this?")
    ingest(raw)
    assert len(tickets()) == 2
    second = tickets()[1]
    assert second.customer_id == customers["beta"].id
    assert messages(first) == []
    assert f"#{first.number}" not in second.subject


def test_number_from_unknown_sender_does_not_attach(ingest, db, smtp, customers):
    ingest(fixture_bytes("outlook_new_request_cs_windows1250.eml"))
    first = tickets()[0]
    ingest(mail(sender="someone@gmail.com", subject=f"[#{first.number}] hi", body="Let me in."))
    assert len(tickets()) == 2
    assert messages(first) == []


def test_forged_hmac_id_is_refused(ingest, db, smtp, customers, app):
    ingest(fixture_bytes("outlook_new_request_cs_windows1250.eml"))
    target = tickets()[0]
    genuine = make_message_id(target.id)
    forged_mac = genuine.split(".")[3]
    forged = genuine.replace(forged_mac, ("0" if forged_mac[0] != "0" else "1") + forged_mac[1:])
    assert verified_ticket_id(forged) is None
    # Another ticket's id with a MAC copied from a genuine id of a different ticket.
    other = genuine.replace(f"kbd.{target.id}.", f"kbd.{target.id + 1}.")
    assert verified_ticket_id(other) is None
    ingest(mail(sender="attacker@gmail.com", subject="Re: your ticket", body="Injected text",
                in_reply_to=f"<{forged}>", references=f"<{other}>"))
    assert messages(target) == []
    assert len(tickets()) == 2


def test_genuine_hmac_id_threads_even_without_subject_tag(ingest, db, smtp, customers):
    ingest(fixture_bytes("outlook_new_request_cs_windows1250.eml"))
    target = tickets()[0]
    ack = smtp.to("jiri.cerny@strojirny-brno.cz")[0]
    # A colleague on a private address answers the forwarded acknowledgement.
    ingest(mail(sender="jiri.cerny.home@seznam.cz", subject="Re: tisk", body="Už to jede.",
                in_reply_to=str(ack["Message-ID"])))
    assert len(tickets()) == 1
    assert messages(target)[0].body == "Už to jede."


def test_known_contact_and_allowed_domain_match_the_customer(ingest, db, smtp, customers):
    ingest(mail(sender="p.dvorak@strojirny-brno.cz", subject="Tiskárna", body="Netiskne."))
    ingest(mail(sender="new.person@strojirny-brno.cz", name="Nová Osoba", subject="VPN",
                body="VPN nejde."))
    first, second = tickets()
    assert first.customer_id == second.customer_id == customers["alfa"].id
    assert first.reporter_contact.email == "p.dvorak@strojirny-brno.cz"
    contact = second.reporter_contact
    assert contact is not None and contact.name == "Nová Osoba"
    assert contact.customer_id == customers["alfa"].id
    assert count(Contact, Contact.email == "new.person@strojirny-brno.cz") == 1


def test_customer_user_address_matches_its_customer(ingest, db, smtp, users):
    ingest(mail(sender="alice@alfa.test", subject="Portal", body="Cannot log in."))
    assert tickets()[0].customer_id == users["alfa"].id


def test_unknown_sender_lands_unsorted_never_dropped(ingest, db, smtp, customers, users):
    ingest(mail(sender="stranger@example.org", subject="Help", body="Something broke."))
    ticket = tickets()[0]
    assert ticket.customer_id is None
    assert ticket.reporter_email == "stranger@example.org"
    unsorted, total = list_tickets(users["specialist"], {"unsorted": True})
    assert total == 1 and unsorted[0].id == ticket.id
    assert len(smtp.to("stranger@example.org")) == 1  # acknowledged all the same


def test_reply_from_colleague_to_the_original_thread_joins(ingest, db, smtp, customers):
    raw = fixture_bytes("outlook_new_request_cs_windows1250.eml")
    ingest(raw)
    ticket = tickets()[0]
    original = "<VI1PR05MB5486C1D2E3F4A5B6C7D8E9F0A1B2@VI1PR05MB5486.eurprd05.prod.outlook.com>"
    ingest(mail(sender="p.dvorak@strojirny-brno.cz", subject="RE: Chyby v prohlížeči",
                body="Potvrzuji, u nás také.", in_reply_to=original, references=original))
    assert len(tickets()) == 1
    assert messages(ticket)[0].body == "Potvrzuji, u nás také."
