"""Key-term selection for ticket matching: the few query terms worth searching for."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from whoosh.searching import Searcher

MIN_DOCS_TO_CUT = 200  # below this many documents no term is too common to use


@dataclass(frozen=True)
class KeyTerm:
    """One analysed query term: its (title-weighted) count in the ticket and its idf."""

    text: str
    count: float
    idf: float
    in_title: bool
    df: int
    word: str = ""  # the term as first written in the ticket, for people to read

    @property
    def weight(self) -> float:
        """The term's tf-idf weight in the ticket."""
        return (1.0 + math.log(self.count)) * self.idf if self.count >= 1 else self.count * self.idf


def tokens(searcher: Searcher, field: str, text: str) -> list[str]:
    """Analyse text with the index's analyzer for field, as index terms."""
    if not text:
        return []
    return list(searcher.schema[field].process_text(text, mode="index"))


def words(searcher: Searcher, field: str, text: str) -> list[tuple[str, str]]:
    """(index term, word as written) of each token of text."""
    if not text:
        return []
    analyzer = searcher.schema[field].analyzer
    return [
        (t.text, getattr(t, "original", t.text))
        for t in analyzer(text, mode="index", keeporiginal=True)
    ]


def key_terms(
    searcher: Searcher,
    title: str,
    body: str,
    *,
    limit: int = 20,
    title_weight: float = 3.0,
    max_df_ratio: float = 0.25,
) -> list[KeyTerm]:
    """The limit terms of title and body with the highest tf-idf, title occurrences counted up."""
    title_words = words(searcher, "title", title)
    body_words = words(searcher, "body", body)
    title_tokens = [term for term, _ in title_words]
    tf: Counter[str] = Counter(term for term, _ in body_words)
    for token in title_tokens:
        tf[token] += title_weight
    written: dict[str, str] = {}
    for term, word in title_words + body_words:
        written.setdefault(term, word.lower())
    n_docs = max(searcher.doc_count_all(), 1)
    in_title = set(title_tokens)
    found: list[KeyTerm] = []
    for text, count in tf.items():
        if len(text) < 2:
            continue
        df = searcher.doc_frequency("body", text) or searcher.doc_frequency("title", text)
        if df == 0 or (df > max_df_ratio * n_docs and n_docs >= MIN_DOCS_TO_CUT):
            continue
        idf = math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        found.append(KeyTerm(text, count, idf, text in in_title, df, written.get(text, text)))
    found.sort(key=lambda k: (-k.weight, k.text))
    return found[:limit]
