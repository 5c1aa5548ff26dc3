"""Raw RFC 822 bytes to a ParsedMail: headers, body text, attachments; never raises on bad mail."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import Message
from email.utils import parsedate_to_datetime

from kbdesk.mail.headers import (
    decode_bytes,
    first_address,
    header_text,
    ids_header,
    message_ids,
    one_line,
)
from kbdesk.mail.html import html_to_text

MAX_ATTACHMENTS = 50
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


@dataclass
class Part:
    """One attachment: its safe filename, type and bytes."""

    filename: str
    content_type: str
    data: bytes
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ParsedMail:
    """What intake needs from a message."""

    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_name: str = ""
    from_addr: str = ""
    to_addrs: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    html_only: bool = False
    attachments: list[Part] = field(default_factory=list)
    dropped: list[tuple[str, int]] = field(default_factory=list)
    is_report: bool = False
    embedded_ids: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    has_return_path: bool = False
    content_type: str = "text/plain"

    def header(self, name: str) -> str:
        """A decoded header value, '' when absent."""
        return self.headers.get(name.lower(), "")


# Headers the loop and threading rules read (decoded once).
_KEPT = ("auto-submitted", "precedence", "x-autoreply", "x-autorespond", "x-auto-response-suppress",
         "return-path", "list-id", "list-unsubscribe", "x-loop", "x-kbdesk-loop", "sender",
         "reply-to", "x-mailer", "user-agent", "x-failed-recipients", "content-language",
         "x-ms-exchange-generated-message-source")


def parse_mail(raw: bytes, *, max_attachment_bytes: int) -> ParsedMail:
    """Parse raw bytes; malformed MIME, unknown charsets and garbage give best-effort text."""
    msg = message_from_bytes(raw, policy=policy.compat32)
    fallback = _charset(msg)
    out = ParsedMail()
    out.content_type = _ctype(msg)
    out.message_id = next(iter(message_ids(ids_header(msg, "Message-ID"))), "")
    out.in_reply_to = message_ids(ids_header(msg, "In-Reply-To"))
    out.references = message_ids(ids_header(msg, "References"))
    out.subject = header_text(msg.get("Subject"), fallback)[:1000]
    out.from_name, out.from_addr = first_address(msg.get("From"), fallback)
    out.to_addrs = [a for h in ("To", "Cc", "Delivered-To", "X-Original-To")
                    for v in (msg.get_all(h) or []) if (a := first_address(v, fallback)[1])]
    out.has_return_path = msg.get("Return-Path") is not None
    for name in _KEPT:
        if (value := msg.get(name)) is not None:
            out.headers[name] = header_text(value, fallback)
    try:
        out.date = parsedate_to_datetime(str(msg.get("Date")))
    except (TypeError, ValueError, IndexError):
        out.date = None
    texts, htmls = [], []
    _walk(msg, out, texts, htmls, fallback, max_attachment_bytes)
    if texts:
        out.text = "\n\n".join(t for t in texts if t.strip())
    elif htmls:
        out.text = "\n\n".join(html_to_text(h) for h in htmls)
        out.html_only = True
    out.text = _clean_text(out.text)
    return out


def _walk(part: Message, out: ParsedMail, texts: list, htmls: list, fallback, limit: int) -> None:
    ctype = _ctype(part)
    payload = _raw_payload(part)
    if ctype == "multipart/report":
        out.is_report = out.is_report or "delivery-status" in str(part.get_param("report-type") or "")
    if ctype.startswith("multipart/") and isinstance(payload, list):
        if ctype == "multipart/alternative":
            _alternative(payload, out, texts, htmls, fallback, limit)
            return
        for sub in payload:
            if isinstance(sub, Message):
                _walk(sub, out, texts, htmls, fallback, limit)
        return
    if ctype == "message/rfc822":
        _embedded(part, out, limit)
        return
    if ctype in ("message/delivery-status", "message/global-delivery-status"):
        out.is_report = True
        return
    if ctype == "text/rfc822-headers":
        out.embedded_ids += _ids_in_headers(_text(part, fallback))
        return
    if ctype.startswith("multipart/"):
        # A multipart whose boundary is missing or broken: its body is all there is.
        texts.append(_text(part, fallback))
        return
    filename = _filename(part, fallback)
    disposition = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    if ctype in ("text/plain", "text/html") and not filename and disposition != "attachment":
        (texts if ctype == "text/plain" else htmls).append(_text(part, fallback))
        return
    _attachment(part, out, ctype, filename, disposition == "inline", limit)


def _alternative(subs, out, texts, htmls, fallback, limit) -> None:
    """Prefer the plain-text branch; attachments (inline images) of every branch are kept."""
    branches = []
    for sub in subs:
        if not isinstance(sub, Message):
            continue
        t, h = [], []
        _walk(sub, out, t, h, fallback, limit)
        branches.append((t, h))
    plain = next((t for t, _h in branches if any(x.strip() for x in t)), None)
    if plain is not None:
        texts.extend(plain)
        return
    html = next((h for _t, h in branches if h), None)
    if html:
        htmls.extend(html)


def _embedded(part: Message, out: ParsedMail, limit: int) -> None:
    """A forwarded or bounced message: kept whole as an .eml attachment."""
    inner = _raw_payload(part)
    inner = inner[0] if isinstance(inner, list) and inner else inner
    if not isinstance(inner, Message):
        return
    out.embedded_ids += message_ids(inner.get("Message-ID"))
    try:
        data = inner.as_bytes(policy=policy.compat32)
    except Exception:  # a broken inner message is still kept, as text
        data = str(inner).encode("utf-8", "surrogateescape")
    subject = header_text(inner.get("Subject"), _charset(inner)) or "message"
    name = _safe_name(subject[:120] + ".eml", "message/rfc822", len(out.attachments) + 1)
    _keep(out, Part(name, "message/rfc822", data), limit)


def _attachment(part, out, ctype, filename, inline, limit) -> None:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # undecodable transfer encoding: keep the encoded form
        data = None
    if data is None:
        raw = _raw_payload(part)
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    name = _safe_name(filename, ctype, len(out.attachments) + 1)
    _keep(out, Part(name, ctype, data, inline=inline), limit)


def _keep(out: ParsedMail, item: Part, limit: int) -> None:
    if item.size > limit or len(out.attachments) >= MAX_ATTACHMENTS:
        out.dropped.append((item.filename, item.size))
    elif item.size:
        out.attachments.append(item)


def _text(part: Message, fallback: str | None) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        raw = _raw_payload(part)
        if isinstance(raw, list):
            return ""
        data = str(raw).encode("utf-8", "surrogateescape")
    return decode_bytes(data, _charset(part) or fallback)


def _raw_payload(part: Message):
    """The undecoded payload (a list for multiparts); get_payload() chokes on odd charsets."""
    try:
        return part.get_payload()
    except Exception:
        return part._payload  # the parser's own copy of the body


def _charset(part: Message) -> str | None:
    try:
        charset = part.get_content_charset()
    except Exception:
        return None
    return str(charset) if charset else None


def _ctype(part: Message) -> str:
    try:
        ctype = part.get_content_type()
    except Exception:
        return "application/octet-stream"
    return ctype if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", ctype) else "application/octet-stream"


def _filename(part: Message, fallback: str | None) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name:
        # Old Outlook puts the name only on Content-Type.
        try:
            name = part.get_param("name")
        except Exception:
            name = None
        if isinstance(name, tuple):
            name = name[2]
    return header_text(name, fallback) if name else ""


def _safe_name(name: str, ctype: str, n: int) -> str:
    """A display filename: no directories, no control characters, bounded length."""
    name = one_line(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" ._")
    if not name:
        ext = mimetypes.guess_extension(ctype) or ".bin"
        name = f"attachment-{n}{ext}"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + "." + ext[:9]) if dot and len(ext) <= 10 else name[:200]
    return name


def _ids_in_headers(text: str) -> list[str]:
    ids = []
    for line in text.splitlines():
        if line.lower().startswith(("message-id:", "in-reply-to:", "references:")):
            ids += message_ids(line.partition(":")[2])
    return ids


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{4,}", "\n\n\n", "\n".join(lines)).strip()
