"""Normalised queries: the group key is the set of stemmed, folded terms."""

from __future__ import annotations

from kbdesk.gaps.normalise import display_form, normalise


def test_case_diacritics_punctuation_and_spacing_do_not_split_a_group():
    assert normalise("Tiskárna  NEFUNGUJE!") == normalise("tiskarna nefunguje")
    assert normalise("  VPN, nefunguje?? ") == normalise("nefunguje vpn")


def test_word_forms_and_order_group_together():
    # Czech cases and English plurals are one gap; the order people type words in is not.
    assert normalise("tiskárny nefungují") == normalise("nefunguje tiskárna")
    assert normalise("Závada na serveru") == normalise("závady serveru")
    assert normalise("printers offline") == normalise("offline printer")
    assert normalise("backup fails") != normalise("backup works")


def test_stop_words_drop_but_a_stop_word_query_keeps_its_words():
    assert normalise("the printer is offline") == normalise("printer offline")
    assert normalise("the") == "the"
    assert normalise("") == ""


def test_display_form_keeps_order():
    assert display_form("Nefunguje   VPN!") == "nefunguje vpn"
