"""Outbound mail: acknowledgements, public replies, status news and staff notifications.

Every mail is an OutboundMail row added in the caller's transaction; a task sends it after
the commit. Ticket signals queue the customer's mails, so every channel gets them.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from kbdesk.accounts.models import User
from kbdesk.db_types import utcnow
from kbdesk.extensions import db
from kbdesk.mail.headers import first_address, one_line
from kbdesk.mail.ids import make_message_id
from kbdesk.mail.loops import automatic_refusal
from kbdesk.mail.models import InboundMail, OutboundMail
from kbdesk.mail.texts import guess_language, text
from kbdesk.tasks import after_commit
from kbdesk.tickets.models import Ticket
from kbdesk.tickets.signals import message_added, ticket_changed, ticket_opened

log = logging.getLogger("kbdesk.mail")
ACK_CHANNELS = ("email", "portal", "api", "phone")
# The inbound mail being filed right now (set by intake around the ticket service calls).
_inbound: ContextVar[dict | None] = ContextVar("kbdesk_mail_inbound", default=None)


@contextmanager
def inbound_context(parsed, *, automatic: bool, language: str):
    """Tell the signal handlers which mail caused the ticket change (and if a machine sent it)."""
    token = _inbound.set({"automatic": automatic, "language": language,
                          "message_id": parsed.message_id,
                          "references": [*parsed.references, *parsed.in_reply_to]})
    try:
        yield
    finally:
        _inbound.reset(token)


def team_name(language: str) -> str:
    """The display name on our From: the name in MAIL_FROM, else 'Technical support'."""
    configured = first_address(current_app.config.get("MAIL_FROM") or "")[0]
    return configured or text(language, "team")


def language_for(ticket: Ticket) -> str:
    """The customer's language: the contact's, the user's, the customer's, else a guess."""
    for owner in (ticket.reporter_contact, ticket.reporter_user):
        lang = getattr(owner, "language", None) or getattr(owner, "locale", None)
        if lang in ("cs", "en"):
            return lang
    if ticket.customer is not None and ticket.customer.language in ("cs", "en"):
        return ticket.customer.language
    ctx = _inbound.get()
    return ctx["language"] if ctx else guess_language(ticket.subject, ticket.description)


def recipient(ticket: Ticket) -> tuple[str, str]:
    """(address, name) the customer's mails about a ticket go to."""
    addr = (ticket.reporter_email or "").strip().lower()
    if not addr and ticket.reporter_user is not None:
        addr = ticket.reporter_user.email.lower()
    return addr, one_line(ticket.reporter_name or "")[:200]


def thread_ids(ticket: Ticket) -> tuple[str, list[str]]:
    """(In-Reply-To, References) for a new mail about a ticket: its last mails both ways."""
    seen: list[tuple] = []
    for at, mid in db.session.execute(select(InboundMail.received_at, InboundMail.message_id)
                                      .where(InboundMail.ticket_id == ticket.id,
                                             InboundMail.message_id != "")
                                      .order_by(InboundMail.id.desc()).limit(10)):
        seen.append((at, mid))
    for at, mid in db.session.execute(select(OutboundMail.created_at, OutboundMail.message_id)
                                      .where(OutboundMail.ticket_id == ticket.id,
                                             OutboundMail.state.in_(("queued", "sent")))
                                      .order_by(OutboundMail.id.desc()).limit(10)):
        seen.append((at, mid))
    ctx = _inbound.get()
    if ctx and ctx["message_id"]:
        seen.append((utcnow(), ctx["message_id"]))
    ordered = [mid for _at, mid in sorted(seen, key=lambda x: x[0])]
    refs = list(dict.fromkeys(ordered))[-12:]
    return (refs[-1] if refs else ""), refs


def queue_mail(*, kind: str, to_addr: str, subject: str, body: str, automatic: bool,
               language: str = "en", to_name: str = "", ticket: Ticket | None = None,
               ticket_message_id: int | None = None, user_id: int | None = None,
               thread: tuple[str, list[str]] | None = None) -> OutboundMail:
    """Add one mail (flushed); it is sent after commit, or recorded as suppressed by the caps."""
    if thread is None:
        thread = thread_ids(ticket) if ticket is not None else ("", [])
    in_reply_to, refs = thread
    # A ticket opened in this transaction has sent nothing yet: no per-ticket count needed.
    counted = ticket.id if ticket is not None and kind != "ack" else None
    refusal = automatic_refusal(to_addr, counted, kind) if automatic else ""
    row = OutboundMail(
        kind=kind, ticket=ticket, ticket_message_id=ticket_message_id, user_id=user_id,
        to_addr=to_addr[:254], to_name=one_line(to_name)[:200], subject=one_line(subject)[:300],
        body=body, language=language, message_id=make_message_id(ticket.id if ticket else None),
        in_reply_to=in_reply_to, references=" ".join(refs), automatic=automatic,
        state="suppressed" if refusal else "queued", error=refusal, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    if not refusal:
        after_commit(queue_send, row.id)
    return row


def queue_send(outbound_id: int) -> None:
    """Enqueue sending; a failure to enqueue leaves the row for the sweep task."""
    from kbdesk.mail.tasks import send_outbound

    try:
        send_outbound(outbound_id)
    except Exception:
        log.exception("could not queue outbound mail %s; the sweep will", outbound_id)


def send_notification(user_id: int, subject: str, body: str, *,
                      ticket_id: int | None = None) -> OutboundMail | None:
    """A mail to a staff user (SLA warnings and the like); None when the user has no address."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.email:
        return None
    ticket = db.session.get(Ticket, ticket_id) if ticket_id else None
    return queue_mail(kind="notification", to_addr=user.email.lower(), to_name=user.name,
                      subject=subject, body=body, automatic=True, ticket=ticket,
                      language=user.locale or "en", user_id=user.id)


def _fields(ticket: Ticket, language: str) -> dict:
    return {"number": ticket.number, "subject": one_line(ticket.subject),
            "team": team_name(language)}


@ticket_opened.connect
def acknowledge(ticket: Ticket, actor=None, **_kw) -> None:
    """The acknowledgement of a new ticket, unless a machine sent the report."""
    ctx = _inbound.get()
    if ticket.channel not in ACK_CHANNELS or (ctx is not None and ctx["automatic"]):
        return
    to_addr, to_name = recipient(ticket)
    if not to_addr:
        return
    language = language_for(ticket)
    f = _fields(ticket, language)
    thread = None
    if ctx is not None:
        # The ticket is new: the acknowledgement answers the mail that opened it.
        refs = list(dict.fromkeys([*ctx["references"][-10:], ctx["message_id"]] if
                                  ctx["message_id"] else []))
        thread = (refs[-1] if refs else "", refs)
    queue_mail(kind="ack", to_addr=to_addr, to_name=to_name, ticket=ticket, automatic=True,
               language=language, subject=text(language, "ack_subject", **f),
               body=text(language, "ack_body", **f), thread=thread)


@message_added.connect
def mail_reply(message, actor=None, ticket: Ticket | None = None, **_kw) -> None:
    """A staff member's public reply goes to the customer."""
    ticket = ticket or message.ticket
    if message.internal or message.automatic or actor is None or not actor.is_staff:
        return
    to_addr, to_name = recipient(ticket)
    if not to_addr:
        return
    language = language_for(ticket)
    f = _fields(ticket, language)
    body = message.body + text(language, "reply_footer", author=one_line(actor.name), **f)
    queue_mail(kind="reply", to_addr=to_addr, to_name=to_name, ticket=ticket, automatic=False,
               language=language, subject=text(language, "reply_subject", **f), body=body,
               ticket_message_id=message.id)


@ticket_changed.connect
def mail_status(ticket: Ticket, actor=None, changes=None, **_kw) -> None:
    """Waiting on the customer, or resolved: news the customer cares about."""
    old, new = (changes or {}).get("status", (None, None))
    if new not in ("waiting_customer", "resolved") or old == new:
        return
    if actor is not None and not actor.is_staff:
        return  # the customer did it and knows
    to_addr, to_name = recipient(ticket)
    if not to_addr:
        return
    if new == "waiting_customer" and _reply_just_queued(ticket):
        return  # the reply itself asks the question
    language = language_for(ticket)
    f = _fields(ticket, language)
    key = "waiting" if new == "waiting_customer" else "resolved"
    queue_mail(kind="status", to_addr=to_addr, to_name=to_name, ticket=ticket, automatic=True,
               language=language, subject=text(language, f"{key}_subject", **f),
               body=text(language, f"{key}_body", **f))


def _reply_just_queued(ticket: Ticket) -> bool:
    since = utcnow() - timedelta(minutes=2)
    return db.session.scalar(select(OutboundMail.id).where(
        OutboundMail.ticket_id == ticket.id, OutboundMail.kind == "reply",
        OutboundMail.created_at >= since).limit(1)) is not None
