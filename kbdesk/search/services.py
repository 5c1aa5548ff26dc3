"""The search service: the caller's visibility, the engine's ids, then one ORM query per kind."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from kbdesk.customers.models import Application, Customer
from kbdesk.extensions import db
from kbdesk.search.indexing import get_engine, rebuild_task, spec_for_kind
from kbdesk.validation import Checker

log = logging.getLogger(__name__)
FILTERS = ("kind", "customer", "application", "tag", "language", "status")


@dataclass
class SearchHit:
    kind: str
    id: int
    title: str
    snippet: str
    score: float
    url: str
    obj: object = None


@dataclass
class SearchPage:
    query: str
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    facets: dict[str, list[dict]] = field(default_factory=dict)
    did_you_mean: str | None = None
    corrected: bool = False
    rebuilding: bool = False
    limit: int = 20
    offset: int = 0


def viewer_for(actor):
    """The engine's view of who is asking."""
    from kbdesk.search.engine import Viewer

    if actor.is_staff:
        return Viewer(staff=True, customer=None)
    return Viewer(staff=False, customer=str(actor.customer_id))


def _engine_filters(actor, raw: dict) -> dict:
    """Turn API/page filters (slugs, names) into index values (ids)."""
    c = Checker(raw)
    out: dict = {}
    if kind := c.text("kind", max_len=20):
        if kind not in ("article", "config", "ticket"):
            c.error("kind", "Must be one of: article, config, ticket.")
        out["kind"] = kind
    if slug := c.text("customer", max_len=80):
        customer = db.session.scalar(select(Customer).where(Customer.slug == slug))
        out["customer"] = str(customer.id) if customer else "-1"
    if app := c.text("application", max_len=200):
        if app.isdigit():
            out["application"] = app
        else:
            row = db.session.scalar(select(Application.id).where(Application.name == app))
            out["application"] = str(row) if row else "-1"
    if tag := c.text("tag", max_len=100):
        out["tags"] = tag.lower()
    if language := c.text("language", max_len=2):
        out["language"] = language
    if status := c.text("status", max_len=20):
        out["status"] = status
    c.done()
    return out


def index_unavailable() -> bool:
    """True (and a rebuild queued once) when the index is missing or corrupt."""
    engine = get_engine()
    problem = engine.check()
    if not problem:
        current_app.extensions.pop("kbdesk_search_rebuild_queued", None)
        return False
    if not current_app.extensions.get("kbdesk_search_rebuild_queued"):
        current_app.extensions["kbdesk_search_rebuild_queued"] = True
        log.warning("search index %s: queueing a rebuild", problem)
        try:
            rebuild_task()
        except Exception:  # the app keeps running; the next search tries again
            log.exception("queueing the index rebuild failed")
            current_app.extensions.pop("kbdesk_search_rebuild_queued", None)
    return True


def search(actor, query: str, filters: dict | None = None, *, limit: int = 20,
           offset: int = 0) -> SearchPage:
    """Search what the actor may read; never raises on odd query strings."""
    query = (query or "").strip()[:500]
    engine_filters = _engine_filters(actor, filters or {})
    page = SearchPage(query=query, limit=limit, offset=offset)
    if index_unavailable():
        page.rebuilding = True
        return page
    result = get_engine().search(query, viewer=viewer_for(actor), filters=engine_filters,
                                 limit=limit, offset=offset, facets=True)
    page.total, page.did_you_mean, page.corrected = result.total, result.did_you_mean, result.corrected
    page.hits = _load_hits(actor, result.hits)
    page.facets = _label_facets(result.facets)
    return page


def _load_hits(actor, hits) -> list[SearchHit]:
    by_kind: dict[str, list[int]] = {}
    for h in hits:
        by_kind.setdefault(h.kind, []).append(int(h.obj_id))
    rows: dict[tuple[str, int], object] = {}
    for kind, ids in by_kind.items():
        spec = spec_for_kind(kind)
        if spec is None:
            continue
        for obj in db.session.scalars(select(spec.model).where(spec.model.id.in_(ids))):
            rows[(kind, obj.id)] = obj
    out = []
    for h in hits:
        obj = rows.get((h.kind, int(h.obj_id)))
        spec = spec_for_kind(h.kind)
        if obj is None or spec is None:
            continue  # deleted since it was indexed; the writer will catch up
        if spec.visible is not None and not spec.visible(actor, obj):
            continue
        out.append(SearchHit(kind=h.kind, id=obj.id, title=h.title, snippet=h.snippet_html,
                             score=round(float(h.score), 4), url=spec.url(obj), obj=obj))
    return out


def _label_facets(facets: dict) -> dict[str, list[dict]]:
    """Facet values with readable labels (customer and application names for ids)."""
    names: dict[str, dict[str, str]] = {}
    ids = {f: [v for v, _ in facets.get(f, []) if str(v).isdigit()] for f in ("customer", "application")}
    if ids["customer"]:
        names["customer"] = {str(c.id): c.name for c in db.session.scalars(
            select(Customer).where(Customer.id.in_([int(i) for i in ids["customer"]])))}
        slugs = {str(c.id): c.slug for c in db.session.scalars(
            select(Customer).where(Customer.id.in_([int(i) for i in ids["customer"]])))}
    else:
        slugs = {}
    if ids["application"]:
        names["application"] = {str(a.id): a.name for a in db.session.scalars(
            select(Application).where(Application.id.in_([int(i) for i in ids["application"]])))}
    out: dict[str, list[dict]] = {}
    for name, values in facets.items():
        key = "tag" if name == "tags" else name
        items = []
        for value, count in values:
            value = str(value)
            label = names.get(name, {}).get(value, value)
            param = slugs.get(value, value) if name == "customer" else value
            items.append({"value": param, "label": label, "count": int(count)})
        out[key] = items
    return out
