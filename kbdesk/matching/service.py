"""Matching a ticket to similar past tickets, readable articles and its customer's notes.

The index answers (it is a read, so it works inside the request that opens the ticket);
the caller's visibility is a Whoosh filter, so a customer never gets what it may not read.
"""

from __future__ import annotations

from sqlalchemy import select
from whoosh import query as wq

from kbdesk.extensions import db
from kbdesk.matching.core import MatchQuery, match
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
    out: dict[str, list] = {}
    with get_engine().searching() as searcher:
        out["tickets"] = match(searcher, q, allowed=ticket_filter(actor, ticket), kinds=("ticket",),
                               limit=limits["tickets"], exclude_docids=mine)
        out["articles"] = match(searcher, q, allowed=article_filter(actor, ticket),
                                kinds=("article",), limit=limits["articles"])
        notes_allowed = notes_filter(actor, ticket)
        out["notes"] = (match(searcher, q, allowed=notes_allowed, kinds=("config",),
                              limit=limits["notes"]) if notes_allowed is not None else [])
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
    kept = []
    for item in items:
        obj = rows.get(item["id"])
        if obj is None:
            continue
        item["url"] = spec.url(obj)
        if group == "tickets":
            item["status"], item["severity"], item["number"] = obj.status, obj.severity, obj.number
            if obj.status in ("resolved", "closed"):
                item["resolution"] = resolution_of(obj)
        kept.append(item)
    return kept


def resolution_of(ticket: Ticket) -> str:
    """The last public staff reply of a resolved ticket, shortened: how it was resolved."""
    msg = db.session.scalar(
        select(Message).where(Message.ticket_id == ticket.id, Message.internal.is_(False),
                              Message.author_id.is_not(None), Message.automatic.is_(False))
        .order_by(Message.id.desc()).limit(1))
    if msg is None:
        return ""
    text = " ".join(msg.body.split())
    return text[:280] + ("…" if len(text) > 280 else "")
