"""Spelling help: replace rare query words by close, more frequent visible words."""

from __future__ import annotations

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .analysis import _WORD_RE, normalize
from .postings import PUBLIC_FIELDS
from .view import _View

FEW_RESULTS = 3  # fewer results than this: look for a spelling correction


def _correct(view: _View, words, allowed: int):
    """The words with rare ones replaced by close, more frequent visible words; or None.

    Candidates come from the title and body vocabulary, and count only where the
    viewer may look (`allowed`), so no suggestion reveals a hidden document.
    """
    vocab = None
    fixed, changed = [], False
    for term, word in words:
        own = (view.term_mask(term, PUBLIC_FIELDS) & allowed).bit_count()
        if own >= FEW_RESULTS:
            fixed.append((term, word))
            continue
        vocab = vocab if vocab is not None else view.vocabulary()
        best = None
        for cand, dist, _ in process.extract(term, vocab, scorer=Levenshtein.distance,
                                             score_cutoff=1 if len(term) <= 4 else 2,
                                             limit=12):
            df = (view.term_mask(cand, PUBLIC_FIELDS) & allowed).bit_count()
            if cand != term and df > own and (best is None or (dist, -df) < best[0]):
                best = ((dist, -df), cand)
        if best is None:
            fixed.append((term, word))
        else:
            fixed.append((best[1], _surface(view, best[1], allowed) or best[1]))
            changed = True
    return fixed if changed else None


def _surface(view: _View, term: str, allowed: int) -> str | None:
    """A word as written in a visible document whose index term is `term`."""
    for fieldname in PUBLIC_FIELDS:
        m = view.mask(fieldname, term) & allowed
        if m:
            docnum = (m & -m).bit_length() - 1
            stored = view.stored(docnum)
            for word in _WORD_RE.findall(stored.get(fieldname) or ""):
                if normalize(word) == term:
                    return word.lower()
    return None
