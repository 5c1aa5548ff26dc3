"""Similar-ticket matching: BM25 candidates from key terms, re-ranked on a few features."""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rapidfuzz import fuzz
from whoosh import query as wq
from whoosh.matching import FilterMatcher
from whoosh.reading import IndexReader, TermNotFound
from whoosh.searching import Searcher

from kbdesk.matching.keyterms import KeyTerm, key_terms, tokens

KINDS = ("ticket", "article", "config")
DAY = 86400.0
FIELDS = ("title", "body")


@dataclass(frozen=True)
class MatchQuery:
    """A new ticket as the matcher sees it."""

    title: str = ""
    body: str = ""
    customer: str | None = None
    application: str | None = None
    component: str | None = None
    created: datetime | None = None


@dataclass
class Match:
    """One similar document, with its score and the key terms it shares with the ticket."""

    docid: str
    kind: str
    obj_id: str
    score: float
    reasons: list[str]
    title: str


@dataclass(frozen=True)
class Tuning:
    """Knobs of the matcher; the defaults are the tuned ones."""

    max_terms: int = 25
    title_weight: float = 3.0
    max_df_ratio: float = 0.25
    k1: float = 1.2
    b: float = 0.75
    boosts: dict[str, float] = field(default_factory=lambda: {"title": 2.0, "body": 1.0})
    candidates: int = 50
    weights: dict[str, float] = field(
        default_factory=lambda: {"bm25": 1.0, "title": 0.0, "app": 0.0, "comp": 0.0, "time": 0.0}
    )


DEFAULT_TUNING = Tuning()


@dataclass
class Candidate:
    """A scored document with the features the re-ranker combines."""

    docnum: int
    fields: dict
    features: dict[str, float]


# --- postings -------------------------------------------------------------

_LENGTHS: OrderedDict[tuple[str, str], list[float]] = OrderedDict()


def _lengths(reader: IndexReader, fieldname: str) -> list[float]:
    """Field lengths of every document of a segment, cached by segment (segments are immutable)."""
    key = (reader.segment().segment_id(), fieldname)
    if key in _LENGTHS:
        _LENGTHS.move_to_end(key)
        return _LENGTHS[key]
    lengths = [float(reader.doc_field_length(d, fieldname, 0) or 0) for d in range(reader.doc_count_all())]
    _LENGTHS[key] = lengths
    while len(_LENGTHS) > 64:
        _LENGTHS.popitem(last=False)
    return lengths


def _postings(reader: IndexReader, fieldname: str, text: str) -> tuple[Sequence[int], Sequence[float]]:
    """Document numbers and term frequencies of a term in one segment (deleted docs included)."""
    try:
        m = reader.postings(fieldname, text)
    except TermNotFound:
        return (), ()
    if isinstance(m, FilterMatcher):
        m = m.child
    ids: list[int] = []
    tfs: list[float] = []
    if hasattr(m, "_read_data"):  # whoosh3 block matcher: take whole blocks, not posting by posting
        while m.is_active():
            m._read_ids()
            m._read_weights()
            ids.extend(m._ids)
            tfs.extend(m._weights)
            m._next_block()
    else:
        while m.is_active():
            ids.append(m.id())
            tfs.append(m.weight())
            m.next()
    return ids, tfs


def bm25_scores(searcher: Searcher, terms: Sequence[KeyTerm], tuning: Tuning) -> dict[int, float]:
    """Sum over key terms and fields of query weight x field boost x BM25, by global docnum."""
    acc: dict[int, float] = {}
    get = acc.get
    k1, b = tuning.k1, tuning.b
    for fieldname, boost in tuning.boosts.items():
        if not boost:
            continue
        avg = searcher.avg_field_length(fieldname) or 1.0
        for leaf, offset in searcher.leaf_searchers():
            reader = leaf.reader()
            lengths = _lengths(reader, fieldname)
            for term in terms:
                ids, tfs = _postings(reader, fieldname, term.text)
                if not ids:
                    continue
                c = boost * term.weight * (k1 + 1)
                base, slope = k1 * (1 - b), k1 * b / avg
                for d, tf in zip(ids, tfs, strict=True):
                    g = d + offset
                    acc[g] = get(g, 0.0) + c * tf / (tf + base + slope * lengths[d])
    return acc


# --- filtering --------------------------------------------------------------


def _restriction(allowed: wq.Query | None, kinds: Iterable[str]) -> wq.Query | None:
    """The filter part: what the viewer may see, of the kinds asked for."""
    kinds = tuple(kinds)
    parts: list[wq.Query] = []
    if set(kinds) != set(KINDS):
        parts.append(wq.Or([wq.Term("kind", k) for k in kinds]))
    if allowed is not None:
        parts.append(allowed)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def _members(searcher: Searcher, q: wq.Query, docnums: Iterable[int]) -> set[int]:
    """Which of docnums match the query (by skipping through its matcher)."""
    m = q.matcher(searcher, searcher.boolean_context())
    found: set[int] = set()
    for d in sorted(docnums):
        if not m.is_active():
            break
        if m.id() < d:
            m.skip_to(d)
        if m.is_active() and m.id() == d:
            found.add(d)
    return found


def _live(searcher: Searcher, docnums: Iterable[int]) -> list[int]:
    """Docnums that are not deleted."""
    reader = searcher.reader()
    if not reader.has_deletions():
        return list(docnums)
    return [d for d in docnums if not reader.is_deleted(d)]


def top_docnums(
    searcher: Searcher, scores: dict[int, float], n: int, restriction: wq.Query | None, excluded: set[int]
) -> list[int]:
    """The n best-scored live docnums that pass the restriction and are not excluded."""
    if restriction is not None and restriction.estimate_size(searcher.reader()) < len(scores):
        allowed = set(searcher.docs_for_query(restriction))
        scores = {d: s for d, s in scores.items() if d in allowed}
        restriction = None
    chosen: list[int] = []
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)
    start, step = 0, max(n, 1) * 2
    while len(chosen) < n and start < len(ranked):
        chunk = [d for d in _live(searcher, ranked[start : start + step]) if d not in excluded]
        if restriction is not None:
            ok = _members(searcher, restriction, chunk)
            chunk = [d for d in chunk if d in ok]
        chosen.extend(chunk)
        start += step
        step *= 2
    return chosen[:n]


# --- features ---------------------------------------------------------------


def _epoch(value: datetime | None) -> float | None:
    """Epoch seconds of a datetime, naive taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _title_key(searcher: Searcher, title: str) -> str:
    """A title as its analysed terms, for fuzzy comparison."""
    return " ".join(tokens(searcher, "title", title))


def _features(searcher: Searcher, ticket: MatchQuery, stored: dict, base: float, qtitle: str) -> dict[str, float]:
    """Re-ranking features of one candidate."""
    qtime, ctime = _epoch(ticket.created), stored.get("created")
    closeness = 0.0
    if qtime is not None and ctime is not None:
        closeness = max(0.0, 1.0 - math.log1p(abs(qtime - ctime) / DAY) / math.log1p(3650.0))
    return {
        "bm25": base,
        "title": fuzz.token_set_ratio(qtitle, _title_key(searcher, stored.get("title", ""))) / 100.0,
        "app": float(bool(ticket.application) and stored.get("application") == ticket.application),
        "comp": float(bool(ticket.component) and stored.get("component") == ticket.component),
        "time": closeness,
    }


def candidates(
    searcher: Searcher,
    ticket: MatchQuery,
    *,
    allowed: wq.Query | None = None,
    kinds: Iterable[str] = KINDS,
    exclude_docids: Iterable[str] = (),
    tuning: Tuning = DEFAULT_TUNING,
) -> tuple[list[KeyTerm], list[Candidate]]:
    """Key terms of the ticket and its best BM25 candidates with their re-ranking features."""
    terms = key_terms(
        searcher,
        ticket.title,
        ticket.body,
        limit=tuning.max_terms,
        title_weight=tuning.title_weight,
        max_df_ratio=tuning.max_df_ratio,
    )
    if not terms:
        return terms, []
    scores = bm25_scores(searcher, terms, tuning)
    excluded = {searcher.document_number(docid=d) for d in exclude_docids} - {None}
    docnums = top_docnums(searcher, scores, tuning.candidates, _restriction(allowed, kinds), excluded)
    if not docnums:
        return terms, []
    top = scores[docnums[0]] or 1.0
    qtitle = _title_key(searcher, ticket.title)
    found = []
    for d in docnums:
        stored = searcher.stored_fields(d)
        found.append(Candidate(d, stored, _features(searcher, ticket, stored, scores[d] / top, qtitle)))
    return terms, found


def shared_terms(searcher: Searcher, docnums: Sequence[int], terms: Sequence[KeyTerm]) -> dict[int, list[str]]:
    """For each docnum, the key terms it contains in its title or body, best first."""
    shared: dict[int, list[str]] = {d: [] for d in docnums}
    for term in terms:
        hit: set[int] = set()
        for fieldname in FIELDS:
            hit |= _members(searcher, wq.Term(fieldname, term.text), docnums)
        for d in docnums:
            if d in hit:
                shared[d].append(term.text)
    return shared


def score(features: dict[str, float], weights: dict[str, float]) -> float:
    """The linear combination of a candidate's features."""
    return sum(weights.get(name, 0.0) * value for name, value in features.items())


def match(
    searcher: Searcher,
    ticket: MatchQuery,
    *,
    allowed: wq.Query | None = None,
    kinds: Iterable[str] = KINDS,
    limit: int = 10,
    exclude_docids: Iterable[str] = (),
    tuning: Tuning = DEFAULT_TUNING,
) -> list[Match]:
    """The limit documents most similar to the ticket, best first, that the viewer may see."""
    terms, found = candidates(
        searcher, ticket, allowed=allowed, kinds=kinds, exclude_docids=exclude_docids, tuning=tuning
    )
    ranked = heapq.nlargest(limit, found, key=lambda c: score(c.features, tuning.weights))
    shared = shared_terms(searcher, [c.docnum for c in ranked], terms)
    return [
        Match(
            docid=c.fields.get("docid", ""),
            kind=c.fields.get("kind", ""),
            obj_id=str(c.fields.get("obj_id", "")),
            score=round(score(c.features, tuning.weights), 4),
            reasons=shared[c.docnum],
            title=c.fields.get("title", ""),
        )
        for c in ranked
    ]
