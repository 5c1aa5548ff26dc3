"""`kbdesk kb import DIR` and `kbdesk kb export DIR`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from kbdesk.accounts.models import User
from kbdesk.accounts.services import find_user_by_email
from kbdesk.cli import fail
from kbdesk.extensions import db
from kbdesk.kb import importer

kb_group = AppGroup("kb", help="Knowledge base: import and export Markdown files.")


def _actor(email: str | None) -> User:
    if email:
        user = find_user_by_email(email)
        if user is None or not user.is_staff:
            fail(f"No staff user with e-mail {email}.")
        return user
    user = db.session.scalar(select(User).where(User.role == "admin", User.active.is_(True))
                             .order_by(User.id))
    if user is None:
        fail("No administrator to act as; create one or pass --as EMAIL.")
    return user


@kb_group.command("import")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as", "as_email", metavar="EMAIL",
              help="Staff user recorded as the author (default: the first administrator).")
def kb_import(directory: Path, as_email: str | None):
    """Import Markdown files (with a front-matter header) from DIRECTORY; safe to repeat."""
    if not directory.is_dir():
        fail(f"{directory} is not a directory.")
    actor = _actor(as_email)
    report = importer.import_directory(actor, directory, echo=click.echo)
    # Valid files are kept even when others failed; the exit code reports the failures.
    db.session.commit()
    click.echo(f"Imported: {report.summary()}.")
    if report.failed:
        click.echo(f"Error: {len(report.failed)} file(s) could not be imported.", err=True)
        raise SystemExit(1)


@kb_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as", "as_email", metavar="EMAIL",
              help="Export what this user may read (default: the first administrator).")
def kb_export(directory: Path, as_email: str | None):
    """Write every article as a Markdown file into DIRECTORY (the import format)."""
    actor = _actor(as_email)
    count = importer.export_directory(actor, directory)
    click.echo(f"Exported {count} article(s) to {directory}.")
