"""The ranked "articles to write" report.

A gap is either a group of searches with the same normalised query, or a cluster of tickets
that matching found no article for (same application, sharing key terms).

Score (documented in the page footer too): every gap event counts with a recency weight
0.5 ** (age in days / HALF_LIFE_DAYS), so last week's gap outranks last quarter's:
  - a search that found nothing:              1
  - a search with results but none opened:    0.5
  - a ticket whose matching found no article: 3 (TICKET_WEIGHT)
Only events inside the window (default 90 days, setting GAPS_WINDOW_DAYS) and after the gap's
latest dismissal count, so a dismissed gap returns only when it recurs.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from kbdesk.accounts.permissions import require_staff
from kbdesk.authoring.models import ArticleSource
from kbdesk.db_types import utcnow
from kbdesk.extensions import db
from kbdesk.feedback.models import ArticleUse
from kbdesk.gaps.models import SCOPES, SearchLog, TicketGap
from kbdesk.gaps.services import dismissed_since
from kbdesk.tickets.models import Ticket
from kbdesk.validation import Checker

HALF_LIFE_DAYS = 30.0
TICKET_WEIGHT = 3.0
NO_CLICK_WEIGHT = 0.5
MAX_DAYS = 730
FILTER_SCOPES = ("", *SCOPES, "tickets")
EXAMPLES = 5
MAX_ROWS = 50_000


def window_days() -> int:
    """The default report window."""
    return int(current_app.config.get("GAPS_WINDOW_DAYS", 90))


def parse_filters(raw: dict) -> tuple[str, int]:
    """(scope, days) from query arguments; bad values are a ValidationError."""
    c = Checker(raw)
    scope = c.choice("scope", FILTER_SCOPES, default="")
    raw = c.data.get("days")
    days = window_days()
    if raw not in (None, ""):
        if str(raw).strip().isdigit() and 1 <= int(str(raw).strip()) <= MAX_DAYS:
            days = int(str(raw).strip())
        else:
            c.error("days", f"A whole number of days from 1 to {MAX_DAYS}.")
    c.done()
    return scope, days


def _recency(at, now) -> float:
    return 0.5 ** (max((now - at).total_seconds(), 0) / 86400.0 / HALF_LIFE_DAYS)


def week_of(dt) -> str:
    """ISO week label, e.g. 2026-W48."""
    year, week, _ = dt.isocalendar()
    return f"{year}-W{week:02d}"


def report(actor, scope: str = "", days: int | None = None, *, limit: int = 50,
           now=None) -> dict:
    """{gaps: ranked list, weeks: zero-result searches per week, scope, days} for staff."""
    require_staff(actor)
    now = now or utcnow()
    days = days or window_days()
    since = now - timedelta(days=days)
    dismissed = dismissed_since()
    gaps: list[dict] = []
    logs: list[SearchLog] = []
    if scope != "tickets":
        stmt = select(SearchLog).where(SearchLog.created_at >= since)
        if scope:
            stmt = stmt.where(SearchLog.scope == scope)
        logs = list(db.session.scalars(stmt.order_by(SearchLog.id.desc()).limit(MAX_ROWS)))
        gaps += _query_gaps(logs, dismissed, now)
    if scope in ("", "tickets"):
        gaps += _ticket_gaps(since, dismissed, now)
    gaps.sort(key=lambda g: (-g["score"], -g["last_seen"].timestamp(), g["key"]))
    return {"gaps": gaps[:limit], "weeks": _weeks(logs, since, now), "scope": scope,
            "days": days, "total": len(gaps)}


def _query_gaps(logs: list[SearchLog], dismissed: dict, now) -> list[dict]:
    groups: dict[str, list[SearchLog]] = {}
    for entry in logs:  # newest first
        cut = dismissed.get(entry.normalised)
        if cut is not None and entry.created_at <= cut:
            continue
        groups.setdefault(entry.normalised, []).append(entry)
    out = []
    for key, entries in groups.items():
        entries.sort(key=lambda e: e.created_at, reverse=True)  # ties in the title: newest wins
        zero = [e for e in entries if e.results == 0]
        no_click = [e for e in entries if e.results > 0 and e.clicked_at is None]
        if not zero and not no_click:
            continue  # people found and opened something: not a gap
        score = sum(_recency(e.created_at, now) for e in zero) + NO_CLICK_WEIGHT * sum(
            _recency(e.created_at, now) for e in no_click)
        raw = Counter(e.query for e in entries)
        out.append({
            "kind": "query", "key": key, "title": raw.most_common(1)[0][0],
            "searches": len(entries), "zero_results": len(zero), "no_click": len(no_click),
            "users": len({e.user_id for e in entries if e.user_id}),
            "customers": len({e.customer_id for e in entries if e.customer_id}),
            "scopes": sorted({e.scope for e in entries}),
            "last_seen": entries[0].created_at,
            "examples": list(dict.fromkeys(e.query for e in entries))[:EXAMPLES],
            "tickets": [], "score": round(score, 3)})
    return out


def _ticket_rows(since):
    stmt = (select(TicketGap, Ticket).join(Ticket, Ticket.id == TicketGap.ticket_id)
            .where(TicketGap.created_at >= since, Ticket.merged_into_id.is_(None)))
    # A ticket that got its article (written from it, or linked into a reply) leaves the
    # report; its gap row stays, so the history is kept.
    stmt = stmt.where(TicketGap.ticket_id.not_in(select(ArticleSource.ticket_id)),
                      TicketGap.ticket_id.not_in(select(ArticleUse.ticket_id)))
    return db.session.execute(stmt.order_by(TicketGap.created_at.desc()).limit(MAX_ROWS)).all()


def _related(a: set[str], b: set[str]) -> bool:
    """Two tickets are about the same thing when they share two key terms (one if that is all)."""
    return len(a & b) >= min(2, len(a), len(b)) > 0


def _ticket_gaps(since, dismissed: dict, now) -> list[dict]:
    clusters: list[dict] = []
    for gap, ticket in _ticket_rows(since):  # newest first
        terms = set(gap.terms.split()[:3])
        home = next((c for c in clusters if c["application_id"] == ticket.application_id
                     and _related(c["seed"], terms)), None)
        if home is None:
            home = {"application_id": ticket.application_id, "seed": terms, "rows": []}
            clusters.append(home)
        home["rows"].append((gap, ticket))
    out = []
    for c in clusters:
        key = f"tickets:{c['application_id'] or '-'}:{' '.join(sorted(c['seed']))}"
        cut = dismissed.get(key)
        rows = [(g, t) for g, t in c["rows"] if cut is None or g.created_at > cut]
        if not rows:
            continue
        tickets = [t for _, t in rows]
        app = tickets[0].application
        out.append({
            "kind": "tickets", "key": key, "title": tickets[-1].subject,
            "searches": 0, "zero_results": 0, "no_click": 0,
            "users": 0, "customers": len({t.customer_id for t in tickets if t.customer_id}),
            "scopes": [], "application": app.name if app else None,
            "last_seen": rows[0][0].created_at, "examples": sorted(c["seed"]),
            "tickets": [{"id": t.id, "number": t.number, "subject": t.subject}
                        for t in tickets[:EXAMPLES]],
            "ticket_count": len(tickets),
            "score": round(TICKET_WEIGHT * sum(_recency(g.created_at, now) for g, _ in rows), 3)})
    return out


def _weeks(logs: list[SearchLog], since, now) -> list[dict]:
    """Zero-result searches per ISO week over the window, oldest first, empty weeks included."""
    counts = Counter(week_of(e.created_at) for e in logs if e.results == 0)
    labels: list[str] = []
    day = since
    while day <= now:
        if not labels or labels[-1] != week_of(day):
            labels.append(week_of(day))
        day += timedelta(days=1)
    if not labels or labels[-1] != week_of(now):
        labels.append(week_of(now))
    return [{"week": w, "zero_results": counts.get(w, 0)} for w in labels]


def chart(weeks: list[dict], width: int = 640, height: int = 120) -> dict:
    """Bar geometry for the inline SVG of zero-result searches per week."""
    top = max([w["zero_results"] for w in weeks] + [1])
    step = width / max(len(weeks), 1)
    bars = []
    for i, w in enumerate(weeks):
        h = round(height * w["zero_results"] / top, 1)
        bars.append({"x": round(i * step + 1, 1), "w": round(max(step - 2, 1), 1),
                     "y": round(height - h, 1), "h": h, **w})
    return {"width": width, "height": height, "top": top, "bars": bars}
