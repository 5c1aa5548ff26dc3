"""Loop safety: which mail is machine-sent, and caps on the automatic mail we send back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import and_, case, func, literal, or_, select

from kbdesk.db_types import utcnow
from kbdesk.extensions import db
from kbdesk.mail.models import OutboundMail
from kbdesk.mail.parse import ParsedMail

_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mail-delivery-subsystem)([+-].*)?$")
_NOREPLY = re.compile(r"^(no-?reply|do-?not-?reply|donotreply|bounces?|auto-?reply)([+-._].*)?$")
# Subjects of auto-responders that forget the headers; they only stop the acknowledgement.
_AUTO_SUBJECT = re.compile(
    r"^(automatic reply|auto(matic)?[- ]?response|out of (the )?office|autoreply|"
    r"automatická odpověď|automaticka odpoved|nepřítomnost|mimo kancelář|abwesenheit|"
    r"undeliverable|undelivered mail|delivery status notification|nedoručitelné)\b",
    re.IGNORECASE)

# Defaults; settings of the same name override them.
DEFAULT_CAPS = {
    "MAIL_ACK_PER_SENDER_HOUR": 3,
    "MAIL_AUTO_PER_TICKET_HOUR": 5,
    "MAIL_AUTO_PER_RECIPIENT_DAY": 30,
}


@dataclass(frozen=True)
class Verdict:
    """How intake treats a message: human, suspect, auto, auto-reply, bounce or own."""

    kind: str
    reason: str = ""

    @property
    def automatic(self) -> bool:
        """Machine-sent (or looks it): never acknowledged, never reopens a ticket."""
        return self.kind != "human"


def our_address() -> str:
    """Our own From address, lower-case."""
    return _address_of(current_app.config.get("MAIL_FROM") or "")


@lru_cache(maxsize=8)
def _address_of(mail_from: str) -> str:
    from kbdesk.mail.headers import first_address

    return first_address(mail_from)[1] or "support@kbdesk.localhost"


def classify(mail: ParsedMail, *, is_ours) -> Verdict:
    """Decide whether a message came from a person; is_ours(message_id) knows our ids."""
    verdict = _classify(mail, is_ours)
    if verdict.kind == "auto" and _AUTO_SUBJECT.match(mail.subject):
        # Machine-sent and titled like an out-of-office note (Exchange marks its OOF
        # replies auto-generated): an automatic reply, not a report.
        return Verdict("auto-reply", verdict.reason)
    return verdict


def _classify(mail: ParsedMail, is_ours) -> Verdict:
    local = mail.from_addr.partition("@")[0]
    if mail.from_addr and mail.from_addr == our_address():
        return Verdict("own", "sent from our own address")
    if mail.header("x-kbdesk-loop") or (mail.message_id and is_ours(mail.message_id)):
        return Verdict("own", "our own message came back")
    if mail.is_report:
        return Verdict("bounce", "delivery-status report")
    if _DAEMON.match(local):
        return Verdict("bounce", f"sent by {local}")
    auto = mail.header("auto-submitted").lower()
    if auto and not auto.startswith("no"):
        kind = "auto-reply" if auto.startswith("auto-replied") else "auto"
        return Verdict(kind, f"Auto-Submitted: {auto[:40]}")
    if mail.header("x-autoreply") or mail.header("x-autorespond"):
        return Verdict("auto-reply", "X-Autoreply")
    if mail.header("x-auto-response-suppress"):
        return Verdict("auto", "X-Auto-Response-Suppress")
    precedence = mail.header("precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return Verdict("auto-reply" if precedence == "auto_reply" else "auto",
                       f"Precedence: {precedence}")
    if mail.has_return_path and mail.header("return-path").strip("<> ") == "":
        return Verdict("auto", "empty Return-Path")
    if _NOREPLY.match(local):
        return Verdict("auto", f"sent from {local}")
    if _AUTO_SUBJECT.match(mail.subject):
        # A subject alone proves nothing: no acknowledgement, but the ticket is opened.
        return Verdict("suspect", "auto-responder subject")
    return Verdict("human")


def mailable(address: str) -> bool:
    """Whether we may send automatic mail to an address at all."""
    local, at, domain = address.partition("@")
    return bool(at and local and "." in domain and address != our_address()
                and not _DAEMON.match(local) and not _NOREPLY.match(local))


def _cap(name: str) -> int:
    return int(current_app.config.get(name, DEFAULT_CAPS[name]))


def automatic_refusal(to_addr: str, ticket_id: int | None, kind: str) -> str:
    """Why an automatic mail must not go out now ('' when it may)."""
    if not mailable(to_addr):
        return "recipient does not take automatic mail"
    now = utcnow()
    hour, day = now - timedelta(hours=1), now - timedelta(days=1)
    recent = OutboundMail.created_at >= hour
    to_sender = OutboundMail.to_addr == to_addr
    # One query for the three counters.
    acks, of_ticket, to_recipient = db.session.execute(
        select(func.count(case((and_(OutboundMail.kind == "ack", to_sender, recent), 1))),
               func.count(case((and_(OutboundMail.ticket_id == ticket_id, recent), 1)))
               if ticket_id is not None else literal(0),
               func.count(case((to_sender, 1))))
        .where(OutboundMail.automatic.is_(True), OutboundMail.state.in_(("queued", "sent")),
               OutboundMail.created_at >= day,
               or_(to_sender, OutboundMail.ticket_id == ticket_id) if ticket_id is not None
               else to_sender)).one()
    if kind == "ack" and acks >= _cap("MAIL_ACK_PER_SENDER_HOUR"):
        return "acknowledgements to this sender capped for the hour"
    if of_ticket >= _cap("MAIL_AUTO_PER_TICKET_HOUR"):
        return "automatic mails of this ticket capped for the hour"
    if to_recipient >= _cap("MAIL_AUTO_PER_RECIPIENT_DAY"):
        return "automatic mails to this recipient capped for the day"
    return ""
