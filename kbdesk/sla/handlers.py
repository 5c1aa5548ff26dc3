"""Ticket signals drive the SLA clocks; each receiver works in the sender's transaction."""

from __future__ import annotations

from kbdesk.sla import services
from kbdesk.tickets.signals import message_added, ticket_changed, ticket_opened


def on_ticket_opened(ticket, **_kw) -> None:
    """A new ticket gets its due times (or 'no SLA') from the contract in force."""
    services.start(ticket)


def on_ticket_changed(ticket, changes=None, **_kw) -> None:
    """Severity, status and customer changes move the clocks (at the change's own time)."""
    if changes and {"severity", "status", "customer"} & set(changes):
        services.ticket_changed(ticket, changes, ticket.updated_at)


def on_message_added(message, actor=None, ticket=None, **_kw) -> None:
    """A public reply by staff (not an automatic one) meets the first response."""
    if message.internal or message.automatic or actor is None or not actor.is_staff:
        return
    services.public_reply(ticket or message.ticket, message.created_at)


def connect() -> None:
    """Listen to the ticket signals (blinker ignores a second connect of the same receiver)."""
    ticket_opened.connect(on_ticket_opened)
    ticket_changed.connect(on_ticket_changed)
    message_added.connect(on_message_added)
