"""Our outbound Message-IDs carry an HMAC of the ticket id, so replies thread unforgeably."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from flask import current_app
from sqlalchemy import select

from kbdesk.extensions import db
from kbdesk.mail.headers import domain_of
from kbdesk.mail.loops import our_address
from kbdesk.mail.models import OutboundMail

_OURS = re.compile(r"^kbd\.(\d{1,12})\.([0-9a-f]{12})\.([0-9a-f]{24})@")


def _mac(ticket_id: int, nonce: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    msg = f"kbdesk-mail-id:{ticket_id}.{nonce}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:24]


def make_message_id(ticket_id: int | None) -> str:
    """A new Message-ID (without angle brackets) naming a ticket, 0 for none."""
    tid = int(ticket_id or 0)
    nonce = secrets.token_hex(6)
    return f"kbd.{tid}.{nonce}.{_mac(tid, nonce)}@{domain_of(our_address()) or 'kbdesk.localhost'}"


def verified_ticket_id(message_id: str) -> int | None:
    """The ticket id an id of ours names when its HMAC checks out; None for anything else."""
    m = _OURS.match(message_id or "")
    if m is None:
        return None
    tid, nonce, mac = int(m.group(1)), m.group(2), m.group(3)
    if not hmac.compare_digest(mac, _mac(tid, nonce)):
        return None
    return tid


def is_ours(message_id: str) -> bool:
    """Whether a Message-ID is one we generated (signed, or recorded as sent)."""
    if not message_id or _OURS.match(message_id) is None:
        return False  # every id we make has this shape
    if verified_ticket_id(message_id) is not None:
        return True
    # Signed with an older key: still ours if we recorded sending it.
    return db.session.scalar(
        select(OutboundMail.id).where(OutboundMail.message_id == message_id).limit(1)) is not None
