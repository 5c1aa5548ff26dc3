"""`kbdesk gaps report`: the top knowledge gaps in the terminal."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from kbdesk.errors import ServiceError

group = AppGroup("gaps", help="Knowledge gaps: searches that found nothing, tickets no article matched.")


@group.command("report")
@click.option("--scope", default="", help="staff, portal, api or tickets (default: all).")
@click.option("--days", default="", help="Window in days (default: GAPS_WINDOW_DAYS, 90).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@click.option("--as", "as_email", default=None, help="Staff user to read as (default: an admin).")
def report_command(scope: str, days: str, limit: int, as_email: str | None):
    """Print the ranked gaps: score, kind, counts and examples."""
    from kbdesk.cli import fail
    from kbdesk.gaps import report as reports
    from kbdesk.kb.cli import _actor

    actor = _actor(as_email)
    try:
        scope, days_n = reports.parse_filters({"scope": scope, "days": days})
    except ServiceError as exc:
        fail("; ".join(f"{k}: {v}" for k, v in (exc.fields or {"_": exc.message}).items()))
    data = reports.report(actor, scope, days_n, limit=limit)
    click.echo(f"Knowledge gaps, last {data['days']} days ({data['total']} in all):")
    for g in data["gaps"]:
        if g["kind"] == "query":
            detail = (f"{g['searches']} searches, {g['zero_results']} found nothing, "
                      f"{g['no_click']} nothing opened")
            examples = " | ".join(g["examples"])
        else:
            detail = f"{g['ticket_count']} tickets" + (
                f" ({g['application']})" if g.get("application") else "")
            examples = " ".join(t["number"] for t in g["tickets"])
        click.echo(f"{g['score']:>7.2f}  {g['kind']:<7} {g['title'][:60]}  [{detail}]  {examples}")
