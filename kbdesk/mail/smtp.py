"""Sending one OutboundMail over SMTP (KBDESK_SMTP_URL: smtp://, smtps://, ?starttls=1)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from flask import current_app

from kbdesk.db_types import utcnow
from kbdesk.mail.headers import domain_of, one_line
from kbdesk.mail.loops import our_address
from kbdesk.mail.models import OutboundMail
from kbdesk.mail.urls import parse_server_url

TIMEOUT = 30
# Long lines are folded only at 998: the default 78 makes Python wrap a long Message-ID in
# References into an encoded word, which breaks threading in the customer's mail client.
POLICY = policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    ssl: bool
    starttls: bool
    user: str
    password: str
    cafile: str = ""


def smtp_settings(url: str) -> SmtpSettings:
    """Parse smtp://[user:pass@]host[:port][?starttls=1] or smtps://… (&cafile=PATH)."""
    common, _query, _path = parse_server_url(
        url, ("smtp", "smtps"), (25, 465),
        "KBDESK_SMTP_URL must look like smtp://host:port or smtps://host:port")
    return SmtpSettings(**common)


def build_message(row: OutboundMail, *, from_name: str) -> EmailMessage:
    """The MIME message of a row; names and subjects are one line, so no header injection."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = formataddr((one_line(from_name), our_address()))
    msg["To"] = formataddr((one_line(row.to_name), one_line(row.to_addr)))
    msg["Subject"] = one_line(row.subject)
    msg["Date"] = format_datetime(row.created_at or utcnow())
    msg["Message-ID"] = f"<{row.message_id}>"
    if row.in_reply_to:
        msg["In-Reply-To"] = f"<{row.in_reply_to}>"
    if row.references:
        msg["References"] = " ".join(f"<{r}>" for r in row.references.split())
    if row.automatic:
        msg["Auto-Submitted"] = "auto-replied" if row.kind == "ack" else "auto-generated"
        # Ask Exchange and friends not to answer an automatic mail with their own.
        msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Kbdesk-Loop"] = domain_of(our_address()) or "kbdesk"
    msg["Content-Language"] = row.language
    msg.set_content(row.body or "", charset="utf-8")
    return msg


def deliver(msg: EmailMessage, to_addr: str) -> None:
    """Hand one message to the SMTP server; raises on any failure (the task retries)."""
    url = current_app.config.get("SMTP_URL")
    if not url:
        raise RuntimeError("KBDESK_SMTP_URL is not set")
    s = smtp_settings(url)
    context = ssl.create_default_context(cafile=s.cafile or None)
    cls = smtplib.SMTP_SSL if s.ssl else smtplib.SMTP
    kwargs = {"context": context} if s.ssl else {}
    with cls(s.host, s.port, timeout=TIMEOUT, **kwargs) as smtp:
        if s.starttls:
            smtp.starttls(context=context)
        if s.user:
            smtp.login(s.user, s.password)
        smtp.send_message(msg, from_addr=our_address(), to_addrs=[to_addr])
