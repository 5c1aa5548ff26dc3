"""Inbound mails (stored raw before parsing) and outbound mails (one row per message sent)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kbdesk.db_types import UTCDateTime, utcnow
from kbdesk.extensions import db

INBOUND_STATES = ("new", "parsed", "failed", "ignored")
OUTBOUND_STATES = ("queued", "sent", "failed", "suppressed", "bounced")
OUTBOUND_KINDS = ("ack", "reply", "status", "notification")


class InboundMail(db.Model):
    """One received message; the raw bytes live in DATA_DIR/mail/<sha[:2]>/<sha>."""

    __tablename__ = "mail_inbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "mid:<Message-ID>", or "sha:<sha256>" for a message without one: one row per message.
    dedupe_key: Mapped[str] = mapped_column(String(320), unique=True)
    message_id: Mapped[str] = mapped_column(String(300), default="", index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(20), default="pipe")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    state: Mapped[str] = mapped_column(String(10), default="new", index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    from_addr: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    parsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    ticket_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_messages.id", ondelete="SET NULL"))

    ticket = relationship("Ticket")

    def __repr__(self) -> str:
        return f"<InboundMail {self.id} {self.state}>"


class OutboundMail(db.Model):
    """One message we send; its Message-ID carries an HMAC so replies thread safely."""

    __tablename__ = "mail_outbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    ticket_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("ticket_messages.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_addr: Mapped[str] = mapped_column(String(254), index=True)
    to_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(2), default="en")
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    in_reply_to: Mapped[str] = mapped_column(String(300), default="")
    references: Mapped[str] = mapped_column(Text, default="")
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket = relationship("Ticket")

    def __repr__(self) -> str:
        return f"<OutboundMail {self.id} {self.kind} {self.state}>"
