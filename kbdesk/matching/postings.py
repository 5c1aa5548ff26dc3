"""Posting lists for the matcher: decoded whole from Whoosh's blocks, cached, BM25-scored.

Whoosh's own matchers walk postings one by one in Python; decoding a block at a time and
scoring in plain loops was ten times faster. Everything cached here belongs to immutable
segments (keys start with the segment id), so a cache entry is never stale.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat
from typing import TYPE_CHECKING

from whoosh.matching import FilterMatcher
from whoosh.reading import IndexReader, TermNotFound
from whoosh.searching import Searcher

from kbdesk.matching.keyterms import KeyTerm

if TYPE_CHECKING:
    from kbdesk.matching.core import Tuning

NARROW = 4  # a binary search costs about this many postings walked

# Caches over immutable segments (keys start with the segment id), least recently used out.
_LENGTHS: OrderedDict[tuple, list[int]] = OrderedDict()
_NORMS: OrderedDict[tuple, list[float]] = OrderedDict()
_POSTINGS: OrderedDict[tuple, tuple[array, array]] = OrderedDict()
CACHED_FROM = 1000  # posting lists at least this long stay decoded in memory...
CACHED_POSTINGS = 4_000_000  # ...up to this many postings in all (8 bytes each)
_cached_postings = 0
_LOCK = threading.Lock()


def cached(cache: OrderedDict, key: tuple, make: Callable[[], object], size: int = 32):
    """cache[key], made on a miss; least recently used entries go beyond size."""
    with _LOCK:
        value = cache.get(key)
        if value is not None:
            cache.move_to_end(key)
            return value
    value = make()
    with _LOCK:
        cache[key] = value
        while len(cache) > size:
            cache.popitem(last=False)
    return value


def _norms(reader: IndexReader, fieldname: str, base: float, slope: float) -> list[float]:
    """BM25 length norms (base + slope x length) of a segment's docs."""

    def lengths() -> list[int]:
        get = reader.doc_field_length
        return [get(d, fieldname, 0) or 0 for d in range(reader.doc_count_all())]

    segment = reader.segment().segment_id()
    raw = cached(_LENGTHS, (segment, fieldname), lengths)
    # the average length (in slope) changes with every commit; the lengths never do
    return cached(
        _NORMS, (segment, fieldname, base, slope), lambda: [base + slope * n for n in raw]
    )


def decode(
    reader: IndexReader, fieldname: str, text: str
) -> tuple[Sequence[int], Sequence[float]]:
    """Document numbers and weights of a term in one segment (deleted docs included)."""
    key = (reader.segment().segment_id(), fieldname, text)
    with _LOCK:
        hit = _POSTINGS.get(key)
        if hit is not None:
            _POSTINGS.move_to_end(key)
            return hit
    ids, weights = _read(reader, fieldname, text)
    if len(ids) >= CACHED_FROM:
        global _cached_postings
        with _LOCK:
            if key not in _POSTINGS:
                _POSTINGS[key] = array("I", ids), array("f", weights)
                _cached_postings += len(ids)
            while _cached_postings > CACHED_POSTINGS and len(_POSTINGS) > 1:
                _cached_postings -= len(_POSTINGS.popitem(last=False)[1][0])
    return ids, weights


def _read(reader: IndexReader, fieldname: str, text: str) -> tuple[list[int], list[float]]:
    """Read a term's postings from a segment."""
    try:
        m = reader.postings(fieldname, text)
    except TermNotFound:
        return [], []
    if isinstance(m, FilterMatcher):
        m = m.child
    ids: list[int] = []
    weights: list[float] = []
    if hasattr(m, "_read_data") and not getattr(m, "_byteids", True):
        # Whoosh 2.7 block postings: decode whole blocks in C, not posting by posting.
        while m.is_active():
            m._read_data()
            deltas, block_weights = m._data[0], m._data[1]
            ids.extend(accumulate(deltas))
            if block_weights is None or isinstance(block_weights, float):
                weights.extend([block_weights or 1.0] * len(deltas))
            else:
                weights.extend(block_weights)
            m._next_block()
    else:
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            m.next()
    return ids, weights


@dataclass
class Postings:
    """One key term in one field of one segment, with what BM25 needs to score it."""

    term: str
    offset: int
    ids: Sequence[int]
    weights: Sequence[float]
    norms: list[float]
    factor: float
    common: bool

    def find(self, docnums: Sequence[int]) -> list[tuple[int, int]]:
        """(docnum, index in this list) of the (global, sorted) docnums that are in it."""
        ids, offset = self.ids, self.offset
        lo = bisect_left(docnums, offset + ids[0])
        hi = bisect_right(docnums, offset + ids[-1])
        local = [d - offset for d in docnums[lo:hi]]
        if NARROW * len(local) > len(ids):  # many docnums: walk the list once
            wanted = set(local)
            return [(d + offset, i) for i, d in enumerate(ids) if d in wanted]
        found = []
        for d, i in zip(local, map(bisect_left, repeat(ids), local), strict=True):
            if ids[i] == d:
                found.append((d + offset, i))
        return found

    def score_at(self, i: int) -> float:
        """BM25 contribution of the i-th posting."""
        w = self.weights[i]
        return self.factor * w / (w + self.norms[self.ids[i]])


def read_postings(searcher: Searcher, terms: Sequence[KeyTerm], tuning: Tuning) -> list[Postings]:
    """The postings of the key terms in the boosted fields of every segment."""
    out: list[Postings] = []
    k1, b = tuning.k1, tuning.b
    n_docs = searcher.doc_count_all()
    for fieldname, boost in tuning.boosts.items():
        if not boost or fieldname not in searcher.schema:
            continue
        avg = searcher.avg_field_length(fieldname) or 1.0
        # postings hold tf x the field's index-time boost: scale the length norm to match
        fb = getattr(searcher.schema[fieldname].format, "field_boost", 1.0) or 1.0
        base, slope = fb * k1 * (1 - b), fb * k1 * b / avg
        for term in terms:
            factor = boost * term.weight * (k1 + 1)
            found = []
            for leaf, offset in searcher.leaf_searchers():
                reader = leaf.reader()
                ids, weights = decode(reader, fieldname, term.text)
                if ids:
                    norms = _norms(reader, fieldname, base, slope)
                    found.append(Postings(term.text, offset, ids, weights, norms, factor, False))
            common = sum(len(p.ids) for p in found) > tuning.common_df_ratio * n_docs
            for p in found:
                p.common = common
            out.extend(found)
    return out


def first_pass(postings: Iterable[Postings], *, common: bool = False) -> dict[int, float]:
    """BM25 of the rare terms (all terms with common), by docnum, for every document with one."""
    acc: dict[int, float] = {}
    get = acc.get
    for p in postings:
        if p.common and not common:
            continue
        c, norms, offset = p.factor, p.norms, p.offset
        for d, w in zip(p.ids, p.weights, strict=True):
            g = d + offset
            acc[g] = get(g, 0.0) + c * w / (w + norms[d])
    return acc
