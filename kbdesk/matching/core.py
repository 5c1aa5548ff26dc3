"""Similar-ticket matching: BM25 candidates from key terms, re-ranked on a few features.

1. Key terms: the ticket's highest tf-idf words (title words counted up), see keyterms.
2. First pass: BM25 (title and body, boosted) of the rare key terms over the whole index,
   computed from the decoded posting lists (see postings).
3. Second pass: the best `pool` documents also get the common key terms' BM25 (found by
   binary search in their posting lists), and the best `candidates` of them are re-ranked
   by a linear combination of features: BM25, share of key-term weight matched, fuzzy
   title similarity, same customer, application and component, closeness in time, filed
   earlier. The weights were fitted on half of the OpenOffice duplicate set (bench/).
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rapidfuzz import fuzz
from whoosh import query as wq
from whoosh.searching import Searcher

from kbdesk.matching.keyterms import KeyTerm, key_terms, tokens
from kbdesk.matching.postings import NARROW, Postings, cached, decode, first_pass, read_postings

KINDS = ("ticket", "article", "config")
DAY = 86400.0
TEN_YEARS = 3650.0


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

    max_terms: int = 20
    title_weight: float = 3.0
    max_df_ratio: float = 0.25
    common_df_ratio: float = 0.03
    k1: float = 1.2
    b: float = 0.75
    boosts: dict[str, float] = field(default_factory=lambda: {"title": 2.0, "body": 1.0})
    pool: int = 400
    candidates: int = 100
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "bm25": 1.0,
            "cover": 3.0,
            "title": 1.0,
            "customer": 0.3,  # not in the benchmark data: set like "app", untuned
            "app": 0.3,
            "comp": 0.05,
            "time": 1.5,
            "older": 0.5,
        }
    )


DEFAULT_TUNING = Tuning()


@dataclass
class Candidate:
    """A scored document with the features the re-ranker combines."""

    docnum: int
    fields: dict
    features: dict[str, float]
    shared: list[str]  # the key terms it contains, as written in the ticket


# Which docnums of a segment a restriction allows (keys start with the segment id).
_ALLOWED: OrderedDict[tuple, frozenset[int]] = OrderedDict()


# --- filtering ----------------------------------------------------------------


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


class Gate:
    """Whether a docnum may be returned: live, not excluded, and matching the restriction."""

    def __init__(self, searcher: Searcher, restriction: wq.Query | None, excluded: set[int]):
        self.reader = searcher.reader()
        self.deletions = self.reader.has_deletions()
        self.excluded = excluded
        leaves = searcher.leaf_searchers()
        self.offsets = [offset for _, offset in leaves]
        self.allowed: list[frozenset[int]] | None = None
        if restriction is not None:
            self.allowed = [
                cached(
                    _ALLOWED,
                    (leaf.reader().segment().segment_id(), restriction),
                    lambda leaf=leaf: frozenset(leaf.docs_for_query(restriction)),
                    size=64,
                )
                for leaf, _ in leaves
            ]

    def __call__(self, docnum: int) -> bool:
        """True when docnum may be returned."""
        if docnum in self.excluded or (self.deletions and self.reader.is_deleted(docnum)):
            return False
        if self.allowed is None:
            return True
        i = bisect_right(self.offsets, docnum) - 1
        return docnum - self.offsets[i] in self.allowed[i]

    def within(self, offset: int, ids: Iterable[int]) -> set[int]:
        """The global docnums of a segment's local ids that the restriction allows."""
        if self.allowed is None:
            return set(map(offset.__add__, ids))
        local = self.allowed[self.offsets.index(offset)]
        return set(map(offset.__add__, local.intersection(ids)))

    def count(self) -> int | None:
        """How many docnums the restriction allows (None: no restriction)."""
        return None if self.allowed is None else sum(map(len, self.allowed))

    def docs(self) -> list[int]:
        """The docnums that may be returned, in order (with a restriction only)."""
        assert self.allowed is not None
        ordered = (
            d + offset
            for offset, local in zip(self.offsets, self.allowed, strict=True)
            for d in sorted(local)
        )
        return [d for d in ordered if self(d)]


def score_docs(docnums: list[int], postings: Sequence[Postings]) -> dict[int, float]:
    """Full BM25 of the given (sorted) docnums, those that have a key term."""
    scores = dict.fromkeys(docnums, 0.0)
    for p in postings:
        for d, i in p.find(docnums):
            scores[d] += p.score_at(i)
    return {d: s for d, s in scores.items() if s > 0.0}


def _top(scores: dict[int, float], gate: Gate, n: int) -> list[int]:
    """The (up to) n best-scored docnums that pass the gate, best first."""
    chosen: list[int] = []
    want, seen = 2 * n, 0
    while len(chosen) < n and seen < len(scores):
        ranked = heapq.nlargest(want, scores, key=scores.__getitem__)
        chosen.extend(d for d in ranked[seen:] if gate(d))
        seen, want = len(ranked), want * 4
    return chosen[:n]


def best_pool(
    first: dict[int, float], postings: Sequence[Postings], gate: Gate, n: int
) -> dict[int, float]:
    """The n best documents by first-pass score that pass the gate, with their full BM25."""
    chosen = _top(first, gate, n)
    common = [p for p in postings if p.common]
    if len(chosen) < n and common:
        # few documents have a rare term (or pass the gate): the common terms must find more
        allowed = gate.count()
        if allowed is None or NARROW * allowed > sum(len(p.ids) for p in common):
            full = first_pass(postings, common=True)
            return {d: full[d] for d in _top(full, gate, n)}
        more: set[int] = set()
        for p in common:
            more |= gate.within(p.offset, p.ids)
        chosen.extend(d for d in more.difference(chosen) if gate(d))
    scores = {d: first.get(d, 0.0) for d in chosen}
    docnums = sorted(scores)
    for p in common:
        for d, i in p.find(docnums):
            scores[d] += p.score_at(i)
    return scores


# --- second stage: features of the candidates -----------------------------------


def _epoch(value: datetime | None) -> float | None:
    """Epoch seconds of a datetime, naive taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _same(
    searcher: Searcher, fieldname: str, value: str | None, docnums: Sequence[int]
) -> set[int]:
    """The docnums whose (ID) field equals value, read per segment (column or postings)."""
    if not value or fieldname not in searcher.schema:
        return set()
    ordered = sorted(docnums)
    found: set[int] = set()
    for leaf, offset in searcher.leaf_searchers():
        reader = leaf.reader()
        # Whoosh's MultiReader.column_reader leaves out segments without the column and then
        # looks their docnums up in the wrong segment: read each segment on its own.
        lo = bisect_left(ordered, offset)
        mine = ordered[lo : bisect_left(ordered, offset + reader.doc_count_all())]
        if not mine:
            continue
        if reader.has_column(fieldname):
            column = reader.column_reader(fieldname)
            found.update(d for d in mine if column[d - offset] == value)
            continue
        ids = decode(reader, fieldname, value)[0]
        if ids:
            found.update(d for d, _ in Postings(value, offset, ids, [], [], 0.0, False).find(mine))
    return found


_TITLES: OrderedDict[tuple, str] = OrderedDict()


def _title_key(searcher: Searcher, title: str) -> str:
    """A title as its analysed terms, for fuzzy comparison (the same titles come back often)."""
    field = searcher.schema["title"] if "title" in searcher.schema else None
    return cached(
        _TITLES,
        (type(field).__name__, title),
        lambda: " ".join(tokens(searcher, "title", title)),
        size=50_000,
    )


def features(
    searcher: Searcher,
    ticket: MatchQuery,
    terms: Sequence[KeyTerm],
    postings: Sequence[Postings],
    scores: dict[int, float],
    docnums: Sequence[int],
) -> list[Candidate]:
    """The candidates with their re-ranking features, all roughly in [0, 1]."""
    top = max(scores[d] for d in docnums) or 1.0
    weight = {t.text: t.weight for t in terms}
    written = {t.text: t.word or t.text for t in terms}
    total = sum(weight.values()) or 1.0
    ordered = sorted(docnums)
    shared: dict[int, set[str]] = {d: set() for d in docnums}
    for p in postings:
        for d, _ in p.find(ordered):
            shared[d].add(p.term)
    qtitle = _title_key(searcher, ticket.title)
    qtime = _epoch(ticket.created)
    same_customer = _same(searcher, "customer", ticket.customer, docnums)
    same_app = _same(searcher, "application", ticket.application, docnums)
    same_comp = _same(searcher, "component", ticket.component, docnums)
    found = []
    for d in docnums:
        stored = searcher.stored_fields(d)
        common = [t for t in weight if t in shared[d]]
        ctime = stored.get("created") or None
        days = abs(qtime - ctime) / DAY if qtime and ctime else None
        values = {
            "bm25": scores[d] / top,
            "cover": sum(weight[t] for t in common) / total,
            "title": fuzz.token_sort_ratio(qtitle, _title_key(searcher, stored.get("title") or ""))
            / 100.0,
            "customer": float(d in same_customer),
            "app": float(d in same_app),
            "comp": float(d in same_comp),
            "time": 0.0
            if days is None
            else max(0.0, 1.0 - math.log1p(days) / math.log1p(TEN_YEARS)),
            "older": float(days is not None and ctime <= qtime),
        }
        found.append(Candidate(d, stored, values, [written[t] for t in common]))
    return found


@dataclass(frozen=True)
class Group:
    """One list to fill from a single matching pass: its kinds, filter and length."""

    name: str
    kinds: tuple[str, ...] = KINDS
    allowed: wq.Query | None = None
    limit: int = 10
    exclude_docids: tuple[str, ...] = ()


class Pass:
    """The work one ticket's matching shares between groups: key terms, postings, BM25."""

    def __init__(self, searcher: Searcher, ticket: MatchQuery, tuning: Tuning):
        self.searcher, self.ticket, self.tuning = searcher, ticket, tuning
        self.terms = key_terms(
            searcher,
            ticket.title,
            ticket.body,
            limit=tuning.max_terms,
            title_weight=tuning.title_weight,
            max_df_ratio=tuning.max_df_ratio,
        )
        self.postings = read_postings(searcher, self.terms, tuning) if self.terms else []
        self._first: dict[int, float] | None = None

    @property
    def first(self) -> dict[int, float]:
        """First-pass BM25 over the whole index, computed once for all groups."""
        if self._first is None:
            self._first = first_pass(self.postings)
        return self._first

    def candidates(self, group: Group) -> list[Candidate]:
        """The group's best BM25 candidates with their re-ranking features."""
        if not self.terms:
            return []
        searcher, postings, tuning = self.searcher, self.postings, self.tuning
        excluded = {searcher.document_number(docid=d) for d in group.exclude_docids} - {None}
        gate = Gate(searcher, _restriction(group.allowed, group.kinds), excluded)
        allowed = gate.count()
        if allowed == 0:
            return []
        walked = sum(len(p.ids) for p in postings)
        if allowed is not None and NARROW * allowed * len(postings) < walked:
            # few documents to choose from: look each one up rather than walk every posting
            scores = score_docs(gate.docs(), postings)
        else:
            scores = best_pool(self.first, postings, gate, max(tuning.pool, tuning.candidates))
        docnums = heapq.nlargest(tuning.candidates, scores, key=scores.__getitem__)
        if not docnums:
            return []
        return features(searcher, self.ticket, self.terms, postings, scores, docnums)

    def match(self, group: Group) -> list[Match]:
        """The group's limit best documents, best first."""
        weights = self.tuning.weights
        ranked = heapq.nlargest(
            group.limit, self.candidates(group), key=lambda c: score(c.features, weights)
        )
        return [
            Match(
                docid=c.fields.get("docid", ""),
                kind=c.fields.get("kind", ""),
                obj_id=str(c.fields.get("obj_id", "")),
                score=round(score(c.features, weights), 4),
                reasons=c.shared,
                title=c.fields.get("title") or "",
            )
            for c in ranked
        ]


def candidates(
    searcher: Searcher,
    ticket: MatchQuery,
    *,
    allowed: wq.Query | None = None,
    kinds: Iterable[str] = KINDS,
    exclude_docids: Iterable[str] = (),
    tuning: Tuning = DEFAULT_TUNING,
) -> list[Candidate]:
    """The ticket's best BM25 candidates with their re-ranking features."""
    group = Group("", tuple(kinds), allowed, 0, tuple(exclude_docids))
    return Pass(searcher, ticket, tuning).candidates(group)


def score(values: dict[str, float], weights: dict[str, float]) -> float:
    """The linear combination of a candidate's features."""
    return sum(weights.get(name, 0.0) * value for name, value in values.items())


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
    group = Group("", tuple(kinds), allowed, limit, tuple(exclude_docids))
    return Pass(searcher, ticket, tuning).match(group)


def match_groups(
    searcher: Searcher, ticket: MatchQuery, groups: Iterable[Group], tuning: Tuning = DEFAULT_TUNING
) -> dict[str, list[Match]]:
    """Several lists (e.g. tickets, articles, notes) from one shared pass over the index."""
    shared = Pass(searcher, ticket, tuning)
    return {group.name: shared.match(group) for group in groups}
