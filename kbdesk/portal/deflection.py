"""Deflection figures: suggestions shown, opened, deflections, tickets filed anyway.

A filing session (one session key of one user) with an opened suggestion and no ticket is a
deflection; a session whose events carry a ticket id filed anyway.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from kbdesk.accounts.permissions import require_staff
from kbdesk.extensions import db
from kbdesk.kb.models import Article
from kbdesk.portal.models import SuggestionEvent


def _week(dt) -> str:
    year, week, _ = dt.isocalendar()
    return f"{year}-W{week:02d}"


def report(actor, *, limit: int = 20_000) -> dict:
    """{totals, weeks: [...], articles: [...]} for staff."""
    require_staff(actor)
    events = list(db.session.scalars(select(SuggestionEvent).order_by(SuggestionEvent.id)
                                     .limit(limit)))
    sessions: dict[tuple, dict] = {}
    for e in events:
        s = sessions.setdefault((e.user_id, e.session_key),
                                {"start": e.created_at, "opened": set(), "shown": set(),
                                 "ticket": None})
        (s["opened"] if e.kind == "opened" else s["shown"]).add(e.article_id)
        s["ticket"] = s["ticket"] or e.ticket_id
    weeks: dict[str, dict] = defaultdict(lambda: dict.fromkeys(
        ("shown", "opened", "deflections", "filed"), 0))
    arts: dict[int, dict] = defaultdict(lambda: dict.fromkeys(
        ("shown", "opened", "deflections", "filed"), 0))
    for e in events:
        bucket = "opened" if e.kind == "opened" else "shown"
        weeks[_week(e.created_at)][bucket] += 1
        arts[e.article_id][bucket] += 1
    for s in sessions.values():
        w = weeks[_week(s["start"])]
        if s["ticket"]:
            w["filed"] += 1
            for a in s["shown"] | s["opened"]:
                arts[a]["filed"] += 1
        elif s["opened"]:
            w["deflections"] += 1
            for a in s["opened"]:
                arts[a]["deflections"] += 1
    titles = dict(db.session.execute(select(Article.id, Article.title).where(
        Article.id.in_(list(arts)))).all()) if arts else {}
    totals = dict.fromkeys(("shown", "opened", "deflections", "filed"), 0)
    for w in weeks.values():
        for k in totals:
            totals[k] += w[k]
    return {
        "totals": totals,
        "weeks": [{"week": k, **v} for k, v in sorted(weeks.items(), reverse=True)],
        "articles": sorted(({"id": k, "title": titles.get(k, f"#{k}"), **v}
                            for k, v in arts.items()),
                           key=lambda r: (-r["deflections"], -r["opened"], -r["shown"])),
    }
