"""Which customer a sender belongs to, and which ticket a message continues (if any)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import String, cast, func, select

from kbdesk.accounts.models import User
from kbdesk.customers.models import Contact, Customer
from kbdesk.extensions import db
from kbdesk.mail.headers import domain_of
from kbdesk.mail.ids import verified_ticket_id
from kbdesk.mail.models import InboundMail
from kbdesk.mail.parse import ParsedMail
from kbdesk.tickets.models import Message, Ticket

NUMBER_TAG = re.compile(r"\[\s*#\s*(\d{4}-\d{4,8})\s*\]")


@dataclass
class Sender:
    """Who wrote: the address, and the customer/contact when we know them."""

    address: str
    name: str = ""
    customer: Customer | None = None
    contact: Contact | None = None


def number_in_subject(subject: str) -> str | None:
    """The ticket number tagged in a subject, e.g. [#2026-000123]."""
    m = NUMBER_TAG.search(subject or "")
    return m.group(1) if m else None


def match_sender(address: str, name: str = "", *, create_contact: bool = True) -> Sender:
    """A known contact, a customer user, or an allowed domain names the customer; else none."""
    sender = Sender(address=address, name=name)
    if not address:
        return sender
    # The indexed exact match finds addresses stored in lower case (as intake stores them);
    # the case-insensitive scan is for contacts typed in by hand.
    contacts = list(db.session.scalars(
        select(Contact).where(Contact.email == address).order_by(Contact.id))) or list(
        db.session.scalars(select(Contact).where(func.lower(Contact.email) == address)
                           .order_by(Contact.id)))
    if len({c.customer_id for c in contacts}) == 1:
        sender.contact, sender.customer = contacts[0], contacts[0].customer
        return sender
    if contacts:
        return sender  # the same address at two customers: staff decide
    user = db.session.scalar(select(User).where(  # user addresses are stored in lower case
        User.email == address, User.customer_id.is_not(None)))
    if user is not None and user.customer is not None:
        sender.customer = user.customer
        return sender
    domain = domain_of(address)
    # The JSON list as text narrows the candidates in SQL (any database); Python decides.
    pattern = '%"' + domain.replace("\\", "").replace("%", "").replace('"', "") + '"%'
    candidates = db.session.scalars(select(Customer).where(
        Customer.active.is_(True),
        func.lower(cast(Customer.allowed_domains, String)).like(pattern)))
    owners = [c for c in candidates
              if domain in {str(d).lower().strip() for d in (c.allowed_domains or [])}]
    if len(owners) == 1:
        sender.customer = owners[0]
        if create_contact:
            sender.contact = Contact(customer=owners[0], email=address,
                                     name=(name or address.partition("@")[0])[:200],
                                     language=owners[0].language or "cs")
            db.session.add(sender.contact)
            db.session.flush()
    return sender


def _live(ticket: Ticket | None) -> Ticket | None:
    """Follow merges to the ticket that lives on."""
    for _ in range(5):
        if ticket is None or ticket.merged_into_id is None:
            break
        ticket = ticket.merged_into
    return ticket


def _may_write(ticket: Ticket, sender: Sender, *, signed: bool) -> bool:
    """Whether this sender may add to this ticket by mail."""
    if sender.customer is not None and ticket.customer_id is not None:
        # Known on both sides: only the ticket's own customer, however the mail is tagged.
        return sender.customer.id == ticket.customer_id
    if signed:
        # Our HMAC id proves the mail answers one we sent (a colleague's private address).
        return True
    # Ticket numbers are guessable: only people already in the conversation.
    return _is_participant(ticket, sender)


def _is_participant(ticket: Ticket, sender: Sender) -> bool:
    if not sender.address:
        return False
    if sender.address == (ticket.reporter_email or "").lower():
        return True
    return db.session.scalar(select(Message.id).where(
        Message.ticket_id == ticket.id, func.lower(Message.author_email) == sender.address
    ).limit(1)) is not None


def find_thread(mail: ParsedMail, sender: Sender) -> Ticket | None:
    """The ticket a message continues: a signed id of ours, the subject tag, a known mail."""
    refs = [*mail.in_reply_to, *reversed(mail.references)]
    for ref in refs:
        tid = verified_ticket_id(ref)
        if tid:
            ticket = _live(db.session.get(Ticket, tid))
            if ticket is not None and _may_write(ticket, sender, signed=True):
                return ticket
    if number := number_in_subject(mail.subject):
        ticket = _live(db.session.scalar(select(Ticket).where(Ticket.number == number)))
        if ticket is not None and _may_write(ticket, sender, signed=False):
            return ticket
    if refs:
        known = db.session.scalars(select(InboundMail).where(
            InboundMail.message_id.in_(refs[:50]), InboundMail.ticket_id.is_not(None)))
        for inbound in known:
            ticket = _live(inbound.ticket)
            if ticket is not None and _may_write(ticket, sender, signed=False):
                return ticket
    return None
