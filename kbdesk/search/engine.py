"""Search core: one Whoosh index for articles, config notes and tickets (no Flask here).

Whoosh stores the index (segments, postings, stored fields, statistics); the query work
is done here, because Whoosh's own matchers walk every matching document in Python and
took 50-150 ms for common words at 100,000 documents. Instead:

* Every term, visibility rule, filter and facet value becomes a set of document numbers
  held in a Python int used as a bitmap. AND, OR, NOT, the visibility rule, the exact
  total and every facet count are then a few big-int operations done in C.
* Ranking is Whoosh's BM25F formula (same statistics, same quantised field lengths, so
  the same scores), computed from cached posting arrays: by binary search for a few
  candidates, and with C-level maps over per-document arrays for many.
* Everything read from a segment is cached per segment. Segments never change (only
  their deletions, which the live bitmap handles), so the caches survive the searcher
  refreshes that follow every commit.
"""

from __future__ import annotations

import heapq
import os
import re
import shutil
import tempfile
import threading
import time
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import accumulate, compress, repeat
from operator import add, ge, lshift, or_

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from whoosh import index as windex
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import bm25
from whoosh.util.numeric import byte_to_length, length_to_byte

from .analysis import _WORD_RE, highlight, normalize, parse_query
from .schema import FACET_FIELDS, FILTER_FIELDS, Codec, LengthsReader, build_schema, to_fields

INDEX_NAME = "MAIN"
PUBLIC_FIELDS = ("title", "body")
STAFF_FIELDS = ("title", "body", "internal")
TEXT_FIELDS = frozenset(STAFF_FIELDS)
MAX_LIMIT = 200
FEW_RESULTS = 3  # fewer results than this: look for a spelling correction
DENSE_FROM = 1000  # candidates from which per-document arrays beat binary search (measured)
PRUNE_FROM = 4000  # candidates from which bounding scores first pays off (measured)
FACET_VALUES = 20  # values returned per facet field
POSTINGS_BYTES = 32 << 20  # cached posting lists and bitmaps, per segment
DENSE_BYTES = 16 << 20  # cached per-document score inputs, per segment
VIEW_BYTES = 16 << 20  # whole-index bitmaps and arrays combined from several segments
K1, B = 1.2, 0.75  # Whoosh's BM25F defaults, which the searcher also uses

# Rebuild writer, measured on 2 cores with bench/search.py: two worker processes, each
# writing its own segment (no final merge, which cost more than it saved at query time),
# with pools big enough not to spill 50,000 documents to disk (about 650 MB each).
REBUILD_PROCS = 2
REBUILD_LIMITMB = 384
WRITE_TIMEOUT = 60.0  # seconds to wait for another writer's lock


# -- Public value types ---------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who is searching: staff see everything, a customer user only what is theirs."""

    staff: bool
    customer: str | None = None


@dataclass
class Hit:
    """One result; the caller loads the object by (kind, obj_id)."""

    docid: str
    kind: str
    obj_id: int | str
    score: float
    title: str
    snippet_html: str
    title_html: str = ""


@dataclass
class SearchResult:
    """A page of results with the exact total, facet counts and spelling help."""

    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    did_you_mean: str | None = None
    corrected: bool = False
    mode: str = "and"  # "or" when no document had every word


@dataclass(frozen=True)
class IndexProblem:
    """Why the index cannot be used: state is "missing" or "corrupt"."""

    state: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.state} ({self.detail})" if self.detail else self.state


class SearchUnavailable(RuntimeError):
    """The index is missing or corrupt (`problem` says which); rebuild it."""

    def __init__(self, problem: IndexProblem):
        super().__init__(f"search index {problem}")
        self.problem = problem


# -- Bitmaps and posting lists ---------------------------------------------------------

_ONE = re.compile("1")
_FLAGS = str.maketrans("01", "\x00\x01")
_TO_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _ids_to_mask(ids) -> int:
    """Sorted document numbers -> bitmap int."""
    if not len(ids):
        return 0
    if len(ids) * 16 > ids[-1]:
        # Many: one flag byte each, set in C, then read "0101..." as a base-2 int.
        flags = bytearray(ids[-1] + 1)
        any(map(flags.__setitem__, ids, repeat(1)))
        return int(flags.translate(_TO_DIGITS)[::-1], 2)
    buf = bytearray((ids[-1] >> 3) + 1)
    for d in ids:
        buf[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buf, "little")


def _mask_to_ids(mask: int) -> list[int]:
    """Bitmap int -> sorted document numbers, scanning its binary string in C."""
    bits = bin(mask)[:1:-1]  # character i is document i
    if mask.bit_count() * 4 > len(bits):
        return list(compress(range(len(bits)), bits.translate(_FLAGS).encode()))
    return [m.start() for m in _ONE.finditer(bits)]


def _weight_bytes(weights) -> bytes:
    # Frequency x field boost: whole numbers; BM25 has saturated long before 255.
    return bytes(map(min, map(int, weights), repeat(255)))


def _blocks(m):
    """(ids, weight bytes) of a posting list, block by block (deleted documents too)."""
    if isinstance(m, FilterMatcher):
        m = m.child  # deletions are applied through the live bitmap instead
    if isinstance(m, W3LeafMatcher) and not m._byteids:
        # Whole blocks decoded in C: several times faster than id()/next() per
        # posting. Relies on whoosh-reloaded 2.7 internals (the tests cover them).
        while not m._atend:
            if m._data is None:
                m._read_data()
            ids = list(accumulate(m._data[0]))
            weights = m._data[1]  # None: all 1; a float: all the same; else an array
            if weights is None or isinstance(weights, float):
                yield ids, bytes((min(int(weights or 1), 255),)) * len(ids)
            else:
                yield ids, _weight_bytes(weights)
            m._next_block()
        return
    ids, weights = [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    yield ids, _weight_bytes(weights)


class _Postings:
    """One term of one segment: bitmap; for text fields also ids and weights (<= 255)."""

    __slots__ = ("mask", "ids", "weights")

    def __init__(self, leaf, fieldname: str, text: str, scored: bool):
        ids, weights = array("I"), bytearray()
        try:
            for block_ids, block_weights in _blocks(leaf.postings(fieldname, text)):
                ids.extend(block_ids)
                if scored:
                    weights += block_weights
        except TermNotFound:
            pass
        self.mask = _ids_to_mask(ids)
        self.ids = ids if scored else None
        self.weights = bytes(weights)

    def nbytes(self) -> int:
        return (self.mask.bit_length() >> 3) + (5 * len(self.ids) if self.ids is not None else 0)


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


def _field_lengths(leaf, fieldname: str) -> bytes:
    """One length byte per document of a segment (Whoosh's own quantised lengths)."""
    perdoc = getattr(leaf, "_perdoc", None)
    if isinstance(perdoc, LengthsReader):
        return perdoc.length_bytes(fieldname)
    return bytes(length_to_byte(leaf.doc_field_length(d, fieldname, 0) or 0)
                 for d in range(leaf.doc_count_all()))


# -- Caches ---------------------------------------------------------------------------


class _LRU:
    """A thread-safe least-recently-used cache with a byte budget."""

    def __init__(self, budget: int, size: Callable[[object], int]):
        self.budget, self.size, self.used = budget, size, 0
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key, make: Callable[[], object]):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
                return value
        value = make()  # outside the lock: two threads may both build it, harmlessly
        with self.lock:
            if key not in self.items:
                self.items[key] = value
                self.used += self.size(value)
                while self.used > self.budget and len(self.items) > 1:
                    self.used -= self.size(self.items.popitem(last=False)[1])
        return value


def _nbytes(value) -> int:
    if isinstance(value, int):
        return value.bit_length() >> 3
    if isinstance(value, array):
        return value.itemsize * len(value)
    return len(value)


class _SegmentCache:
    """What one immutable segment yields: postings, score inputs, vocabulary."""

    def __init__(self):
        self.postings = _LRU(POSTINGS_BYTES, _Postings.nbytes)
        self.dense = _LRU(DENSE_BYTES, _nbytes)
        self.vocab: frozenset[str] | None = None

    def get(self, leaf, fieldname: str, text: str) -> _Postings:
        return self.postings.get((fieldname, text), lambda: _Postings(
            leaf, fieldname, text, scored=fieldname in TEXT_FIELDS))

    def keys(self, leaf, fieldname: str, text: str) -> array:
        """Per document: weight << 8 | length byte of (field, term), 0 where absent.

        The two numbers BM25 needs, in one array lookup per document."""
        def make():
            p = self.get(leaf, fieldname, text)
            lengths = _field_lengths(leaf, fieldname)
            out = array("H", bytes(2 * leaf.doc_count_all()))
            keys = map(or_, map(lshift, p.weights, repeat(8)), map(lengths.__getitem__, p.ids))
            any(map(out.__setitem__, p.ids, keys))  # a scatter, in C
            return out

        return self.dense.get((fieldname, text), make)


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
        key = viewer.customer or ""
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


# -- The engine -----------------------------------------------------------------------


class SearchEngine:
    """The search index at `path` (None: in memory, for tests).

    One instance per process. Searches may run on many threads (they take turns on the
    open searcher); writes (apply, rebuild) belong to one writer at a time.
    """

    def __init__(self, path: str | None):
        self.path = os.path.abspath(path) if path else None
        self._ram: RamStorage | None = RamStorage() if path is None else None
        self._view: _View | None = None
        self._view_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._segcaches: dict[str, _SegmentCache] = {}
        self._checked: tuple[object, IndexProblem | None] = (None, None)

    # Storage and health.

    def _storage(self):
        if self._ram is not None:
            return self._ram
        # No mmap: Whoosh copies every memory-mapped segment part into a BytesIO when a
        # reader opens it (measured: +180 MB and +60 ms per refresh at 100,000 documents).
        return FileStorage(self.path, supports_mmap=False)

    def _fingerprint(self):
        """Names, sizes and times of the index files: changes whenever the index does."""
        if self._ram is not None:
            return id(self._ram), tuple(sorted((n, len(b)) for n, b in self._ram.files.items()))
        out = []
        with os.scandir(self.path) as entries:
            for e in entries:
                if not e.name.endswith("LOCK"):
                    st = e.stat()
                    out.append((e.name, st.st_size, st.st_mtime_ns, st.st_ino))
        return tuple(sorted(out))

    def exists(self) -> bool:
        """True when an index (possibly empty) is present."""
        if self._ram is None and not os.path.isdir(self.path):
            return False
        return windex.exists(self._storage(), INDEX_NAME)

    def create(self) -> None:
        """Create an empty index (replacing whatever is there)."""
        with self._write_lock:
            if self._ram is not None:
                self._ram = RamStorage()
            else:
                os.makedirs(self.path, exist_ok=True)
            self._storage().create_index(build_schema(), indexname=INDEX_NAME)
        self._drop_view()

    def check(self) -> IndexProblem | None:
        """None when the index is usable, else why not ("missing" or "corrupt"); never raises.

        Cheap when nothing changed (one directory scan), so callers may ask before
        every search; a changed file (truncated, deleted, new commit) is probed again.
        """
        if self._ram is None and not os.path.isdir(self.path):
            return IndexProblem("missing", f"no index directory at {self.path}")
        try:
            fingerprint = self._fingerprint()
        except OSError as exc:
            return IndexProblem("missing", f"{type(exc).__name__}: {exc}")
        seen, problem = self._checked
        if seen == fingerprint:
            return problem
        for _ in range(3):
            problem = self._probe()
            # A commit in another process may delete files while we read: only a
            # failure on an unchanged directory counts.
            now = self._fingerprint_or_none()
            if problem is None or now == fingerprint:
                break
            fingerprint = now
        self._checked = (fingerprint, problem)
        return problem

    def _fingerprint_or_none(self):
        try:
            return self._fingerprint()
        except OSError:
            return None

    def _probe(self) -> IndexProblem | None:
        try:
            storage = self._storage()
            if not windex.exists(storage, INDEX_NAME):
                return IndexProblem("missing", "no table of contents (_MAIN_*.toc)")
        except Exception as exc:
            return IndexProblem("missing", f"{type(exc).__name__}: {exc}")
        try:
            ix = storage.open_index(INDEX_NAME)
            missing = set(build_schema().names()) - set(ix.schema.names())
            if missing:
                return IndexProblem("corrupt", f"old schema without {sorted(missing)}")
            with ix.reader() as reader:
                for leaf, _ in reader.leaf_readers():
                    _probe_segment(leaf)
        except Exception as exc:
            return IndexProblem("corrupt", f"{type(exc).__name__}: {exc}")
        return None

    def _open(self):
        try:
            return self._storage().open_index(INDEX_NAME)
        except Exception as exc:
            problem = self.check() or IndexProblem("corrupt", f"{type(exc).__name__}: {exc}")
            raise SearchUnavailable(problem) from exc

    # Writing.

    def apply(self, upserts: list[dict], deletes: list[str]) -> None:
        """Add/replace and delete documents in one commit (the single writer's job)."""
        docs = [to_fields(d) for d in upserts or ()]  # validate everything before writing
        deletes = [str(d) for d in deletes or ()]
        if not docs and not deletes:
            return
        with self._write_lock:
            ix = self._open()
            writer = ix.writer(timeout=WRITE_TIMEOUT, codec=Codec())
            try:
                for fields in docs:
                    writer.update_document(**fields)
                for docid in deletes:  # after the upserts: a docid in both ends up deleted
                    writer.delete_by_term("docid", docid)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        self._drop_view()

    def rebuild(self, docs: Iterable[dict], progress: Callable[[int], None] | None = None) -> int:
        """Build a fresh index from `docs` beside the live one, then swap it in atomically.

        Files are written to a temporary directory next to `path` (same file system).
        Returns the number of documents indexed.
        """
        if self._ram is not None:
            storage = RamStorage()
            ix = storage.create_index(build_schema(), indexname=INDEX_NAME)
            count = _write_all(ix, docs, progress, procs=1)  # no subprocesses for RAM
            with self._write_lock:
                self._ram = storage
            self._drop_view()
            return count
        parent = os.path.dirname(self.path)
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(self.path)}.rebuild-", dir=parent)
        os.chmod(tmp, 0o755)  # it may become the index directory: not owner-only
        try:
            ix = FileStorage(tmp, supports_mmap=False).create_index(build_schema(),
                                                                    indexname=INDEX_NAME)
            count = _write_all(ix, docs, progress, procs=REBUILD_PROCS)
            with self._write_lock:
                self._swap_in(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self._drop_view()
        return count

    def _swap_in(self, tmp: str) -> None:
        # A healthy live index gets the new segments and then a new table of contents,
        # under its write lock: readers see the old index or the new one, never a mix.
        if self._probe() is not None:  # missing or corrupt: replace the directory
            old = None
            if os.path.exists(self.path):
                old = tempfile.mkdtemp(prefix=f".{os.path.basename(self.path)}.old-",
                                       dir=os.path.dirname(self.path))
                os.rename(self.path, os.path.join(old, "index"))
            os.rename(tmp, self.path)
            if old:
                shutil.rmtree(old, ignore_errors=True)
            return
        live = self._storage()
        ix = live.open_index(INDEX_NAME)
        lock = ix.lock("WRITELOCK")
        _acquire(lock)
        try:
            new = windex.TOC.read(FileStorage(tmp, supports_mmap=False), INDEX_NAME)
            segids = {s.segment_id() for s in new.segments}
            for name in os.listdir(tmp):
                if name.split(".", 1)[0] in segids:
                    os.replace(os.path.join(tmp, name), os.path.join(self.path, name))
            gen = ix.latest_generation() + 1
            windex.TOC(new.schema, new.segments, gen).write(live, INDEX_NAME)
            windex.clean_files(live, INDEX_NAME, gen, new.segments)
        finally:
            lock.release()

    # Reading.

    def _drop_view(self):
        with self._view_lock:
            self._view = None  # its searcher closes when the last search using it ends

    def _current_view(self) -> _View:
        with self._view_lock:
            view = self._view
            try:
                key = self._view_key()
            except OSError as exc:
                raise SearchUnavailable(IndexProblem("missing", str(exc))) from exc
            if view is not None and view.key == key:
                return view
            for attempt in range(3):
                try:
                    view = _View(self._open(), self._segcaches)
                    break
                except Exception as exc:
                    # Another process may have committed (and deleted files) meanwhile.
                    if attempt == 2 or self._view_key_or_none() == key:
                        if isinstance(exc, SearchUnavailable):
                            raise
                        problem = IndexProblem("corrupt", f"{type(exc).__name__}: {exc}")
                        raise SearchUnavailable(problem) from exc
                    key = self._view_key_or_none()
            view.key = key
            current = {segid for segid, *_ in view.leaves}
            for segid in list(self._segcaches):
                if segid not in current:
                    del self._segcaches[segid]
            self._view = view
            return view

    def _view_key(self):
        # The newest table of contents identifies an index state: its generation,
        # plus inode and time so a directory rebuilt from scratch is not taken for
        # the old one with the same generation.
        storage = self._storage()
        gen = windex.TOC._latest_generation(storage, INDEX_NAME)
        if self._ram is not None:
            return id(self._ram), gen
        st = os.stat(os.path.join(self.path, windex.TOC._filename(INDEX_NAME, gen)))
        return gen, st.st_ino, st.st_mtime_ns

    def _view_key_or_none(self):
        try:
            return self._view_key()
        except OSError:
            return None

    def refresh(self) -> None:
        """Forget the open searcher; the next search opens the latest index state."""
        self._drop_view()

    def doc_count(self) -> int:
        """Number of live documents."""
        return self._current_view().live.bit_count()

    def doc_versions(self) -> dict[str, int]:
        """docid -> `updated` (epoch seconds) of every live document, for drift checks."""
        view = self._current_view()
        out: dict[str, int] = {}
        with view.lock:
            for _, leaf, _, n, _ in view.leaves:
                deleted = leaf.segment().deleted_docs() if leaf.has_deletions() else ()
                deleted = set(deleted)
                docids = leaf.column_reader("docid")
                updated = leaf.column_reader("updated")
                for d in range(n):
                    if d not in deleted:
                        out[docids[d]] = int(updated[d])
        return out

    def search(self, query: str, *, viewer: Viewer, filters: dict | None = None,
               limit: int = 20, offset: int = 0, facets: bool = True) -> SearchResult:
        """Search what `viewer` may see: every word first, then any word; typo help.

        Never raises for odd query strings; raises ValueError for an unknown filter
        name and SearchUnavailable when the index is missing or corrupt.
        """
        limit = max(0, min(int(limit), MAX_LIMIT))
        offset = max(0, int(offset))
        parsed = parse_query(query)
        words, fields = parsed.words, _fields(viewer)
        out = SearchResult()
        view = self._current_view()
        with view.lock:
            allowed = view.visible(viewer)
            fmask = view.filter_mask(filters or {})
            if fmask is not None:
                allowed &= fmask
            for term in parsed.exclude:
                allowed &= ~view.term_mask(term, fields)
            cand = self._match(view, words, parsed.any_mode, allowed, fields)
            out.mode = "or" if parsed.any_mode else "and"
            fixed = None
            if cand.bit_count() < FEW_RESULTS and words:
                fixed = self._correct(view, words, allowed)
            if fixed:
                better = self._match(view, fixed, parsed.any_mode, allowed, fields)
                if better.bit_count() > cand.bit_count():
                    out.did_you_mean = " ".join(w for _, w in fixed)
                    if not cand:  # nothing found as typed: show the corrected search
                        cand, words, out.corrected = better, fixed, True
            if not cand and len(words) > 1 and not parsed.any_mode:
                # No document has every word: rank the ones with any of them.
                cand = self._match(view, words, True, allowed, fields)
                out.mode = "or"
            out.total = cand.bit_count()
            if out.total and facets:
                out.facets = view.facets(cand)
            if out.total and limit and offset < out.total:
                top = view.top(words, fields, cand, offset + limit)[offset:]
                termset = {t for t, _ in words}
                out.hits = [_hit(view.stored(d), score, termset) for score, d in top]
        return out

    @staticmethod
    def _match(view: _View, words, any_mode: bool, allowed: int, fields) -> int:
        """Bitmap of allowed documents with every word (any word if any_mode)."""
        if not words or not allowed:
            return 0
        if any_mode:
            found = 0
            for term, _ in words:
                found |= view.term_mask(term, fields)
            return found & allowed
        found = allowed
        for term, _ in words:
            found &= view.term_mask(term, fields)
            if not found:
                break
        return found

    def _correct(self, view: _View, words, allowed: int):
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


# -- Helpers --------------------------------------------------------------------------


def _fields(viewer: Viewer) -> tuple[str, ...]:
    # Customers never search internal notes: the field is not even in their query.
    return STAFF_FIELDS if viewer.staff else PUBLIC_FIELDS


def _hit(stored: dict, score: float, termset: set[str]) -> Hit:
    title = stored.get("title") or ""
    body = stored.get("body") or ""
    snippet = highlight(body, termset)
    if "<mark>" not in snippet and "<mark>" in (t := highlight(title, termset)):
        snippet = t
    return Hit(docid=stored["docid"], kind=stored.get("kind", ""), obj_id=stored.get("obj_id"),
               score=float(score), title=title, snippet_html=snippet,
               title_html=highlight(title, termset, width=10_000))


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


def _write_all(ix, docs: Iterable[dict], progress, procs: int) -> int:
    kwargs = {"limitmb": REBUILD_LIMITMB, "codec": Codec()}
    if procs > 1:
        kwargs.update(procs=procs, multisegment=True,
                      subargs={"limitmb": REBUILD_LIMITMB, "codec": Codec()})
    writer = ix.writer(**kwargs)
    count = 0
    try:
        for doc in docs:
            writer.add_document(**to_fields(doc))
            count += 1
            if progress and count % 1000 == 0:
                progress(count)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    if progress:
        progress(count)
    return count


def _acquire(lock, timeout: float = WRITE_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not lock.acquire(blocking=False):
        if time.monotonic() > deadline:
            raise TimeoutError("the search index is locked by another writer")
        time.sleep(0.05)


def _probe_segment(leaf) -> None:
    """Read a little of every part of a segment, so that damaged files raise here."""
    n = leaf.doc_count_all()
    if n:
        leaf.stored_fields(0)
        leaf.stored_fields(n - 1)
        leaf.column_reader("updated")[n - 1]
        leaf.column_reader("docid")[n - 1]
        leaf.doc_field_length(n - 1, "body")
    for i, term in enumerate(leaf.field_terms("title")):
        _Postings(leaf, "title", term, scored=True)
        if i == 5:
            break
