"""Query normalisation for grouping searches into gaps.

Decision: a query's group key is the sorted set of its analysed terms (folded, stemmed with
the search index's own analyzer, stop words dropped). Word order is dropped on purpose: people
type "vpn nefunguje", "Nefunguje VPN!" and "VPN nefungují" for the same missing article, and
the search engine treats them alike too (it ranks by terms, not phrases), so one gap is one set
of terms. People still read the raw queries, which the report shows as examples.
"""

from __future__ import annotations

import re

from kbdesk.search.analysis import WORD_PATTERN, fold, normalize

_WORD_RE = re.compile(WORD_PATTERN)
MAX_KEY = 200


def display_form(query: str) -> str:
    """Lowercase, diacritics folded, punctuation dropped, whitespace collapsed (word order kept)."""
    return " ".join(_WORD_RE.findall(fold(query or "")))[:MAX_KEY]


def normalise(query: str) -> str:
    """The group key: sorted distinct stemmed terms; a query of stop words only keeps its words."""
    words = _WORD_RE.findall(fold(query or ""))
    terms = sorted({t for t in (normalize(w) for w in words) if t})
    if not terms:  # "the", "a jak" — still a search someone made; group it by its words
        terms = sorted(set(words))
    return " ".join(terms)[:MAX_KEY]
