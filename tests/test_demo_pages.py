"""Every staff and portal page opens on the demo data, in Czech and in English."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from kbdesk.demo import PASSWORD
from kbdesk.kb.models import Article
from kbdesk.problems.models import Problem
from kbdesk.tickets.models import Ticket

HREF = re.compile(r'href="(/[^"#?]*)"')
SKIP = ("/static/", "/logout", "/lang/", "/api/", "/attachments/")


def links(html: str) -> set[str]:
    """The site's own page links in a page."""
    return {h for h in HREF.findall(html) if not any(s in h for s in SKIP)}


def crawl(client, start: list[str], limit: int = 120) -> dict[str, int]:
    """Status of each page reachable from start (breadth first, up to limit pages)."""
    seen: dict[str, int] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        resp = client.get(url)
        seen[url] = resp.status_code
        if resp.status_code == 200 and resp.mimetype == "text/html":
            queue.extend(sorted(links(resp.get_data(as_text=True)) - set(seen)))
    return seen


@pytest.fixture
def demo(runner, db):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("lang", ["cs", "en"])
def test_staff_pages_on_demo_data(demo, client, auth, db, lang):
    client.get(f"/lang/{lang}")
    assert auth.login("admin@kbdesk.example", PASSWORD).status_code == 302
    ticket = db.session.scalar(select(Ticket).order_by(Ticket.id))
    article = db.session.scalar(select(Article).where(Article.kind == "article"))
    problem = db.session.scalar(select(Problem))
    start = ["/", "/kb/", f"/tickets/{ticket.number}", f"/kb/{article.id}",
             f"/kb/{article.id}/stats", "/kb/review", "/kb/stale", "/kb/stats", "/gaps/",
             "/problems/", f"/problems/{problem.id}", "/search/?q=certifikát"]
    status = crawl(client, start)
    broken = {u: s for u, s in status.items() if s >= 500 or (u in start and s != 200)}
    assert not broken, broken
    assert len(status) > 40


def test_portal_pages_on_demo_data(demo, client, auth, db):
    assert auth.login("petra@nemocnice-kolin.example.cz", PASSWORD).status_code == 302
    status = crawl(client, ["/portal/", "/portal/tickets", "/portal/search?q=certifikát"])
    assert not {u: s for u, s in status.items() if s >= 500}
    assert {u for u, s in status.items() if s == 200} >= {"/portal/", "/portal/tickets"}
