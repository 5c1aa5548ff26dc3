"""Helpers for the mail tests: fixture files, ports, building replies."""

from __future__ import annotations

import socket
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from sqlalchemy import func, select

from kbdesk.extensions import db
from kbdesk.mail.models import InboundMail, OutboundMail
from kbdesk.tickets.models import Message, Ticket

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "mail"


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fixture_bytes(name: str) -> bytes:
    """The raw bytes of a fixture message."""
    return (FIXTURES / name).read_bytes()


def all_fixtures() -> list[str]:
    return sorted(p.name for p in FIXTURES.glob("*.eml"))


def mail(*, sender: str, subject: str, body: str, name: str = "", to: str = "podpora@kbdesk.test",
         in_reply_to: str = "", references: str = "", message_id: str | None = None,
         headers: dict | None = None) -> bytes:
    """A plain-text message as a mail client would send it."""
    msg = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Tue, 13 Jan 2026 10:00:00 +0100"
    if message_id is not False:
        msg["Message-ID"] = message_id or make_msgid(domain=sender.partition("@")[2] or "x.test")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    return msg.as_bytes()


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def tickets() -> list[Ticket]:
    return list(db.session.scalars(select(Ticket).order_by(Ticket.id)))


def messages(ticket: Ticket) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.ticket_id == ticket.id)
                                   .order_by(Message.id)))


def inbound() -> list[InboundMail]:
    return list(db.session.scalars(select(InboundMail).order_by(InboundMail.id)))


def outbound(**filters) -> list[OutboundMail]:
    stmt = select(OutboundMail).order_by(OutboundMail.id)
    for k, v in filters.items():
        stmt = stmt.where(getattr(OutboundMail, k) == v)
    return list(db.session.scalars(stmt))
