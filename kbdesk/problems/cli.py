"""`kbdesk problems propose`: compute problem proposals now."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from kbdesk.extensions import db

group = AppGroup("problems", help="Problems: recurring tickets.")


@group.command("propose")
def propose_command():
    """Create or extend problem proposals from the last 30 days' tickets."""
    from kbdesk.problems.proposals import propose

    found = propose()
    db.session.commit()
    for problem in found:
        click.echo(f"{problem.number}\t{problem.status}\t{len(problem.links)}\t{problem.title}")
    click.echo(f"{len(found)} problem(s) proposed or extended.")
