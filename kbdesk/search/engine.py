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

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager

from whoosh import index as windex
from whoosh.filedb.filestore import FileStorage, RamStorage

from .analysis import ANALYSIS_VERSION, parse_query
from .postings import PUBLIC_FIELDS, STAFF_FIELDS, _probe_segment, _SegmentCache
from .results import Hit, IndexProblem, SearchResult, SearchUnavailable, Viewer, _hit
from .schema import Codec, build_schema, to_fields
from .spelling import FEW_RESULTS, _correct
from .view import _View
from .writing import WRITE_TIMEOUT, _acquire, _write_all

# The public names, importable from here as before (they live in results.py).
__all__ = ["Hit", "IndexProblem", "SearchEngine", "SearchResult", "SearchUnavailable", "Viewer"]

INDEX_NAME = "MAIN"
MAX_LIMIT = 200

# Rebuild writer, measured on 2 cores with bench/search.py at 100,000 documents: two
# worker processes, each writing its own segment (no final merge), with a pool big
# enough not to spill to disk (spilling cost ~70% more CPU). Each worker then holds
# ~625 MB; lower REBUILD_LIMITMB on small servers (slower, same result).
REBUILD_PROCS = 2
REBUILD_LIMITMB = 640


# -- The engine -----------------------------------------------------------------------


class SearchEngine:
    """The search index at `path` (None: in memory, for tests).

    One instance per process. Searches may run on many threads (they take turns on the
    open searcher); writes (apply, rebuild) belong to one writer at a time.
    """

    def __init__(self, path: str | None, *, rebuild_procs: int | None = None,
                 rebuild_limitmb: int | None = None):
        self.path = os.path.abspath(path) if path else None
        self.rebuild_procs = rebuild_procs  # None: REBUILD_PROCS
        self.rebuild_limitmb = rebuild_limitmb  # None: REBUILD_LIMITMB
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
            version = getattr(ix.schema["title"].analyzer, "version", None)
            if version != ANALYSIS_VERSION:
                return IndexProblem("corrupt", f"built with text analysis {version}, "
                                               f"this code uses {ANALYSIS_VERSION}")
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
            count = _write_all(ix, docs, progress, 1, self.rebuild_limitmb or REBUILD_LIMITMB)
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
            count = _write_all(ix, docs, progress, self.rebuild_procs or REBUILD_PROCS,
                               self.rebuild_limitmb or REBUILD_LIMITMB)
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

    @contextmanager
    def searching(self):
        """The current Whoosh searcher, held (and locked) for one read such as matching."""
        view = self._current_view()
        with view.lock:
            yield view.searcher

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
                fixed = _correct(view, words, allowed)
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


# -- Helpers --------------------------------------------------------------------------


def _fields(viewer: Viewer) -> tuple[str, ...]:
    # Customers never search internal notes: the field is not even in their query.
    return STAFF_FIELDS if viewer.staff else PUBLIC_FIELDS
