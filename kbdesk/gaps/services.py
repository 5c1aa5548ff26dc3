"""Gap rules: log searches and opened results, record tickets no article matched, dismiss gaps.

Logging is a side effect of searching: it runs in a SAVEPOINT and a failure is logged and
swallowed, so it can never break a search or the request around it. Services never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import has_request_context, request
from sqlalchemy import select

from kbdesk.accounts.permissions import require_staff
from kbdesk.db_types import utcnow
from kbdesk.errors import NotFound
from kbdesk.extensions import db
from kbdesk.gaps.models import CLICK_KINDS, SCOPES, GapDismissal, SearchLog
from kbdesk.gaps.normalise import normalise
from kbdesk.validation import Checker

log = logging.getLogger("kbdesk.gaps")
# Re-running the same search (a facet, a second look) within this time is one search.
REPEAT_WINDOW = timedelta(minutes=10)


@contextmanager
def savepoint() -> Iterator[None]:
    """A SAVEPOINT for side records: on error only they roll back, and the error propagates.

    (Releasing it does not run after-commit work early: kbdesk.tasks skips nested commits.)
    """
    nested = db.session.begin_nested()
    try:
        yield
    except Exception:
        nested.rollback()
        raise
    nested.commit()


def log_search(actor, scope: str, query: str, results: int) -> int | None:
    """Record one search; returns the log id, or None when nothing was (or could be) logged."""
    query = (query or "").strip()[:500]
    if not query or scope not in SCOPES:
        return None
    try:
        with savepoint():
            entry = _log(actor, scope, query, int(results or 0))
        return entry.id
    except Exception:  # a search must work even when its log cannot be written
        log.exception("could not log a %s search", scope)
        return None


def log_page(actor, scope: str, query: str, page, offset: int = 0) -> int | None:
    """Log a search page's first screen (paging, a rebuilding index, the report's own links: no)."""
    if page is None or getattr(page, "rebuilding", False) or offset:
        return None
    if has_request_context() and request.args.get("from") == "gaps":
        return None  # an author checking a gap from the report is not another searcher
    return log_search(actor, scope, query, page.total if page.hits else 0)


def _log(actor, scope: str, query: str, results: int) -> SearchLog:
    key = normalise(query)
    user_id = getattr(actor, "id", None)
    if user_id is not None:
        recent = db.session.scalar(select(SearchLog).where(
            SearchLog.user_id == user_id, SearchLog.scope == scope,
            SearchLog.normalised == key, SearchLog.created_at >= utcnow() - REPEAT_WINDOW)
            .order_by(SearchLog.id.desc()).limit(1))
        if recent is not None:
            recent.results = max(recent.results, results)
            db.session.flush()
            return recent
    entry = SearchLog(scope=scope, query=query, normalised=key, results=results,
                      user_id=user_id, customer_id=getattr(actor, "customer_id", None))
    db.session.add(entry)
    db.session.flush()
    return entry


def get_log(actor, log_id: int) -> SearchLog:
    """One of the actor's own search logs; anyone else's is NotFound."""
    entry = db.session.get(SearchLog, log_id)
    if entry is None or entry.user_id != actor.id:
        raise NotFound("No such search.")
    return entry


def record_click(actor, log_id: int, data: dict) -> SearchLog:
    """The actor opened a result of their search: {kind, id}; the first one counts."""
    entry = get_log(actor, log_id)
    c = Checker(data)
    kind = c.choice("kind", CLICK_KINDS)
    raw = c.data.get("id")
    if isinstance(raw, bool) or not (isinstance(raw, int) or (isinstance(raw, str)
                                                               and raw.isdigit())):
        c.error("id", "Give the id of the opened result.")
    c.done()
    if entry.clicked_at is None:
        entry.clicked_at, entry.clicked_kind, entry.clicked_id = utcnow(), kind, int(raw)
        db.session.flush()
    return entry


def click_from_link(actor, sl, kind: str, obj_id: int) -> None:
    """A result link carried ?sl=<log id>: record the click; a bad or foreign sl is ignored."""
    if not sl or not str(sl).isdigit() or actor is None or not actor.is_authenticated:
        return
    try:
        with savepoint():
            record_click(actor, int(sl), {"kind": kind, "id": obj_id})
    except NotFound:
        pass  # someone else's (or a made-up) search: nothing to record
    except Exception:  # opening an article must work whatever happens to its log
        log.exception("could not record a search click")


def dismiss(actor, data: dict) -> GapDismissal:
    """Staff take a gap off the report until it recurs."""
    require_staff(actor)
    c = Checker(data)
    key = c.text("normalised", required=True, max_len=200)
    c.done()
    row = GapDismissal(normalised=key, dismissed_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    return row


def dismissed_since() -> dict[str, object]:
    """{gap key: latest dismissal time}."""
    out: dict[str, object] = {}
    for key, at in db.session.execute(select(GapDismissal.normalised, GapDismissal.created_at)):
        if key not in out or at > out[key]:
            out[key] = at
    return out
