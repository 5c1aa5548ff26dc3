"""`kbdesk search rebuild|verify`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from kbdesk.search import indexing

search_group = AppGroup("search", help="The search index.")


@search_group.command("rebuild")
def rebuild_command():
    """Rebuild the index from the database (with a progress bar)."""
    total = indexing.count_rows()
    with click.progressbar(length=total, label="Indexing", show_pos=True) as bar:
        seen = 0

        def progress(done: int) -> None:
            nonlocal seen
            bar.update(max(0, done - seen))
            seen = done

        count = indexing.rebuild(progress)
    click.echo(f"Indexed {count} documents.")


@search_group.command("verify")
@click.option("--show", default=20, show_default=True, help="How many docids to list per kind.")
def verify_command(show):
    """Compare the index with the database; exit 1 when they differ."""
    problem = indexing.get_engine().check()
    if problem:
        click.echo(f"The index is {problem}. Run `kbdesk search rebuild`.", err=True)
        sys.exit(1)
    drift = indexing.drift()
    bad = False
    for kind, docids in drift.items():
        if docids:
            bad = True
            click.echo(f"{kind}: {len(docids)}  " + " ".join(docids[:show]))
    if bad:
        click.echo("The index has drifted. Run `kbdesk search rebuild`.", err=True)
        sys.exit(1)
    click.echo("The index matches the database.")
