"""Parse a stored mail and file it: a message on its ticket, a new ticket, or kept as ignored."""

from __future__ import annotations

import re
import traceback

from flask import current_app
from sqlalchemy import select

from kbdesk.accounts.models import User
from kbdesk.db_types import utcnow
from kbdesk.errors import ServiceError
from kbdesk.extensions import db
from kbdesk.mail import ids
from kbdesk.mail.headers import one_line
from kbdesk.mail.loops import Verdict, classify
from kbdesk.mail.models import InboundMail, OutboundMail
from kbdesk.mail.outbound import inbound_context
from kbdesk.mail.parse import ParsedMail, parse_mail
from kbdesk.mail.quotes import strip_quoted
from kbdesk.mail.store import read_raw
from kbdesk.mail.texts import guess_language, human_size, text
from kbdesk.mail.threading import NUMBER_TAG, Sender, find_thread, match_sender
from kbdesk.tickets.models import Message, Ticket
from kbdesk.tickets.services import add_message, open_ticket, record

BODY_MAX = 200_000
_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|tr|rv|sv|vs|odp|odpověď|odpoved|přeposlat|fwd?)"
                     r"\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def attachment_limit() -> int:
    """The size limit of one attachment (the tickets' own limit)."""
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or 25 * 1024 * 1024)


def process(mail: InboundMail) -> InboundMail:
    """File one stored mail (state new); the caller commits. Raises on a parsing failure."""
    raw = read_raw(mail)
    if not raw.strip():
        mail.parsed_at = utcnow()
        return _ignore(mail, "empty message")
    parsed = parse_mail(raw, max_attachment_bytes=attachment_limit())
    verdict = classify(parsed, is_ours=ids.is_ours)
    mail.from_addr = parsed.from_addr or mail.from_addr
    mail.subject = parsed.subject[:300]
    mail.parsed_at = utcnow()
    if verdict.kind == "own":
        return _ignore(mail, verdict.reason)
    if verdict.kind == "bounce":
        return _bounce(mail, parsed, verdict)
    sender = match_sender(parsed.from_addr, parsed.from_name,
                          create_contact=not verdict.automatic)
    ticket = find_thread(parsed, sender)
    if ticket is not None:
        return _continue(mail, parsed, verdict, sender, ticket)
    if verdict.kind == "auto-reply":
        return _ignore(mail, f"automatic reply ({verdict.reason}) to no ticket of ours")
    return _open(mail, parsed, verdict, sender)


def _ignore(mail: InboundMail, reason: str) -> InboundMail:
    mail.state, mail.error = "ignored", reason
    return mail


def _label(parsed: ParsedMail) -> str:
    if parsed.from_name and parsed.from_addr:
        return f"{parsed.from_name} <{parsed.from_addr}>"[:200]
    return parsed.from_addr or "e-mail"


def _body(parsed: ParsedMail, language: str, *, reply: bool) -> str:
    body = strip_quoted(parsed.text) if reply else parsed.text
    notes = [text(language, "dropped", name=name, size=human_size(size),
                  limit=human_size(attachment_limit())) for name, size in parsed.dropped]
    room = BODY_MAX - sum(len(n) + 2 for n in notes) - 200
    if len(body) > room:
        body = body[:room].rstrip() + "\n\n" + text(language, "truncated")
    body = body.strip() or text(language, "no_text")
    return "\n\n".join([body, *notes])


def _attach(ticket: Ticket, message: Message | None, parsed: ParsedMail, label: str) -> None:
    from kbdesk.tickets.attachments import add_attachment

    for part in parsed.attachments:
        try:
            add_attachment(None, ticket, part.data, part.filename, message=message, label=label)
        except ServiceError as exc:
            record(ticket, None, "attachment_dropped", label=label, filename=part.filename,
                   size=part.size, reason=exc.message)


def _continue(mail, parsed, verdict: Verdict, sender: Sender, ticket: Ticket) -> InboundMail:
    """A reply: a public message on its ticket (automatic ones do not reopen it)."""
    mail.ticket_id = ticket.id
    if parsed.message_id:
        done = db.session.scalar(select(Message.id).where(
            Message.ticket_id == ticket.id, Message.mail_message_id == parsed.message_id))
        if done is not None:
            mail.ticket_message_id, mail.state = done, "parsed"
            return mail
    language = guess_language(parsed.subject, parsed.text)
    staff = None if verdict.automatic else staff_author(parsed, sender)
    with inbound_context(parsed, automatic=verdict.automatic, language=language):
        if staff is not None:  # their public reply: it goes to the customer like one typed in
            message = add_message(staff, ticket, _body(parsed, language, reply=True),
                                  via="email", author_email=sender.address,
                                  mail_message_id=parsed.message_id[:300])
        else:
            message = add_message(None, ticket, _body(parsed, language, reply=True),
                                  via="email", author_contact=sender.contact,
                                  author_email=sender.address, automatic=verdict.automatic,
                                  mail_message_id=parsed.message_id[:300])
        _attach(ticket, message, parsed, _label(parsed))
    mail.ticket_message_id, mail.state, mail.error = message.id, "parsed", verdict.reason
    return mail


def staff_author(parsed: ParsedMail, sender: Sender) -> User | None:
    """The staff member answering a notice we mailed to them, else None.

    A From address is easy to forge; a reply naming the Message-ID of a mail we sent to that
    very user is not (the id is signed and only ever went to their mailbox).
    """
    refs = [r for r in (*parsed.in_reply_to, *parsed.references) if ids.is_ours(r)]
    if not refs or not sender.address or sender.customer is not None:
        return None
    user = db.session.scalar(select(User).where(User.email == sender.address,
                                                User.active.is_(True)))
    if user is None or not user.is_staff:
        return None
    sent = db.session.scalar(select(OutboundMail.id).where(
        OutboundMail.message_id.in_(refs[:50]), OutboundMail.user_id == user.id).limit(1))
    return user if sent is not None else None


def ticket_subject(subject: str, language: str) -> str:
    """A new ticket's subject: reply/forward prefixes and foreign number tags removed."""
    cleaned = one_line(NUMBER_TAG.sub(" ", subject))
    cleaned = _PREFIX.sub("", cleaned).strip() or text(language, "no_subject")
    return cleaned[:300]


def _open(mail, parsed, verdict: Verdict, sender: Sender) -> InboundMail:
    """A new ticket; the unknown sender's lands unsorted (no customer)."""
    language = guess_language(parsed.subject, parsed.text)
    data = {"subject": ticket_subject(parsed.subject, language),
            "description": _body(parsed, language, reply=False),
            "customer": sender.customer, "contact": sender.contact}
    with inbound_context(parsed, automatic=verdict.automatic, language=language):
        ticket = open_ticket(None, data, channel="email", label=_label(parsed),
                             reporter_email=sender.address)
        _attach(ticket, None, parsed, _label(parsed))
    mail.ticket_id, mail.state, mail.error = ticket.id, "parsed", verdict.reason
    return mail


def _bounce(mail, parsed: ParsedMail, verdict: Verdict) -> InboundMail:
    """A delivery failure of ours is noted on its ticket; any other bounce is kept, ignored."""
    refs = [i for i in (*parsed.embedded_ids, *parsed.in_reply_to, *parsed.references) if i]
    rows = list(db.session.scalars(select(OutboundMail).where(
        OutboundMail.message_id.in_(refs[:100])))) if refs else []
    if not rows:
        return _ignore(mail, f"{verdict.reason}, not about a mail of ours")
    reason = one_line(parsed.text)[:500]
    for row in rows:
        row.state, row.error = "bounced", reason
        if row.ticket is not None:
            record(row.ticket, None, "mail_bounced", label=parsed.from_addr or "mail",
                   to=row.to_addr, outbound_id=row.id, reason=reason[:300])
            mail.ticket_id = row.ticket_id
    mail.state, mail.error = "parsed", verdict.reason
    return mail


def mark_failed(mail_id: int, exc: BaseException) -> InboundMail | None:
    """Keep a mail that could not be filed in quarantine, with the error (after a rollback)."""
    mail = db.session.get(InboundMail, mail_id)
    if mail is None or mail.state != "new":
        return mail  # filed meanwhile by another run
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
    mail.state = "failed"
    mail.error = f"{type(exc).__name__}: {exc}\n\n{tb}"[:8000]
    mail.attempts += 1
    mail.parsed_at = utcnow()
    return mail
