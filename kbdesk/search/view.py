"""An open searcher and its caches: masks, visibility, filters, facets, vocabulary, ranking."""

from __future__ import annotations

import heapq
import threading
from array import array
from bisect import bisect_left
from itertools import compress, repeat
from operator import add, ge

from whoosh.reading import TermNotFound
from whoosh.scoring import bm25
from whoosh.util.numeric import byte_to_length, length_to_byte

from .bitmaps import _ids_to_mask, _mask_to_ids
from .postings import _LRU, PUBLIC_FIELDS, _field_lengths, _nbytes, _SegmentCache
from .results import Viewer
from .schema import FACET_FIELDS, FILTER_FIELDS

# Ranking strategies by candidate count. Binary search in posting arrays costs ~1.5 us
# a candidate per (field, term); a per-document array is ~4x faster once built, but
# building one costs ~2 ms: from 1,000 candidates it pays for itself at once.
DENSE_FROM = 1000
PRUNE_FROM = 4000  # from here, bound scores first (see _View._prune); below, it saves little
FACET_VALUES = 20  # values returned per facet field
# Cache budget (bytes); the per-segment ones are in postings.py.
VIEW_BYTES = 12 << 20  # whole-index bitmaps and arrays combined from several segments
K1, B = 1.2, 0.75  # Whoosh's BM25F defaults, which the searcher also uses


class _ScoreTable(dict):
    """(weight << 8 | length byte) -> BM25 score for one (field, term), memoised.

    Whoosh's BM25F: the same idf and average length from the searcher, the same
    quantised document lengths, so scores equal Whoosh's own."""

    def __init__(self, idf: float, avgfl: float):
        super().__init__()
        self.idf = idf
        self.avgfl = avgfl or 1.0

    def __missing__(self, key):
        weight, lbyte = key >> 8, key & 255
        score = bm25(self.idf, weight, byte_to_length(lbyte) if lbyte else 1,
                     self.avgfl, B, K1) if weight else 0.0
        self[key] = score
        return score


# -- An open searcher with its caches --------------------------------------------------


class _View:
    """One open Whoosh searcher and what is derived from it; replaced on refresh."""

    def __init__(self, ix, segcaches: dict[str, _SegmentCache]):
        self.key = None
        self.searcher = ix.searcher()
        self.lock = threading.RLock()  # Whoosh readers seek shared files: one search at a time
        self.leaves = []  # (segment id, reader, first docnum, doc count, cache)
        live = 0
        for leaf, offset in self.searcher.reader().leaf_readers():
            n = leaf.doc_count_all()
            if not n:
                continue
            segment = leaf.segment()
            seg_live = (1 << n) - 1
            if leaf.has_deletions():
                seg_live &= ~_ids_to_mask(sorted(segment.deleted_docs()))
            live |= seg_live << offset
            cache = segcaches.setdefault(segment.segment_id(), _SegmentCache())
            self.leaves.append((segment.segment_id(), leaf, offset, n, cache))
        self.live = live
        self._combined = _LRU(VIEW_BYTES, _nbytes)
        self._visible: dict[str, int] = {}
        self._facets: dict[str, list[tuple[str, int, int]]] = {}
        self._vocab: list[str] | None = None

    # Bitmaps over the whole index (global document numbers).

    def mask(self, fieldname: str, text: str) -> int:
        """Documents with `text` in `fieldname` (deleted ones too: AND with live/visible)."""
        if len(self.leaves) == 1:
            _, leaf, _, _, cache = self.leaves[0]
            return cache.get(leaf, fieldname, text).mask

        def combine():
            m = 0
            for _, leaf, offset, _, cache in self.leaves:
                m |= cache.get(leaf, fieldname, text).mask << offset
            return m

        return self._combined.get(("mask", fieldname, text), combine)

    def term_mask(self, term: str, fields: tuple[str, ...]) -> int:
        """Documents with `term` in any of `fields`."""
        m = 0
        for f in fields:
            m |= self.mask(f, term)
        return m

    def visible(self, viewer: Viewer) -> int:
        """Live documents the viewer may see (cached per customer)."""
        if viewer.staff:
            return self.live
        key = str(viewer.customer or "")
        v = self._visible.get(key)
        if v is None:
            published = self.mask("kind", "article") & self.mask("status", "published")
            v = published & self.mask("visibility", "public")
            if key:
                own = self.mask("customer", key)
                v |= published & self.mask("visibility", "customer") & own
                v |= self.mask("kind", "ticket") & own
            v &= self.live
            self._visible[key] = v
        return v

    def filter_mask(self, filters: dict) -> int | None:
        """Bitmap of the filters (values of one field OR-ed, fields AND-ed), None if none."""
        result = None
        for name, value in (filters or {}).items():
            fieldname = "tags" if name in ("tag", "tags") else name
            if fieldname not in FILTER_FIELDS:
                raise ValueError(f"unknown search filter {name!r}")
            values = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
            values = [str(v).lower() if fieldname == "tags" else str(v)
                      for v in values if v is not None and v != ""]
            if values:
                m = 0
                for v in values:
                    m |= self.mask(fieldname, v)
                result = m if result is None else result & m
        return result

    def facet_values(self, fieldname: str) -> list[tuple[str, int, int]]:
        """(value, bitmap, live document count) of a facet field, most frequent first."""
        values = self._facets.get(fieldname)
        if values is None:
            names: set[str] = set()
            for _, leaf, _, _, _ in self.leaves:
                names.update(leaf.field_terms(fieldname))
            values = []
            for name in names:
                mask = self.mask(fieldname, name) & self.live
                values.append((name, mask, mask.bit_count()))
            values.sort(key=lambda v: (-v[2], v[0]))
            self._facets[fieldname] = values
        return values

    def facets(self, result: int) -> dict[str, list[tuple[str, int]]]:
        """The most frequent values of each facet field among the result documents."""
        out = {}
        for fieldname in FACET_FIELDS:
            best: list[tuple[int, str]] = []  # min-heap of the top counts so far
            for value, mask, df in self.facet_values(fieldname):
                if len(best) == FACET_VALUES and df <= best[0][0]:
                    break  # values come by falling frequency: none left can get in
                count = (result & mask).bit_count()
                if not count:
                    continue
                if len(best) < FACET_VALUES:
                    heapq.heappush(best, (count, value))
                elif count > best[0][0]:
                    heapq.heapreplace(best, (count, value))
            out[fieldname] = sorted(((v, c) for c, v in best), key=lambda vc: (-vc[1], vc[0]))
        return out

    def vocabulary(self) -> list[str]:
        """Title and body terms, for spelling correction (visibility is checked per word)."""
        if self._vocab is None:
            words: set[str] = set()
            for _, leaf, _, _, cache in self.leaves:
                if cache.vocab is None:
                    seg: set[str] = set()
                    for f in PUBLIC_FIELDS:
                        seg.update(t for t in leaf.field_terms(f) if len(t) > 2 and t.isalpha())
                    cache.vocab = frozenset(seg)
                words |= cache.vocab
            self._vocab = sorted(words)
        return self._vocab

    # Ranking.

    def _tables(self, words, fields, candidates: int) -> list[tuple[str, str, _ScoreTable]]:
        out = []
        for term, _ in words:
            for fieldname in fields:
                if self.mask(fieldname, term) & candidates:
                    out.append((fieldname, term, _ScoreTable(
                        self.searcher.idf(fieldname, term),
                        self.searcher.avg_field_length(fieldname, 1.0))))
        return out

    def top(self, words, fields, candidates: int, n: int) -> list[tuple[float, int]]:
        """The n best (score, docnum) among the candidate bitmap, best first."""
        tables = self._tables(words, fields, candidates)
        if candidates.bit_count() >= PRUNE_FROM and len(tables) > 1:
            candidates = self._prune(tables, candidates, n)
        ids = _mask_to_ids(candidates)
        scores = self._scores(ids, tables, candidates)
        # The n-th best score (a heap of floats is cheap), then sort only the documents
        # reaching it; ties go to the lower document number.
        floor = heapq.nlargest(n, scores)[-1]
        best = [(scores[i], -ids[i])
                for i in compress(range(len(ids)), map(ge, scores, repeat(floor)))]
        return [(s, -negd) for s, negd in sorted(best, reverse=True)[:n]]

    def _prune(self, tables, candidates: int, n: int) -> int:
        """Drop candidates that cannot reach the top n (MaxScore, exact).

        Score the documents of the (field, term) with the highest possible score first;
        their n-th best is a floor. A document found only in (field, term)s whose best
        possible scores add up to less than that floor cannot make the top n. For common
        words this leaves the documents with the word in the title: a fraction of them.
        """
        bounds = sorted((self._bound(f, t, table), f, t) for f, t, table in tables)
        seed = candidates & self.mask(bounds[-1][1], bounds[-1][2])
        if seed.bit_count() < n:
            return candidates
        ids = _mask_to_ids(seed)
        floor = heapq.nlargest(n, self._scores(ids, tables, seed))[-1]
        needed, running = 0, 0.0
        for bound, fieldname, term in bounds:
            running += bound
            if running >= floor:
                needed |= self.mask(fieldname, term)
        return candidates & needed

    def _bound(self, fieldname: str, term: str, table: _ScoreTable) -> float:
        """A score no document gets from (field, term): from the highest weight and the
        shortest length Whoosh records for the term, so it costs no posting reads."""
        best = 0.0
        for _, leaf, _, _, _ in self.leaves:
            try:
                info = leaf.term_info(fieldname, term)
            except TermNotFound:
                continue
            # Scores use lengths rounded through a byte: bound with the smaller of the two.
            shortest = info.min_length()
            shortest = min(shortest, byte_to_length(length_to_byte(shortest)))
            weight = min(int(info.max_weight()), 255)
            best = max(best, bm25(table.idf, weight, max(shortest, 1), table.avgfl, B, K1))
        return best

    def _scores(self, ids: list[int], tables, candidates: int) -> list[float]:
        if len(ids) < DENSE_FROM:
            return self._scores_by_search(ids, tables)
        return self._scores_by_arrays(ids, tables, candidates)

    def _scores_by_search(self, ids: list[int], tables) -> list[float]:
        # Few candidates: find each in the cached posting arrays by binary search.
        scores = [0.0] * len(ids)
        for _, leaf, offset, n, cache in self.leaves:
            lo, hi = bisect_left(ids, offset), bisect_left(ids, offset + n)
            if lo == hi:
                continue
            local = [d - offset for d in ids[lo:hi]]
            for fieldname, term, table in tables:
                p = cache.get(leaf, fieldname, term)
                pids, weights, last = p.ids, p.weights, len(p.ids)
                if not last:
                    continue
                lengths = _field_lengths(leaf, fieldname)
                for k, d, i in zip(range(lo, hi), local, map(bisect_left, repeat(pids), local),
                                   strict=True):
                    if i < last and pids[i] == d:
                        scores[k] += table[weights[i] << 8 | lengths[d]]
        return scores

    def _scores_by_arrays(self, ids: list[int], tables, candidates: int) -> list[float]:
        # Many candidates: per (field, term) one array of BM25 inputs per document, read
        # for all candidates with C-level maps. A (field, term) in few of them is added
        # where it occurs only.
        scores = [0.0] * len(ids)
        position = None
        for fieldname, term, table in tables:
            keys = self._keys(fieldname, term)
            present = self.mask(fieldname, term) & candidates
            if present.bit_count() * 8 > len(ids):
                scores = list(map(add, scores, map(table.__getitem__, map(keys.__getitem__, ids))))
                continue
            if position is None:
                position = dict(zip(ids, range(len(ids)), strict=True))
            some = _mask_to_ids(present)
            for i, s in zip(map(position.__getitem__, some),
                            map(table.__getitem__, map(keys.__getitem__, some)), strict=True):
                scores[i] += s
        return scores

    def _keys(self, fieldname: str, term: str) -> array:
        if len(self.leaves) == 1:
            _, leaf, _, _, cache = self.leaves[0]
            return cache.keys(leaf, fieldname, term)

        def combine():
            out = array("H")
            for _, leaf, _, _, cache in self.leaves:
                out += cache.keys(leaf, fieldname, term)
            return out

        return self._combined.get(("keys", fieldname, term), combine)

    def stored(self, docnum: int) -> dict:
        return self.searcher.stored_fields(docnum)
