"""Ticket attachments: stored by content hash, size-limited, text extracted for search."""

from __future__ import annotations

import mimetypes
import os
import re
import unicodedata
from typing import BinaryIO
from urllib.parse import quote

from flask import current_app
from sqlalchemy import select

from kbdesk import blobs
from kbdesk.accounts.models import User
from kbdesk.errors import Forbidden, NotFound, ServiceError, ValidationError
from kbdesk.extensions import db
from kbdesk.search.indexing import mark_dirty
from kbdesk.tickets.models import Attachment, Message, Ticket
from kbdesk.tickets.services import record

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
# Extracted text is for search and matching; the head of a huge log is what matters.
TEXT_MAX_CHARS = 200_000
TEXT_EXTENSIONS = {".log", ".txt", ".csv", ".json", ".xml", ".md", ".ini", ".yaml", ".yml",
                   ".conf", ".cfg", ".out", ".err", ".trace"}
# Types a browser would run or render if it ever ignored the download disposition.
ACTIVE_TYPES = {"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml",
                "application/xml", "application/javascript", "text/javascript"}
CHUNK = 64 * 1024
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


class TooLarge(ServiceError):
    """The file is over the configured size limit."""

    status = 413
    code = "too_large"


def too_large(limit: int) -> TooLarge:
    """The error for a file over the limit, naming the limit."""
    shown = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
    message = f"The file is larger than the limit of {shown}."
    return TooLarge(message, {"file": message})


def max_bytes() -> int:
    """The configured size limit of one attachment."""
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


storage_path = blobs.path_for


def sanitize_filename(name: str | None) -> str:
    """A display name safe to show and to send: no path, no control or reserved characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE.sub("_", name).strip().strip(".").strip()
    name = re.sub(r"\s+", " ", name)
    if not name or set(name) <= {"_", " "}:
        return "attachment"
    if len(name) > 200:
        stem, ext = os.path.splitext(name)
        ext = ext[:20]
        name = stem[: 200 - len(ext)] + ext
    return name


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the RFC 5987 UTF-8 name."""
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'[^A-Za-z0-9._ ()+-]', "_", folded).strip() or "attachment"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def guess_type(filename: str) -> str:
    """The content type from the (sanitised) name, never from the client's claim."""
    guessed, _enc = mimetypes.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


def served_type(content_type: str) -> str:
    """The type to send: active content goes out as an opaque download."""
    base = (content_type or "").split(";")[0].strip().lower()
    if base in ACTIVE_TYPES or not base:
        return "application/octet-stream"
    return base


def is_text_like(filename: str) -> bool:
    """Logs, txt, csv, json, xml, md and a few config formats."""
    return os.path.splitext(filename.lower())[1] in TEXT_EXTENSIONS


def extract_text(data: bytes, filename: str) -> str:
    """Decoded text of a text-like file (UTF-8, then cp1250), capped; '' for anything else."""
    if not is_text_like(filename):
        return ""
    head = data[: TEXT_MAX_CHARS * 4]
    if b"\x00" in head[:8192]:
        return ""  # binary under a text name
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # A cut in the middle of a multi-byte character is not a reason to give up on UTF-8.
        if exc.start >= len(head) - 3 and len(head) < len(data):
            text = head[: exc.start].decode("utf-8-sig", errors="strict")
        else:
            text = head.decode("cp1250", errors="replace")
    text = text.replace("\r\n", "\n").replace("\x00", "")
    return text[:TEXT_MAX_CHARS]


def _read_limited(stream: BinaryIO, limit: int) -> bytes:
    """Read at most limit bytes; one byte more is a TooLarge."""
    parts, size = [], 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        parts.append(chunk)
    return b"".join(parts)


def add_attachment(actor: User | None, ticket: Ticket, stream: BinaryIO | bytes, filename: str,
                   *, internal: bool = False, message: Message | None = None,
                   label: str = "") -> Attachment:
    """Attach a file to a ticket (or to one of its messages); one event per attachment."""
    if internal and (actor is None or not actor.is_staff):
        raise Forbidden("Only staff add internal attachments.")
    if message is not None:
        if message.ticket_id != ticket.id:
            raise ValidationError({"message": "The message belongs to another ticket."})
        # A file on an internal note is as internal as the note.
        internal = internal or message.internal
    display = sanitize_filename(filename)
    if isinstance(stream, bytes | bytearray):
        data = bytes(stream)
        if len(data) > max_bytes():
            raise too_large(max_bytes())
    else:
        data = _read_limited(stream, max_bytes())
    if not data:
        raise ValidationError({"file": "The file is empty."})
    sha = blobs.store(data)
    attachment = Attachment(
        ticket=ticket, message=message, filename=display, content_type=guess_type(display),
        size=len(data), sha256=sha, text=extract_text(data, display), internal=internal,
        uploaded_by_id=actor.id if actor is not None else None)
    db.session.add(attachment)
    db.session.flush()
    record(ticket, actor, "attachment", public=not internal, label=label,
           attachment_id=attachment.id, filename=display, size=len(data), internal=internal)
    mark_dirty(ticket)
    return attachment


def visible_attachments(actor: User, ticket: Ticket) -> list[Attachment]:
    """The ticket's attachments the actor may see (customers never internal ones)."""
    if actor.is_staff:
        return list(ticket.attachments)
    return [a for a in ticket.attachments if not a.internal]


def get_attachment(actor: User, ticket: Ticket, attachment_id: int) -> Attachment:
    """One attachment of a ticket the actor already may see; anything else is NotFound."""
    att = db.session.scalar(select(Attachment).where(
        Attachment.id == attachment_id, Attachment.ticket_id == ticket.id))
    if att is None or (att.internal and not actor.is_staff):
        raise NotFound("No such attachment.")
    return att


def open_content(att: Attachment) -> BinaryIO:
    """The stored bytes of an attachment, as a file."""
    path = storage_path(att.sha256)
    if not path.exists():
        raise NotFound("The file of this attachment is missing.")
    return path.open("rb")


def download_response(att: Attachment):
    """A download response with the safe headers."""
    from flask import send_file

    response = send_file(open_content(att), mimetype=served_type(att.content_type),
                         as_attachment=False, conditional=False, max_age=0)
    response.headers["Content-Disposition"] = content_disposition(att.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    response.content_length = att.size
    return response
