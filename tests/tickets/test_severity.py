"""Severity suggestions from Czech and English cue phrases and similar tickets."""

from __future__ import annotations

import pytest

from kbdesk.tickets.severity import find_cue, fold, suggest_severity


@pytest.mark.parametrize("text,severity,cue", [
    ("Výpadek celého portálu", "critical", "Výpadek"),
    ("Od rána výpadku objednávek", "critical", "výpadku"),
    ("vypadek serveru", "critical", "vypadek"),  # written without diacritics
    ("Havárie databáze", "critical", "Havárie"),
    ("Po aktualizaci ztráta dat v evidenci", "critical", "ztráta dat"),
    ("The portal is down since 8 am", "critical", "down"),
    ("Major outage in the EU region", "critical", "outage"),
    ("Data loss after the import", "critical", "Data loss"),
    ("Aplikace nefunguje", "high", "nefunguje"),
    ("Nelze se přihlásit do portálu", "high", "Nelze se přihlásit"),
    ("NELZE SE PRIHLASIT", "high", "NELZE SE PRIHLASIT"),
    ("Export nejde spustit", "high", "nejde"),
    ("Users cannot log in", "high", "cannot log in"),
    ("The client crashes on start", "high", "crashes"),
    ("URGENT: invoices", "high", "URGENT"),
    ("Reports are very slow", "normal", "slow"),
    ("Portál je pomalý", "normal", "pomalý"),
    ("Typo on the login page", "low", "Typo"),
    ("Dotaz k fakturaci", "low", "Dotaz"),
    ("A question about exports", "low", "question"),
])
def test_cues_in_czech_and_english(text, severity, cue):
    assert find_cue(text) == (severity, cue)
    got, reason = suggest_severity(text, [])
    assert got == severity and f"‘{cue}’" in reason


def test_no_cue_words_in_ordinary_text():
    assert find_cue("Prosím o změnu loga na přihlašovací stránce") is None
    assert find_cue("downtown office printer") is None
    assert suggest_severity("Hello", [])[0] == "normal"


def test_the_most_severe_cue_wins():
    assert find_cue("Dotaz: proč je výpadek?")[0] == "critical"
    assert find_cue("slow and then it crashed")[0] == "high"


def test_subject_is_named_in_the_reason():
    severity, reason = suggest_severity("Nevím proč.", ["critical", "critical", "critical",
                                                        "high", "normal"],
                                        subject="Výpadek portálu")
    assert severity == "critical"
    assert reason == "‘Výpadek’ in the subject; 3 of 5 similar tickets were critical"


def test_similar_tickets_alone_decide_by_weighted_majority():
    severity, reason = suggest_severity("Please have a look", ["high", "low", "low"])
    assert severity == "low" and "2 of 3 similar tickets were low" in reason
    # Scores weigh: one very close critical ticket outweighs two distant low ones.
    severity, _ = suggest_severity("", [("critical", 9.0), ("low", 1.0), ("low", 1.0)])
    assert severity == "critical"


def test_text_and_similar_tickets_combine():
    # The text says high; most similar tickets were critical: ties go to the more severe.
    assert suggest_severity("Aplikace nefunguje", ["critical"] * 5)[0] == "critical"
    # A clear majority elsewhere does not drown a cue in the text.
    assert suggest_severity("Aplikace nefunguje",
                            ["critical", "critical", "high", "low", "low"])[0] == "high"
    assert suggest_severity("just a typo", ["normal", "normal"])[0] == "normal"


def test_unknown_severities_are_ignored():
    assert suggest_severity("", ["bogus", None, "low"]) == (
        "low", "1 of 1 similar tickets were low")


def test_fold_keeps_length():
    text = "Příliš žluťoučký kůň"
    assert fold(text) == "prilis zlutoucky kun" and len(fold(text)) == len(text)


def test_the_reason_names_the_severity_in_the_users_language(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("cs"):
        _severity, reason = suggest_severity("Nevím proč.", ["critical", "critical"])
    assert reason == "2 z 2 podobných požadavků mělo závažnost kritická"
