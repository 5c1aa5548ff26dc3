"""Telling the customer's contacts: by e-mail when the mail feature is there, always in history."""

from __future__ import annotations

import logging
from datetime import datetime

from kbdesk.customers.models import Contact
from kbdesk.monitor import notices
from kbdesk.tickets.models import Ticket
from kbdesk.tickets.services import record

log = logging.getLogger("kbdesk.monitor.notify")


def _outbound():
    """kbdesk.mail.outbound.queue_mail, when the mail feature is installed."""
    try:
        from kbdesk.mail import outbound
    except ImportError:
        return None
    return getattr(outbound, "queue_mail", None)


def recipients(ticket: Ticket) -> list[Contact]:
    """The customer's contacts that have an e-mail address."""
    if ticket.customer is None:
        return []
    return [c for c in ticket.customer.contacts if c.email]


def tell_contacts(ticket: Ticket, notice: str, *, now: datetime, **context) -> int:
    """Send one notice to every contact in their own language; each becomes a ticket event."""
    send = _outbound()
    told = 0
    for contact in recipients(ticket):
        language = notices.lang(contact.language)
        ctx = dict(context)
        for key in ("started", "ended", "confirmed"):
            if isinstance(ctx.get(key), datetime):
                ctx[key] = notices.when(ctx[key], ticket.customer.timezone, language)
        if isinstance(ctx.get("downtime_s"), int):
            ctx["downtime"] = notices.duration(ctx["downtime_s"], language)
        subject, body = notices.render(notice, language, ticket_number=ticket.number, **ctx)
        mail = {"channel": "recorded"}
        if send is not None:
            try:
                row = send(kind="monitor", to_addr=contact.email, to_name=contact.name,
                           subject=subject, body=body, automatic=True, language=language,
                           ticket=ticket)
                mail = {"channel": "email", "outbound_id": getattr(row, "id", None),
                        "state": getattr(row, "state", "")}
            except Exception:  # a mail fault must not undo the incident itself
                log.exception("notifying %s about %s failed", contact.email, ticket.number)
        record(ticket, None, "notification", label="monitor", at=now, notice=notice,
               to=contact.email, contact_id=contact.id, language=language, subject=subject,
               **mail)
        told += 1
    return told
