"""Raw mail first: bytes to DATA_DIR/mail/<sha[:2]>/<sha> and a row, committed before parsing."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from kbdesk.extensions import db
from kbdesk.mail.headers import first_address, header_text, ids_header, message_ids
from kbdesk.mail.models import InboundMail
from kbdesk.tasks import after_commit

log = logging.getLogger("kbdesk.mail")


class StoreError(Exception):
    """The message could not be stored; the sender (mail server, mailbox) must keep it."""


def raw_path(sha256: str) -> Path:
    """Where the raw bytes of a message with this hash live."""
    return Path(current_app.config["DATA_DIR"]) / "mail" / sha256[:2] / sha256


def read_raw(mail: InboundMail) -> bytes:
    """The raw bytes of a stored message."""
    return raw_path(mail.sha256).read_bytes()


def _write_file(path: Path, data: bytes) -> None:
    """Write atomically and durably: a crash leaves the old file or the whole new one."""
    if path.exists() and path.stat().st_size == len(data):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _summary(raw: bytes) -> tuple[str, str, str]:
    """Message-ID, sender and subject from the header block (best effort)."""
    try:
        head = BytesHeaderParser(policy=compat32).parsebytes(raw[:256 * 1024])
    except Exception:  # unparseable headers: the hash identifies the message
        return "", "", ""
    mid = next(iter(message_ids(ids_header(head, "Message-ID"))), "")[:298]
    return mid, first_address(head.get("From"))[1], header_text(head.get("Subject"))[:300]


def dedupe_key(message_id: str, sha256: str) -> str:
    """One row per message: by Message-ID, or by content hash when it has none."""
    return f"mid:{message_id}" if message_id else f"sha:{sha256}"


def find_duplicate(key: str) -> InboundMail | None:
    """The row already stored under a dedupe key."""
    return db.session.scalar(select(InboundMail).where(InboundMail.dedupe_key == key))


def save_raw(raw: bytes, *, source: str = "pipe") -> tuple[InboundMail, bool]:
    """Write the bytes and add the row (flushed, not committed); (row, False) for a duplicate."""
    # Everything is kept, however odd: size and content are judged when parsing.
    sha = hashlib.sha256(raw).hexdigest()
    mid, sender, subject = _summary(raw)
    key = dedupe_key(mid, sha)
    if (existing := find_duplicate(key)) is not None:
        return existing, False
    _write_file(raw_path(sha), raw)
    mail = InboundMail(dedupe_key=key, message_id=mid, sha256=sha, size=len(raw), source=source,
                       state="new", from_addr=sender, subject=subject)
    db.session.add(mail)
    db.session.flush()
    return mail, True


def receive(raw: bytes, *, source: str = "pipe") -> tuple[InboundMail, bool]:
    """The intake boundary: store, commit, then queue parsing; (row, created). Raises StoreError."""
    try:
        mail, created = save_raw(raw, source=source)
        if created:
            after_commit(queue_parse, mail.id)
        db.session.commit()
    except IntegrityError:
        # Another process stored the same message a moment ago: that copy counts.
        db.session.rollback()
        _mid, _sender, _subject = _summary(raw)
        existing = find_duplicate(dedupe_key(_mid, hashlib.sha256(raw).hexdigest()))
        if existing is None:
            raise StoreError("could not store the message (integrity error)") from None
        return existing, False
    except (OSError, SQLAlchemyError) as exc:
        db.session.rollback()
        raise StoreError(f"could not store the message: {exc}") from exc
    return mail, created


def queue_parse(mail_id: int) -> None:
    """Enqueue parsing; if the queue is down, the sweep task picks the row up later."""
    from kbdesk.mail.tasks import parse_inbound

    try:
        parse_inbound(mail_id)
    except Exception:
        log.exception("could not queue parsing of inbound mail %s; the sweep will", mail_id)
