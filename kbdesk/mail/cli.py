"""`kbdesk mail ingest [FILE]`, `mail poll`, `mail list`, `mail retry ID`."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

from kbdesk.extensions import db

EX_TEMPFAIL = 75

mail_group = AppGroup("mail", help="The e-mail channel.")


@mail_group.command("ingest", with_appcontext=False)
@click.argument("file", type=click.File("rb"), default="-")
def ingest(file):
    """Store one RFC 822 message from FILE or standard input (for a mail server's pipe).

    Exits 0 once the message is stored, 75 (EX_TEMPFAIL) when it could not be stored, so the
    mail server keeps it and tries again.
    """
    try:
        raw = file.read()
    except OSError as exc:
        click.echo(f"Error: cannot read the message: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)
    try:
        # The app is loaded here, not before the command, so that a broken configuration
        # or an unreachable database is a temporary failure for the mail server too.
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        with app.app_context():
            from kbdesk.mail.store import receive

            mail, created = receive(raw, source="pipe")
            mail_id, state = mail.id, mail.state
    except Exception as exc:  # anything here means the message is not stored
        click.echo(f"Error: message not stored: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)
    if created:
        click.echo(f"Stored inbound mail {mail_id} ({state}).")
    else:
        click.echo(f"Already stored as inbound mail {mail_id} ({state}).")


@mail_group.command("poll")
@click.option("--limit", default=500, show_default=True, help="At most this many messages.")
def poll_command(limit):
    """Fetch new messages from KBDESK_IMAP_URL; flag or move each only once it is stored."""
    from kbdesk.mail.imap import poll

    url = current_app.config.get("IMAP_URL")
    if not url:
        click.echo("Error: KBDESK_IMAP_URL is not set.", err=True)
        sys.exit(1)
    try:
        result = poll(url, limit=limit)
    except Exception as exc:
        click.echo(f"Error: IMAP poll failed: {exc}", err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(f"IMAP: {result}.")
    if result.failed:
        sys.exit(EX_TEMPFAIL)


@mail_group.command("list")
@click.option("--state", default="failed", show_default=True,
              type=click.Choice(["new", "parsed", "failed", "ignored", "all"]))
@click.option("--limit", default=50, show_default=True)
def list_command(state, limit):
    """List inbound mails (the quarantine by default)."""
    from sqlalchemy import select

    from kbdesk.mail.models import InboundMail

    stmt = select(InboundMail).order_by(InboundMail.id.desc()).limit(limit)
    if state != "all":
        stmt = stmt.where(InboundMail.state == state)
    for m in db.session.scalars(stmt):
        first = (m.error or "").splitlines()[0][:80] if m.error else ""
        click.echo(f"{m.id:>6} {m.state:<8} {m.received_at:%Y-%m-%d %H:%M} "
                   f"{m.from_addr[:40]:<40} {m.subject[:50]}  {first}")


@mail_group.command("retry")
@click.argument("mail_id", type=int)
def retry_command(mail_id):
    """Parse a failed mail again."""
    from kbdesk.errors import ServiceError
    from kbdesk.mail.models import InboundMail
    from kbdesk.mail.services import requeue

    mail = db.session.get(InboundMail, mail_id)
    if mail is None:
        click.echo("Error: no such mail.", err=True)
        sys.exit(1)
    try:
        requeue(mail)
    except ServiceError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Inbound mail {mail_id} queued for parsing.")
