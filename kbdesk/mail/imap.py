"""Polling an IMAP mailbox: store each message, and only then flag it (or move it)."""

from __future__ import annotations

import imaplib
import logging
import ssl
from dataclasses import dataclass
from urllib.parse import unquote

from kbdesk.mail.store import StoreError, receive
from kbdesk.mail.urls import parse_server_url

log = logging.getLogger("kbdesk.mail")
KEYWORD = "$KbdeskStored"
TIMEOUT = 60


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    ssl: bool
    starttls: bool
    user: str
    password: str
    mailbox: str
    move_to: str
    cafile: str = ""


@dataclass
class PollResult:
    stored: int = 0
    duplicates: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"{self.stored} stored, {self.duplicates} already stored, {self.failed} failed"


def imap_settings(url: str) -> ImapSettings:
    """Parse imaps://user:pass@host:port/MAILBOX or imap://…?starttls=1.

    Options: move=Folder (move stored mail there instead of flagging it), cafile=PATH (trust
    this CA, e.g. a private server's certificate).
    """
    common, query, path = parse_server_url(
        url, ("imap", "imaps"), (143, 993),
        "KBDESK_IMAP_URL must look like imaps://user:pass@host:993/INBOX")
    return ImapSettings(**common, mailbox=unquote(path.lstrip("/")) or "INBOX",
                        move_to=unquote(query.get("move", [""])[0]))


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def connect(s: ImapSettings) -> imaplib.IMAP4:
    """A logged-in connection (TLS from the start, or upgraded with STARTTLS)."""
    context = ssl.create_default_context(cafile=s.cafile or None)
    if s.ssl:
        conn = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=context, timeout=TIMEOUT)
    else:
        conn = imaplib.IMAP4(s.host, s.port, timeout=TIMEOUT)
        if s.starttls:
            conn.starttls(ssl_context=context)
    conn.login(s.user, s.password)
    return conn


def _keywords_allowed(conn: imaplib.IMAP4) -> bool:
    """Whether the mailbox keeps our own keyword (PERMANENTFLAGS lists \\*)."""
    _typ, data = conn.response("PERMANENTFLAGS")
    return any(item and b"\\*" in item for item in (data or []) if isinstance(item, bytes))


def _uids(conn: imaplib.IMAP4, keywords: bool) -> list[bytes]:
    """Messages we have not stored yet: without our keyword, else the unseen ones."""
    typ, data = ("NO", None)
    if keywords:
        typ, data = conn.uid("SEARCH", None, "NOT", "KEYWORD", KEYWORD)
    if typ != "OK":
        typ, data = conn.uid("SEARCH", None, "UNSEEN")
    if typ != "OK" or not data or not data[0]:
        return []
    return data[0].split()


def _fetch(conn: imaplib.IMAP4, uid: bytes) -> bytes | None:
    typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
    if typ != "OK":
        return None
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


def _capabilities(conn: imaplib.IMAP4) -> set[str]:
    """The capabilities after login (servers announce MOVE and UIDPLUS only then)."""
    typ, data = conn.capability()
    if typ != "OK" or not data or not data[0]:
        return set(conn.capabilities)
    return set(data[0].decode("ascii", "replace").upper().split())


def _done(conn: imaplib.IMAP4, uid: bytes, move_to: str, caps: set[str], keywords: bool) -> None:
    """Mark a stored message: flag it, then move it when asked."""
    conn.uid("STORE", uid, "+FLAGS", f"(\\Seen {KEYWORD})" if keywords else "(\\Seen)")
    if not move_to:
        return
    if "MOVE" in caps:
        conn.uid("MOVE", uid, _quote(move_to))
        return
    typ, _ = conn.uid("COPY", uid, _quote(move_to))
    if typ == "OK" and "UIDPLUS" in caps:
        # Only this message may go: a plain EXPUNGE would also remove others' deletions.
        conn.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        conn.uid("EXPUNGE", uid)


def poll(url: str, *, limit: int = 500) -> PollResult:
    """Store up to limit new messages; each is flagged or moved only after its commit."""
    s = imap_settings(url)
    result = PollResult()
    conn = connect(s)
    try:
        typ, _ = conn.select(_quote(s.mailbox))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"cannot open mailbox {s.mailbox}")
        keywords = _keywords_allowed(conn)
        caps = _capabilities(conn)
        if s.move_to:
            conn.create(_quote(s.move_to))  # fails harmlessly when it exists
        for uid in _uids(conn, keywords)[:limit]:
            raw = _fetch(conn, uid)
            if not raw:
                result.failed += 1
                continue
            try:
                _mail, created = receive(raw, source="imap")
            except StoreError as exc:
                # Not stored: leave it untouched in the mailbox for the next poll.
                log.error("IMAP uid %s not stored: %s", uid.decode(), exc)
                result.failed += 1
                continue
            if created:
                result.stored += 1
            else:
                result.duplicates += 1
            _done(conn, uid, s.move_to, caps, keywords)
    finally:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return result

