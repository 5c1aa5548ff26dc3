"""Personal-data scrubbing: what is found, what is left alone, keeping originals."""

from __future__ import annotations

import pytest

from kbdesk.authoring.scrub import Context, apply, find, leftovers, scrub

CTX = Context(names=["Jan Novák", "Ing. Petra Malá"], hosts=["portal.alfa-net.cz"],
              domains=["alfa.cz"])


def kinds(text: str, ctx: Context | None = None) -> list[tuple[str, str]]:
    return [(r.kind, r.original) for r in find(text, ctx)]


@pytest.mark.parametrize("text,found", [
    ("mail jan.novak@alfa.cz please", "jan.novak@alfa.cz"),
    ("<Petra.Mala+helpdesk@mail.example.co.uk>", "Petra.Mala+helpdesk@mail.example.co.uk"),
])
def test_email(text, found):
    assert kinds(text) == [("email", found)]


@pytest.mark.parametrize("phone", [
    "+420 603 123 456", "+420603123456", "00420 603 123 456", "603 123 456", "603-123-456",
    "+420 (603) 123-456", "+44 20 7946 0958", "+1 555 010 9999", "+49 30 901820",
])
def test_phone_numbers(phone):
    assert kinds(f"call {phone}, thanks") == [("phone", phone)]


@pytest.mark.parametrize("text", [
    "ticket 2026-000123", "on 2026-11-26", "version 10.0.17763.1", "error 0x80070005",
    "price 1 234 567 CZK", "port 8443", "KB5034441", "at 10:30:00", "build 603123456",
])
def test_not_personal(text):
    assert find(text, CTX) == []


@pytest.mark.parametrize("ip", ["192.168.1.10", "10.0.0.0/8", "8.8.8.8", "fe80::1",
                                "2001:db8::8a2e:370:7334", "::ffff:192.0.2.1"])
def test_ip_addresses(ip):
    assert kinds(f"host at {ip} is down") == [("ip", ip)]


def test_invalid_addresses_are_not_ips():
    assert find("256.1.1.1 and 1.2.3.4.5 and dead:beef") == []


def test_customer_hosts_and_domains():
    text = ("Open https://portal.alfa-net.cz/login, then db1.intra.alfa.cz and alfa.cz; "
            "but not otherportal.alfa-net.cz.example.com or alfa.czech.org")
    assert kinds(text, CTX) == [("host", "portal.alfa-net.cz"), ("host", "db1.intra.alfa.cz"),
                                ("host", "alfa.cz")]
    assert scrub(text, CTX).text.startswith("Open https://[host]/login, then [host] and [host];")


def test_names_in_czech_cases_but_not_common_words():
    text = ("Volal Jan Novák. Předali jsme to Novákovi a paní Malé; Ing. Petra Malá souhlasí. "
            "Disk je malý.")
    found = kinds(text, CTX)
    assert found == [("name", "Jan Novák"), ("name", "Novákovi"), ("name", "Malé"),
                     ("name", "Petra Malá")]
    assert "malý" in scrub(text, CTX).text


def test_the_customers_own_name_with_or_without_its_legal_form():
    ctx = Context(companies=["Alfa s.r.o."], hosts=["portal.alfa.cz"])
    text = "Alfa s.r.o. and ALFA use portal.alfa.cz; the alfabet and Alfa-Omega stay."
    assert kinds(text, ctx) == [("customer", "Alfa s.r.o."), ("customer", "ALFA"),
                                ("host", "portal.alfa.cz")]


def test_email_wins_over_the_name_inside_it():
    ctx = Context(names=["Novak"])
    assert kinds("write to Novak@alfa.cz", ctx) == [("email", "Novak@alfa.cz")]


def test_placeholders_positions_and_keep():
    text = "Jan Novák <jan@alfa.cz> on 10.1.2.3"
    found = find(text, CTX)
    assert [(r.placeholder, text[r.start:r.end]) for r in found] == [
        ("[name]", "Jan Novák"), ("[e-mail]", "jan@alfa.cz"), ("[IP address]", "10.1.2.3")]
    assert apply(text, found) == "[name] <[e-mail]> on [IP address]"
    assert apply(text, found, keep={2}) == "[name] <[e-mail]> on 10.1.2.3"
    assert scrub(text, CTX, keep=[0]).text == "Jan Novák <[e-mail]> on [IP address]"


def test_leftovers_respect_what_the_author_kept():
    text = "Restart 10.1.2.3 and tell Jan Novák"
    assert [r.original for r in leftovers(text, CTX)] == ["10.1.2.3", "Jan Novák"]
    assert [r.original for r in leftovers(text, CTX, allowed=["10.1.2.3"])] == ["Jan Novák"]
    assert leftovers(scrub(text, CTX).text, CTX) == []


def test_empty_context_and_text():
    assert find("") == [] and scrub("nothing here").text == "nothing here"


def test_placeholders_speak_the_articles_language():
    cs = Context(names=["Jan Novák"], language="cs")
    text = "Volejte Jan Novák na +420 603 123 456 nebo jan@alfa.cz, server 10.1.2.3."
    assert scrub(text, cs).text == ("Volejte [jméno] na [telefon] nebo [e-mail], "
                                    "server [IP adresa].")
