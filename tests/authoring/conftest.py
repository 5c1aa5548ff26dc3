"""A resolved ticket full of personal data, shared by the authoring tests."""

from __future__ import annotations

import pytest

from kbdesk.tickets import services as tickets

# Everything personal the fixture puts into the ticket; none of it may reach an article.
PERSONAL = ["Jan Novák", "Novák", "+420 603 123 456", "603 123 456", "jan.novak@alfa.cz",
            "10.20.30.40", "helpdesk.alfa-net.cz", "petr@alfa.cz", "2001:db8::42", "Alfa s.r.o."]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def resolved(db, users, make):
    """Alfa's resolved ticket: description, an internal note (cause), a reply (resolution)."""
    alfa, spec = users["alfa"], users["specialist"]
    alfa.allowed_domains = ["alfa.cz"]
    app = make.Application(customer=alfa, name="Helpdesk", url="https://helpdesk.alfa-net.cz/app")
    contact = make.Contact(customer=alfa, name="Jan Novák", email="jan.novak@alfa.cz",
                           phone="+420 603 123 456")
    ticket = tickets.open_ticket(spec, {
        "customer": "alfa", "application": app.id, "contact": contact.id,
        "subject": "Invoice export fails with gateway timeout (Jan Novák)",
        "description": "Since Monday the invoice export of Alfa s.r.o. on helpdesk.alfa-net.cz "
                       "ends with a "
                       "gateway timeout. Call me at +420 603 123 456 or write to "
                       "jan.novak@alfa.cz. Server 10.20.30.40, IPv6 2001:db8::42."},
        channel="phone")
    note = tickets.add_message(spec, ticket, "Cause: the invoice export query on 10.20.30.40 "
                               "scans the whole invoices table; Novák confirmed it at "
                               "603 123 456.", internal=True)
    reply = tickets.add_message(spec, ticket, "Resolution: we added an index on "
                                "invoices(created_at) and raised the gateway timeout to 120 s. "
                                "Write to petr@alfa.cz if the export times out again.")
    chat = tickets.add_message(spec, ticket, "Thanks, closing the ticket.")
    tickets.update_ticket(spec, ticket.id, {"status": "resolved"})
    db.session.commit()
    return {"ticket": ticket, "note": note, "reply": reply, "chat": chat, "app": app,
            "contact": contact}


def assert_clean(text: str) -> None:
    """None of the fixture's personal data is in text."""
    left = [p for p in PERSONAL if p.lower() in text.lower()]
    assert not left, (left, text)
