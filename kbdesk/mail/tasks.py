"""Mail tasks: parse a stored mail, send one outbound mail, poll IMAP, sweep what was missed."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from flask import current_app
from huey import crontab
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

import kbdesk.mail.outbound  # noqa: F401 - connects the ticket signal handlers
from kbdesk.db_types import utcnow
from kbdesk.extensions import db, huey
from kbdesk.mail import intake
from kbdesk.mail.models import InboundMail, OutboundMail
from kbdesk.tasks import app_periodic_task, app_task

log = logging.getLogger("kbdesk.mail")
MAX_SEND_ATTEMPTS = 8


@app_task()
def parse_inbound(mail_id: int) -> str:
    """File one stored mail; a failure leaves it in quarantine with the error."""
    mail = db.session.get(InboundMail, mail_id)
    if mail is None or mail.state != "new":
        return mail.state if mail else "missing"
    # Claim the row: the UPDATE holds its lock until our commit, so a second run of this
    # task (another worker, the sweep) waits, then finds the mail filed and stops.
    claimed = db.session.execute(
        update(InboundMail).where(InboundMail.id == mail_id, InboundMail.state == "new",
                                  InboundMail.attempts == mail.attempts)
        .values(attempts=InboundMail.attempts + 1)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.rollback()
        return "taken"
    try:
        intake.process(mail)
    except OperationalError:
        raise  # the database is busy or down: the mail stays new for the sweep
    except Exception as exc:
        log.warning("inbound mail %s failed: %s", mail_id, exc)
        db.session.rollback()
        mail = intake.mark_failed(mail_id, exc)
    return mail.state


def _permanent(exc: Exception) -> bool:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _m in exc.recipients.values()]
        return bool(codes) and all(c >= 500 for c in codes)
    return isinstance(code, int) and code >= 500


def _record_failure(outbound_id: int, exc: Exception, permanent: bool) -> None:
    # The task's own transaction rolls back when it raises for a retry: note the attempt
    # on a connection of its own.
    with db.engine.begin() as conn:
        attempts = conn.scalar(select(OutboundMail.attempts).where(
            OutboundMail.id == outbound_id)) or 0
        final = permanent or attempts + 1 >= MAX_SEND_ATTEMPTS
        conn.execute(update(OutboundMail).where(OutboundMail.id == outbound_id).values(
            attempts=attempts + 1, error=f"{type(exc).__name__}: {exc}"[:2000],
            state="failed" if final else "queued"))


@app_task(retries=4, retry_delay=60)
def send_outbound(outbound_id: int) -> str:
    """Send one queued mail once; a retry after success changes nothing."""
    from kbdesk.mail.outbound import team_name
    from kbdesk.mail.smtp import build_message, deliver

    with huey.lock_task(f"kbdesk-mail-send-{outbound_id}"):
        row = db.session.get(OutboundMail, outbound_id)
        if row is None or row.state != "queued":
            return row.state if row else "missing"
        if not current_app.config.get("SMTP_URL"):
            row.error = "KBDESK_SMTP_URL is not set: kept queued."
            db.session.commit()
            return "queued"
        msg = build_message(row, from_name=team_name(row.language))
        try:
            deliver(msg, row.to_addr)
        except (OSError, smtplib.SMTPException) as exc:
            db.session.rollback()
            permanent = _permanent(exc)
            _record_failure(outbound_id, exc, permanent)
            if permanent:
                return "failed"
            raise
        row.state, row.sent_at, row.error = "sent", utcnow(), ""
        row.attempts += 1
        db.session.commit()
        return "sent"


@app_periodic_task(crontab(minute="*"))
def poll_mailbox() -> None:
    """Fetch new mail from KBDESK_IMAP_URL, when it is set."""
    from kbdesk.mail.imap import poll

    if not current_app.config.get("IMAP_URL"):
        return
    try:
        with huey.lock_task("kbdesk-mail-poll"):
            result = poll(current_app.config["IMAP_URL"])
    except Exception:
        log.exception("IMAP poll failed")
        return
    if result.stored or result.failed:
        log.info("IMAP poll: %s", result)


@app_periodic_task(crontab(minute="*/5"))
def sweep() -> None:
    """Queue what a lost enqueue left behind: new inbound mails, queued outbound mails."""
    from kbdesk.mail.outbound import queue_send
    from kbdesk.mail.store import queue_parse

    now = utcnow()
    stale = list(db.session.scalars(select(InboundMail.id).where(
        InboundMail.state == "new", InboundMail.received_at < now - timedelta(minutes=5))
        .limit(500)))
    waiting = []
    if current_app.config.get("SMTP_URL"):
        waiting = list(db.session.scalars(select(OutboundMail.id).where(
            OutboundMail.state == "queued", OutboundMail.created_at < now - timedelta(minutes=10),
            OutboundMail.attempts < MAX_SEND_ATTEMPTS).limit(500)))
    db.session.rollback()  # nothing to write; release the read before queueing
    for mail_id in stale:
        queue_parse(mail_id)
    for outbound_id in waiting:
        queue_send(outbound_id)
