"""Demo tickets for the demo customers: a few channels, severities, notes and a link."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.accounts.services import find_user_by_email
from kbdesk.customers.models import Contact, Customer
from kbdesk.demo import DEMO_HOOKS
from kbdesk.extensions import db
from kbdesk.tickets import links, services
from kbdesk.tickets.attachments import add_attachment
from kbdesk.tickets.models import Ticket

# (customer slug, contact e-mail, channel, severity, subject, description, replies)
# replies: (author e-mail, internal, body)
TICKETS = [
    ("mestska-nemocnice", "dvorakova@nemocnice-kolin.example.cz", "phone", "critical",
     "Výpadek objednávkového portálu",
     "Od 7:40 se pacienti nemohou objednat, portál vrací chybu 503.",
     [("specialist@kbdesk.example", False, "Děkujeme, řešíme s prioritou. Ozveme se do 30 minut."),
      ("developer@kbdesk.example", True, "Aplikační pool na IIS padá na OutOfMemory po "
       "nasazení 3.8.2 — recyklace pomohla, hledám únik.")]),
    ("mestska-nemocnice", "kral@nemocnice-kolin.example.cz", "email", "normal",
     "Integrace LIS: zpožděné výsledky",
     "Výsledky z laboratoře chodí s hodinovým zpožděním.", []),
    ("dopravni-podnik", "novak@dp-jihlava.example.cz", "web", "high",
     "Nelze se přihlásit do dispečinku",
     "Po změně hesla nejde přihlášení, ostatní uživatelé v pořádku.",
     [("specialist2@kbdesk.example", False, "Zkuste prosím vymazat mezipaměť prohlížeče.")]),
    ("northwind-logistics", "oliver.bennett@northwind-logistics.example.com", "api", "low",
     "Question: exporting stock levels to Excel",
     "How do I export the current stock levels to Excel?", []),
    ("northwind-logistics", "amelia.clarke@northwind-logistics.example.com", "email", "high",
     "EDI Gateway crashes on large ORDERS files",
     "Files over 20 MB stop the gateway service.",
     [("developer@kbdesk.example", True, "Reproduced with a 25 MB ORDERS file.")]),
    # Resolved, with personal data in it: the one to turn into an article ("Create article").
    ("dopravni-podnik", "horakova@dp-jihlava.example.cz", "email", "high",
     "E-shop jízdenek: prohlížeč hlásí neplatný certifikát",
     "Dobrý den, od rána zákazníci na https://eshop.dp-jihlava.example.cz vidí varování "
     "o neplatném certifikátu. Volejte mi prosím na +420 567 100 215, Jana Horáková "
     "(horakova@dp-jihlava.example.cz).",
     [("specialist@kbdesk.example", True, "Certifikát vypršel 03:00; automatická obnova "
       "win-acme selhala, protože firewall na 10.20.0.15 blokoval port 80 pro ověření HTTP-01."),
      ("specialist@kbdesk.example", False, "Certifikát jsme obnovili a na firewallu povolili "
       "port 80 pro ověřovací požadavky Let's Encrypt. Obnova teď proběhne sama 30 dní před "
       "vypršením.")]),
]
# Subjects of the demo tickets that are already resolved.
RESOLVED = {"E-shop jízdenek: prohlížeč hlásí neplatný certifikát"}


def load_demo(app, admin) -> None:
    """Open the demo tickets once (skips those whose subject already exists)."""
    opened = {}
    for slug, email, channel, severity, subject, description, replies in TICKETS:
        customer = db.session.scalar(select(Customer).where(Customer.slug == slug))
        if customer is None:
            continue
        existing = db.session.scalar(select(Ticket).where(
            Ticket.customer_id == customer.id, Ticket.subject == subject))
        if existing is not None:
            opened[subject] = existing
            continue
        contact = db.session.scalar(select(Contact).where(
            Contact.customer_id == customer.id, Contact.email == email))
        ticket = services.open_ticket(admin, {
            "customer": customer, "contact": contact, "subject": subject,
            "description": description, "severity": severity}, channel=channel)
        for author, internal, body in replies:
            user = find_user_by_email(author) or admin
            services.add_message(user, ticket, body, internal=internal)
        opened[subject] = ticket
        if subject in RESOLVED:
            services.update_ticket(admin, ticket.id, {"status": "resolved"})
        if subject.startswith("EDI Gateway"):
            add_attachment(admin, ticket, b"2026-03-02 10:14:07 ERROR OutOfMemoryException "
                           b"while parsing ORDERS_20260302.edi (25 MB)\n", "edi-gateway.log")
    outage, lis = opened.get(TICKETS[0][4]), opened.get(TICKETS[1][4])
    if outage is not None and lis is not None and not links.links_of(outage):
        links.link_tickets(admin, lis, outage.number, "related_to")
    db.session.flush()


if load_demo not in DEMO_HOOKS:
    DEMO_HOOKS.append(load_demo)
