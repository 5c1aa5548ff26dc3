"""What our mails say, in Czech and English (mail goes out in the customer's language)."""

from __future__ import annotations

import re

# Between Czech and English, any of these letters is enough.
_CZECH = re.compile(r"[ěščřžůťďňáéíóúýĚŠČŘŽŮŤĎŇÁÉÍÓÚÝ]")
_CZECH_WORDS = re.compile(r"\b(dobrý den|prosím|děkuji|dekuji|prosim|zdravím|nefunguje|"
                          r"požadavek|chyba|dobry den)\b", re.IGNORECASE)

TEXTS = {
    "cs": {
        "team": "Technická podpora",
        "ack_subject": "[#{number}] Přijali jsme váš požadavek: {subject}",
        "ack_body": (
            "Dobrý den,\n\n"
            "děkujeme za zprávu. Váš požadavek jsme přijali a zaevidovali pod číslem {number}.\n\n"
            "Předmět: {subject}\n\n"
            "Specialista podpory se mu bude věnovat a o dalším postupu vás bude informovat. "
            "Chcete-li k požadavku cokoli doplnit, odpovězte prosím na tento e-mail "
            "a v předmětu ponechte [#{number}].\n\n"
            "S pozdravem\n{team}\n"),
        "reply_subject": "[#{number}] {subject}",
        "reply_footer": ("\n\n-- \n{author}, {team}\n"
                         "Požadavek {number}. Chcete-li něco doplnit, odpovězte na tento e-mail.\n"),
        "waiting_subject": "[#{number}] Čekáme na vaši odpověď: {subject}",
        "waiting_body": (
            "Dobrý den,\n\n"
            "k dalšímu řešení požadavku {number} ({subject}) potřebujeme vaši odpověď "
            "nebo doplňující informace. Podrobnosti najdete v poslední zprávě podpory.\n\n"
            "Odpovězte prosím na tento e-mail.\n\n"
            "S pozdravem\n{team}\n"),
        "resolved_subject": "[#{number}] Požadavek vyřešen: {subject}",
        "resolved_body": (
            "Dobrý den,\n\n"
            "požadavek {number} ({subject}) jsme označili jako vyřešený.\n\n"
            "Pokud problém přetrvává, odpovězte prosím na tento e-mail "
            "a požadavek znovu otevřeme.\n\n"
            "S pozdravem\n{team}\n"),
        "no_subject": "(bez předmětu)",
        "no_text": "(zpráva bez textu)",
        "dropped": ("[kbdesk] Příloha „{name}“ ({size}) nebyla uložena: "
                    "je větší než povolený limit {limit}."),
        "truncated": "[kbdesk] Text zprávy byl zkrácen; celé znění je v původním e-mailu.",
    },
    "en": {
        "team": "Technical support",
        "ack_subject": "[#{number}] We have received your request: {subject}",
        "ack_body": (
            "Hello,\n\n"
            "thank you for your message. We have received your request and logged it "
            "as {number}.\n\n"
            "Subject: {subject}\n\n"
            "A support specialist will look into it and keep you informed. "
            "To add anything to the request, reply to this e-mail and keep [#{number}] "
            "in the subject.\n\n"
            "Kind regards\n{team}\n"),
        "reply_subject": "[#{number}] {subject}",
        "reply_footer": ("\n\n-- \n{author}, {team}\n"
                         "Request {number}. To add anything, reply to this e-mail.\n"),
        "waiting_subject": "[#{number}] Waiting for your reply: {subject}",
        "waiting_body": (
            "Hello,\n\n"
            "to continue with request {number} ({subject}) we need your reply or more "
            "information. The details are in the latest message from support.\n\n"
            "Please reply to this e-mail.\n\n"
            "Kind regards\n{team}\n"),
        "resolved_subject": "[#{number}] Request resolved: {subject}",
        "resolved_body": (
            "Hello,\n\n"
            "we have marked request {number} ({subject}) as resolved.\n\n"
            "If the problem persists, reply to this e-mail and we will reopen it.\n\n"
            "Kind regards\n{team}\n"),
        "no_subject": "(no subject)",
        "no_text": "(message without text)",
        "dropped": ("[kbdesk] The attachment “{name}” ({size}) was not kept: it is larger "
                    "than the limit of {limit}."),
        "truncated": "[kbdesk] The message was shortened; the full text is in the original e-mail.",
    },
}


def text(language: str, key: str, **values) -> str:
    """One text in a language (English when the language is unknown)."""
    table = TEXTS.get(language) or TEXTS["en"]
    return table[key].format(**values) if values else table[key]


def guess_language(*parts: str) -> str:
    """cs for Czech text, else en (for senders we know nothing about)."""
    sample = " ".join(p[:4000] for p in parts if p)
    return "cs" if _CZECH.search(sample) or _CZECH_WORDS.search(sample) else "en"


def human_size(size: int) -> str:
    """1.5 MB, 320 kB, 12 B."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} kB"
    return f"{size} B"
