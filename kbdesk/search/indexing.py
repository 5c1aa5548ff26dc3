"""Keeping the index derived from the database: registry, session events, the writer task.

Searchable models register here. Flushes record (model, id); after commit one task — the
only writer of the index — loads those rows and applies them in one batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from kbdesk.extensions import db, huey
from kbdesk.tasks import app_task


@dataclass
class Indexed:
    """How one model becomes index documents."""

    model: type
    kinds: tuple[str, ...]  # every document kind this model may produce
    docid: Callable[[object], str]
    document: Callable[[object], dict | None]  # None: the row is not searchable (now)
    url: Callable[[object], str]
    load_options: tuple = ()
    # Second check at read time, so a stale index never shows a row the actor may not see.
    visible: Callable[[object, object], bool] | None = None


REGISTRY: dict[str, Indexed] = {}


def register(model: type, *, kinds: tuple[str, ...], docid: Callable, document: Callable,
             url: Callable, load_options: tuple = (), visible: Callable | None = None) -> None:
    """Make a model searchable."""
    REGISTRY[model.__name__] = Indexed(model, kinds, docid, document, url, load_options, visible)


def spec_for_kind(kind: str) -> Indexed | None:
    """The registration that produces documents of this kind."""
    return next((s for s in REGISTRY.values() if kind in s.kinds), None)


def indexed_for(obj) -> Indexed | None:
    """The registration of an object's model, if any."""
    return REGISTRY.get(type(obj).__name__)


def mark_dirty(obj) -> None:
    """Reindex obj after commit (for changes in rows the model's document is built from)."""
    if indexed_for(obj) is not None and obj.id is not None:
        _pending(db.session()).add((type(obj).__name__, obj.id))


def _pending(session: Session) -> set:
    return session.info.setdefault("search_pending", set())


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, _flush_context) -> None:
    pending = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        if REGISTRY.get(type(obj).__name__) is None or getattr(obj, "id", None) is None:
            continue
        pending = pending if pending is not None else _pending(session)
        pending.add((type(obj).__name__, obj.id))
    if pending and not session.info.get("search_hooked"):
        session.info["search_hooked"] = True
        session.info.setdefault("after_commit", []).append((_enqueue, (session,), {}))


@event.listens_for(Session, "after_soft_rollback")
def _forget_changes(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop("search_pending", None)
        session.info.pop("search_hooked", None)


def _enqueue(session: Session) -> None:
    items = sorted(session.info.pop("search_pending", set()))
    session.info.pop("search_hooked", None)
    if items:
        apply_changes([list(i) for i in items])


def get_engine(app: Flask | None = None):
    """The app's search engine (one per app and index directory)."""
    from kbdesk.search.engine import SearchEngine

    app = app or current_app
    engine = app.extensions.get("kbdesk_search")
    if engine is None:
        engine = app.extensions["kbdesk_search"] = SearchEngine(app.config["SEARCH_INDEX_DIR"])
    return engine


def ensure_index(app: Flask) -> None:
    """Create an empty index if there is none (for `kbdesk init`)."""
    engine = get_engine(app)
    if not engine.exists():
        engine.create()


def documents_for(items: Iterable[tuple[str, int]]) -> tuple[list[dict], list[str]]:
    """Load rows and build (upserts, deletes) for a batch of (model name, id)."""
    by_model: dict[str, list[int]] = {}
    for name, obj_id in items:
        by_model.setdefault(name, []).append(int(obj_id))
    upserts: list[dict] = []
    deletes: list[str] = []
    for name, ids in by_model.items():
        spec = REGISTRY[name]
        rows = {o.id: o for o in db.session.scalars(
            select(spec.model).where(spec.model.id.in_(ids)).options(*spec.load_options))}
        for obj_id in ids:
            obj = rows.get(obj_id)
            doc = spec.document(obj) if obj is not None else None
            current = spec.docid(obj) if doc is not None else None
            deletes.extend(f"{k}:{obj_id}" for k in spec.kinds if f"{k}:{obj_id}" != current)
            if doc is not None:
                upserts.append(doc)
    return upserts, deletes


@app_task(retries=3, retry_delay=5)
def apply_changes(items: list[list]) -> None:
    """The index writer: apply one batch of changed rows."""
    upserts, deletes = documents_for((name, obj_id) for name, obj_id in items)
    with huey.lock_task("kbdesk-search-writer"):
        get_engine().apply(upserts, deletes)


def all_documents(batch: int = 500) -> Iterable[dict]:
    """Every searchable row as a document, streamed in batches from a session of its own."""
    with Session(db.engine) as session:
        for spec in REGISTRY.values():
            last = 0
            while True:
                rows = session.scalars(
                    select(spec.model).where(spec.model.id > last).order_by(spec.model.id)
                    .limit(batch).options(*spec.load_options)).all()
                if not rows:
                    break
                for obj in rows:
                    doc = spec.document(obj)
                    if doc is not None:
                        yield doc
                last = rows[-1].id
                session.expunge_all()  # keeps memory flat on big rebuilds


def count_rows() -> int:
    """How many rows the registered models hold (for progress bars)."""
    from sqlalchemy import func

    return sum(db.session.scalar(select(func.count()).select_from(s.model)) or 0
               for s in REGISTRY.values())


def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the database; returns the number of documents."""
    count = 0

    def docs():
        nonlocal count
        for doc in all_documents():
            count += 1
            yield doc

    with huey.lock_task("kbdesk-search-writer"):
        get_engine().rebuild(docs(), progress)
    return count


@app_task()
def rebuild_task() -> int:
    """Rebuild in the background (queued when the index is missing or corrupt)."""
    return rebuild()


def drift() -> dict[str, list[str]]:
    """Differences between the database and the index: missing, extra, stale docids."""
    from kbdesk.search.schema import to_fields

    expected = {}
    for doc in all_documents():
        fields = to_fields(doc)
        expected[fields["docid"]] = fields["updated"]
    actual = get_engine().doc_versions()
    return {
        "missing": sorted(set(expected) - set(actual)),
        "extra": sorted(set(actual) - set(expected)),
        "stale": sorted(d for d in set(expected) & set(actual) if expected[d] != actual[d]),
    }
