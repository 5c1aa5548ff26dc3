"""Czech and other charsets decode right; unknown or wrong labels never crash intake."""

from __future__ import annotations

from kbdesk.mail.headers import decode_bytes, header_text
from kbdesk.mail.parse import parse_mail
from tests.mail.support import fixture_bytes, inbound, messages, tickets

LIMIT = 10 * 1024 * 1024


def test_windows_1250_mail_reads_correctly_in_the_ticket(ingest, db, smtp, customers):
    ingest(fixture_bytes("outlook_new_request_cs_windows1250.eml"))
    ticket = tickets()[0]
    assert ticket.subject == "Chyby v prohlížeči událostí a nefunkční tisk"
    assert "Příliš žluťoučký kůň úpěl ďábelské ódy." in ticket.description
    assert "„Služba Správce úloh neodpovídá“" in ticket.description
    assert "Ing. Jiří Černý" in ticket.description
    assert ticket.reporter_name == "Jiří Černý" or ticket.reporter_email == "jiri.cerny@strojirny-brno.cz"


def test_windows_1250_reply_reads_correctly(ingest, db, smtp, customers):
    ingest(fixture_bytes("outlook_new_request_cs_windows1250.eml"))
    number = tickets()[0].number.encode()
    ingest(fixture_bytes("outlook_reply_cs_windows1250.eml").replace(b"2026-000001", number))
    body = messages(tickets()[0])[0].body
    assert "po restartu aplikačního poolu se chyba 503 zatím neobjevila" in body
    assert "Petr Dvořák" in body


def test_iso_8859_2_utf8_qp_base64_and_rfc2047(ingest, db, smtp):
    for name in ("iso88592_8bit_plain.eml", "utf8_8bit_plain.eml", "quoted_printable_utf8.eml",
                 "base64_utf8_apple.eml", "rfc2047_mixed_subject.eml"):
        ingest(fixture_bytes(name))
    by_subject = {t.subject: t for t in tickets()}
    iso = by_subject["Prodloužení certifikátu"]
    assert "platnost končí 31. ledna" in iso.description
    assert "Karel Šťastný" in iso.description
    assert "zaplnila databáze tempdb" in by_subject["Plná tempdb na SQL Serveru"].description
    qp = by_subject["502 after slot swap on App Service"]
    assert "applicationInitialization with /health" in qp.description
    assert "Lukáš Procházka" in qp.description
    assert "„Failed to create VM snapshot“" in by_subject["Záloha selhává"].description
    assert "Útlok na „Rezervace“ a příhlašování číšek (Q+B)" in by_subject


def test_raw_utf8_sender_name_is_decoded():
    parsed = parse_mail(fixture_bytes("utf8_8bit_plain.eml"), max_attachment_bytes=LIMIT)
    assert parsed.from_name == "Tomáš Horák"


def test_unknown_and_mislabelled_charsets_keep_the_text(ingest, db, smtp):
    assert ingest(fixture_bytes("unknown_and_mislabelled_charset.eml")).exit_code == 0
    ticket = tickets()[0]
    assert "syst\ufffdm nefunguje" in ticket.description  # replacement marks, no crash
    assert "Chyba při uložení rezervace – kód 17." in ticket.description  # UTF-8 labelled ascii
    assert inbound()[0].state == "parsed"


def test_garbage_bytes_never_crash(ingest, db, smtp):
    assert ingest(fixture_bytes("malformed_garbage_bytes.eml")).exit_code == 0
    assert inbound()[0].state == "parsed"
    ticket = tickets()[0]
    assert ticket.customer_id is None and ticket.subject


def test_decode_bytes_fallbacks():
    text = "Příliš žluťoučký kůň"
    assert decode_bytes(text.encode("cp1250"), "windows-1250") == text
    assert decode_bytes(text.encode("cp1250"), "x-cp1250") == text
    assert decode_bytes(text.encode("iso-8859-2"), "latin2") == text
    assert decode_bytes(text.encode("utf-8"), "iso-8859-2") == text  # mislabelled UTF-8
    assert decode_bytes(text.encode("utf-8"), "no-such-charset") == text
    assert "\ufffd" in decode_bytes(text.encode("cp1250"), "utf-8")
    assert "\ufffd" in decode_bytes(b"\xff\xfe\xfa", "bogus")


def test_header_text_never_raises():
    assert header_text("=?utf-8?B?!!!?=") == "=?utf-8?B?!!!?="
    assert header_text("=?nope?Q?caf=E9?=") == "caf\ufffd"
    assert header_text("a\r\n\tb\nc") == "a b c"
    assert header_text(None) == ""
    assert header_text("Re: =?windows-1250?Q?Z=E1vada_na_tisk=E1rn=EC?=") == "Re: Závada na tiskárně"
