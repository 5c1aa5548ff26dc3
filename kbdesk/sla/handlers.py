"""Ticket signals drive the SLA clocks and staff notices; each receiver works in the sender's
transaction."""

from __future__ import annotations

from flask_babel import gettext as _

from kbdesk.sla import notify, services
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


def on_customer_reply(message, actor=None, ticket=None, **_kw) -> None:
    """A customer's reply (portal, e-mail, API) tells whoever handles the ticket."""
    if message.internal or message.automatic or (actor is not None and actor.is_staff):
        return
    ticket = ticket or message.ticket
    people = [ticket.assignee] + [w.user for w in ticket.watchers]
    if not notify.active_staff(people):
        people = notify.watchers(ticket)

    def text():
        return _("%(number)s: the customer replied", number=ticket.number)

    notify.notify(people, ticket, "customer_reply", text)


def connect() -> None:
    """Listen to the ticket signals (blinker ignores a second connect of the same receiver)."""
    ticket_opened.connect(on_ticket_opened)
    ticket_changed.connect(on_ticket_changed)
    message_added.connect(on_message_added)
    message_added.connect(on_customer_reply)
