"""Staff intake: the phone-call form and its lookups (customers, contacts)."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from kbdesk.accounts.models import User
from kbdesk.accounts.permissions import require_staff
from kbdesk.customers import services as customers
from kbdesk.customers.models import Contact, Customer
from kbdesk.errors import ValidationError
from kbdesk.extensions import db
from kbdesk.tickets.models import SEVERITIES, Ticket
from kbdesk.tickets.services import open_ticket
from kbdesk.validation import Checker

LOOKUP_LIMIT = 15


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def lookup_customers(actor: User, q: str, *, limit: int = LOOKUP_LIMIT) -> list[Customer]:
    """Active customers whose name or slug contains q (staff)."""
    require_staff(actor)
    stmt = select(Customer).where(Customer.active.is_(True))
    if q := (q or "").strip():
        stmt = stmt.where(or_(Customer.name.ilike(_like(q), escape="\\"),
                              Customer.slug.ilike(_like(q), escape="\\")))
    return list(db.session.scalars(stmt.order_by(Customer.name).limit(limit)))


def lookup_contacts(actor: User, customer: Customer, q: str, *,
                    limit: int = LOOKUP_LIMIT) -> list[Contact]:
    """A customer's contacts whose name, e-mail or phone contains q (staff)."""
    require_staff(actor)
    stmt = select(Contact).where(Contact.customer_id == customer.id)
    if q := (q or "").strip():
        like = _like(q)
        stmt = stmt.where(or_(Contact.name.ilike(like, escape="\\"),
                              Contact.email.ilike(like, escape="\\"),
                              Contact.phone.ilike(like, escape="\\")))
    return list(db.session.scalars(stmt.order_by(Contact.name).limit(limit)))


def resolve_customer(actor: User, raw: str) -> Customer | None:
    """A customer from a slug, an id, or a name typed without the autocomplete."""
    require_staff(actor)
    raw = (raw or "").strip()
    if not raw:
        return None
    if raw.isdigit() and (found := db.session.get(Customer, int(raw))) is not None:
        return found
    found = db.session.scalar(select(Customer).where(
        or_(Customer.slug == raw.lower(), func.lower(Customer.name) == raw.lower())))
    if found is not None:
        return found
    candidates = lookup_customers(actor, raw, limit=2)
    return candidates[0] if len(candidates) == 1 else None


def _contact(c: Checker, customer: Customer | None, raw_id, typed: str, field: str):
    """A chosen contact (by id), else the customer's contact with exactly the typed name."""
    raw_id = str(raw_id or "").strip()
    if raw_id:
        contact = db.session.get(Contact, int(raw_id)) if raw_id.isdigit() else None
        if contact is None or customer is None or contact.customer_id != customer.id:
            c.error(field, "No such contact of this customer.")
            return None
        return contact
    if not typed or customer is None:
        return None
    return db.session.scalar(select(Contact).where(
        Contact.customer_id == customer.id, func.lower(Contact.name) == typed.lower()))


def log_phone_call(actor: User, data: dict) -> Ticket:
    """Open a ticket from a phone call; the caller may become a new contact on the fly."""
    require_staff(actor)
    c = Checker(data)
    subject = c.text("subject", required=True, max_len=300)
    notes = c.text("notes", max_len=200_000)
    severity = c.choice("severity", SEVERITIES, default="normal")
    phone = c.text("caller_phone", max_len=50)
    email = c.email("caller_email")
    save = c.boolean("save_contact")
    raw_customer = str(data.get("customer") or data.get("customer_query") or "")
    customer = resolve_customer(actor, raw_customer)
    if customer is None:
        c.error("customer", "No such customer." if raw_customer.strip() else
                "Choose the customer.")
    caller = c.text("caller", max_len=200)
    contact = _contact(c, customer, data.get("contact"), caller, "caller")
    if save and contact is None and not caller:
        c.error("caller", "Write the caller's name to save them as a contact.")
    c.done()
    if contact is None and caller and save:
        try:
            contact = customers.create_contact(actor, customer, {
                "name": caller, "phone": phone, "email": email, "language": customer.language})
        except ValidationError as exc:
            raise ValidationError({("caller" if k == "name" else f"caller_{k}"): v
                                   for k, v in exc.fields.items()}) from None
    elif contact is None and caller:
        # Not saved as a contact: keep who called with the ticket, not lost on paper.
        who = ", ".join(p for p in (caller, phone, email) if p)
        notes = f"Caller: {who}\n\n{notes}".strip()
    ticket_data = {"customer": customer, "subject": subject, "description": notes,
                   "severity": severity, "contact": contact}
    if data.get("application"):
        ticket_data["application"] = data["application"]
    return open_ticket(actor, ticket_data, channel="phone")


def open_web_ticket(actor: User, data: dict) -> Ticket:
    """Open a ticket from the staff web form (customer typed or picked, contact optional)."""
    require_staff(actor)
    c = Checker(data)
    raw_customer = str(data.get("customer") or data.get("customer_query") or "")
    customer = resolve_customer(actor, raw_customer)
    if customer is None:
        c.error("customer", "No such customer." if raw_customer.strip() else
                "Choose the customer.")
    typed = c.text("contact_query", max_len=200)
    contact = _contact(c, customer, data.get("contact"), typed, "contact_query")
    if typed and contact is None and customer is not None:
        c.error("contact_query", "No such contact of this customer.")
    if not str(data.get("subject") or "").strip():
        c.error("subject", "This field is required.")
    c.done()
    ticket_data = {k: data.get(k) for k in ("subject", "description", "severity")}
    ticket_data.update(customer=customer, contact=contact,
                       application=data.get("application") or None)
    return open_ticket(actor, ticket_data, channel="web")
