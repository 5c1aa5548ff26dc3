"""Matching a ticket to similar past tickets, readable articles and its customer's notes.

The index answers (it is a read, so it works inside the request that opens the ticket);
the caller's visibility is a Whoosh filter, so a customer never gets what it may not read.
"""

from __future__ import annotations

from sqlalchemy import func, select
from whoosh import query as wq

from kbdesk.extensions import db
from kbdesk.matching.core import Group, MatchQuery, match_groups
from kbdesk.search.indexing import get_engine, spec_for_kind
from kbdesk.tickets.models import Message, Ticket

LIMITS = {"tickets": 5, "articles": 5, "notes": 3}


def query_for(ticket: Ticket) -> MatchQuery:
    """What the matcher knows of a ticket."""
    return MatchQuery(
        title=ticket.subject, body=ticket.description or "",
        customer=str(ticket.customer_id or "") or None,
        application=str(ticket.application_id or "") or None,
        component=ticket.component or None, created=ticket.created_at)


def _t(field: str, value: str) -> wq.Term:
    return wq.Term(field, value)


def ticket_filter(actor, ticket: Ticket) -> wq.Query | None:
    """Past tickets the actor may see."""
    if actor.is_staff:
        return None
    own = _t("customer", str(actor.customer_id))
    return own


def article_filter(actor, ticket: Ticket) -> wq.Query:
    """Published articles for this ticket: public, internal (staff), or this customer's."""
    published = _t("status", "published")
    shown = [_t("visibility", "public")]
    if actor.is_staff:
        shown.append(_t("visibility", "internal"))
    customer = ticket.customer_id if actor.is_staff else actor.customer_id
    if customer:
        shown.append(wq.And([_t("visibility", "customer"), _t("customer", str(customer))]))
    return wq.And([published, wq.Or(shown)])


def notes_filter(actor, ticket: Ticket) -> wq.Query | None:
    """This customer's configuration notes; never for customer users."""
    if not actor.is_staff or not ticket.customer_id:
        return None
    return _t("customer", str(ticket.customer_id))


def match_ticket(actor, ticket: Ticket, *, limits: dict | None = None) -> dict:
    """{tickets, articles, notes}, each a list of {id, kind, title, url, score, reasons, ...}."""
    if get_engine().check() is not None:
        return {"tickets": [], "articles": [], "notes": []}
    limits = {**LIMITS, **(limits or {})}
    q = query_for(ticket)
    mine = (f"ticket:{ticket.id}",) if ticket.id else ()
    groups = [Group("tickets", ("ticket",), ticket_filter(actor, ticket), limits["tickets"], mine),
              Group("articles", ("article",), article_filter(actor, ticket), limits["articles"])]
    notes_allowed = notes_filter(actor, ticket)
    if notes_allowed is not None:
        groups.append(Group("notes", ("config",), notes_allowed, limits["notes"]))
    groups = [g for g in groups if g.limit > 0]
    with get_engine().searching() as searcher:
        out = {"tickets": [], "articles": [], "notes": [], **match_groups(searcher, q, groups)}
    return {group: _describe(group, matches) for group, matches in out.items() if group in limits}


def _describe(group: str, matches) -> list[dict]:
    """Matches as plain dicts, with URLs and, for resolved tickets, how they were resolved."""
    items = []
    for m in matches:
        if not str(m.obj_id).isdigit():
            continue
        items.append({"id": int(m.obj_id), "kind": m.kind, "title": m.title,
                      "score": m.score, "reasons": list(m.reasons)})
    if not items:
        return items
    spec = spec_for_kind(items[0]["kind"])
    rows = {o.id: o for o in db.session.scalars(
        select(spec.model).where(spec.model.id.in_([i["id"] for i in items])))}
    resolved = [o.id for o in rows.values() if group == "tickets" and o.status in ("resolved", "closed")]
    resolutions = resolutions_of(resolved)
    kept = []
    for item in items:
        obj = rows.get(item["id"])
        if obj is None:
            continue
        item["url"] = spec.url(obj)
        if group == "tickets":
            item["status"], item["severity"], item["number"] = obj.status, obj.severity, obj.number
            if obj.id in resolutions:
                item["resolution"] = resolutions[obj.id]
        kept.append(item)
    return kept


def resolutions_of(ticket_ids: list[int]) -> dict[int, str]:
    """How resolved tickets were resolved: each one's last public staff reply, shortened."""
    if not ticket_ids:
        return {}
    last = (select(func.max(Message.id))
            .where(Message.ticket_id.in_(ticket_ids), Message.internal.is_(False),
                   Message.author_id.is_not(None), Message.automatic.is_(False))
            .group_by(Message.ticket_id))
    out = {tid: "" for tid in ticket_ids}
    for tid, body in db.session.execute(
            select(Message.ticket_id, Message.body).where(Message.id.in_(last))):
        text = " ".join(body.split())
        out[tid] = text[:280] + ("…" if len(text) > 280 else "")
    return out
