"""Demo data (idempotent) and the demo runner: web server and worker together."""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import select

from kbdesk.accounts import services as accounts
from kbdesk.accounts.models import Team, User
from kbdesk.customers import services as customers
from kbdesk.customers.models import Application, Contact, Customer
from kbdesk.extensions import db
from kbdesk.kb.importer import demo_hook as kb_demo_hook

PASSWORD = "demo-pass-2026"

CUSTOMERS = [
    {"name": "Městská nemocnice Kolín", "slug": "mestska-nemocnice", "language": "cs",
     "allowed_domains": ["nemocnice-kolin.example.cz"],
     "applications": [
         {"name": "Objednávkový portál", "environment": "prod",
          "platform": "ASP.NET 4.8, IIS 10, Windows Server 2019, SQL Server 2019",
          "version": "3.8.2", "url": "https://objednavky.nemocnice-kolin.example.cz"},
         {"name": "Integrace LIS", "environment": "prod",
          "platform": "Windows service, HL7 v2 over MLLP", "version": "1.14.0"},
     ],
     "contacts": [
         {"name": "Ing. Petra Dvořáková", "email": "dvorakova@nemocnice-kolin.example.cz",
          "phone": "+420 321 756 111", "role": "Vedoucí IT", "language": "cs"},
         {"name": "Tomáš Král", "email": "kral@nemocnice-kolin.example.cz",
          "phone": "+420 321 756 140", "role": "Správce serverů", "language": "cs"},
     ]},
    {"name": "Dopravní podnik Jihlava", "slug": "dopravni-podnik", "language": "cs",
     "allowed_domains": ["dp-jihlava.example.cz"],
     "applications": [
         {"name": "Jízdenkový e-shop", "environment": "prod",
          "platform": "Azure App Service, Azure SQL, GP webpay", "version": "2.3.1",
          "url": "https://eshop.dp-jihlava.example.cz"},
         {"name": "Dispečink API", "environment": "prod",
          "platform": "Linux, nginx, PostgreSQL 15", "version": "5.0.4",
          "url": "https://api.dp-jihlava.example.cz"},
     ],
     "contacts": [
         {"name": "Martin Novák", "email": "novak@dp-jihlava.example.cz",
          "phone": "+420 567 100 200", "role": "Dispečer, správce systému", "language": "cs"},
         {"name": "Jana Horáková", "email": "horakova@dp-jihlava.example.cz",
          "phone": "+420 567 100 215", "role": "Obchodní oddělení", "language": "cs"},
     ]},
    {"name": "Northwind Logistics Ltd.", "slug": "northwind-logistics", "language": "en",
     "timezone": "Europe/London", "allowed_domains": ["northwind-logistics.example.com"],
     "applications": [
         {"name": "Warehouse Portal", "environment": "prod",
          "platform": "Azure App Service, Azure SQL, Azure AD", "version": "4.2.0",
          "url": "https://warehouse.northwind-logistics.example.com"},
         {"name": "EDI Gateway", "environment": "prod",
          "platform": "Windows Server 2022, SQL Server 2022, SFTP/AS2", "version": "2.9.7"},
     ],
     "contacts": [
         {"name": "Oliver Bennett", "email": "oliver.bennett@northwind-logistics.example.com",
          "phone": "+44 20 7946 0321", "role": "IT Operations Manager", "language": "en"},
         {"name": "Amelia Clarke", "email": "amelia.clarke@northwind-logistics.example.com",
          "phone": "+44 20 7946 0388", "role": "Warehouse Supervisor", "language": "en"},
     ]},
]

USERS = [
    ("admin@kbdesk.example", "Alena Adminová", "admin", None, "cs"),
    ("specialist@kbdesk.example", "Jan Support", "specialist", None, "cs"),
    ("specialist2@kbdesk.example", "Eva Nováková", "specialist", None, "cs"),
    ("developer@kbdesk.example", "David Vývojář", "developer", None, "cs"),
    ("tester@kbdesk.example", "Tereza Testerová", "tester", None, "cs"),
    ("petra@nemocnice-kolin.example.cz", "Petra Dvořáková", "customer", "mestska-nemocnice", "cs"),
    ("novak@dp-jihlava.example.cz", "Martin Novák", "customer", "dopravni-podnik", "cs"),
    ("oliver@northwind-logistics.example.com", "Oliver Bennett", "customer",
     "northwind-logistics", "en"),
]

TEAMS = [
    ("Support", "support", ["specialist@kbdesk.example", "specialist2@kbdesk.example"],
     ["specialist@kbdesk.example"]),
    ("Development", "development", ["developer@kbdesk.example"], ["developer@kbdesk.example"]),
    ("Testing", "testing", ["tester@kbdesk.example"], ["tester@kbdesk.example"]),
    ("Operations", "operations", ["admin@kbdesk.example", "specialist@kbdesk.example"],
     ["admin@kbdesk.example"]),
]

# Features append callables taking (app, admin) that load their own demo data idempotently.
# A hook building on other features' demo data (tickets, articles) sets `hook.stage = 2`:
# hooks run by stage, then in the order they were added, whatever the import order was.
DEMO_HOOKS: list = [
    kb_demo_hook,  # knowledge/*.md
]


def _admin() -> User:
    admin = accounts.find_user_by_email(USERS[0][0])
    if admin is None:
        admin = accounts.create_user(None, {"email": USERS[0][0], "name": USERS[0][1],
                                            "role": "admin", "password": PASSWORD})
    return admin


def load(app: Flask) -> list[tuple[str, str]]:
    """Load the demo customers, users and teams; safe to run again."""
    admin = _admin()
    for spec in CUSTOMERS:
        customer = db.session.scalar(select(Customer).where(Customer.slug == spec["slug"]))
        if customer is None:
            data = {k: v for k, v in spec.items() if k not in ("applications", "contacts")}
            customer = customers.create_customer(admin, data)
        for app_spec in spec["applications"]:
            exists = db.session.scalar(select(Application).where(
                Application.customer_id == customer.id, Application.name == app_spec["name"]))
            if exists is None:
                customers.create_application(admin, customer, app_spec)
        for contact_spec in spec["contacts"]:
            exists = db.session.scalar(select(Contact).where(
                Contact.customer_id == customer.id, Contact.email == contact_spec["email"]))
            if exists is None:
                customers.create_contact(admin, customer, contact_spec)
    for email, name, role, slug, locale in USERS:
        if accounts.find_user_by_email(email) is None:
            data = {"email": email, "name": name, "role": role, "password": PASSWORD,
                    "locale": locale}
            if slug:
                data["customer"] = slug
            accounts.create_user(None, data)
    for name, kind, members, leads in TEAMS:
        team = db.session.scalar(select(Team).where(Team.name == name))
        if team is None:
            ids = {e: accounts.find_user_by_email(e).id for e in members}
            accounts.save_team(admin, {"name": name, "kind": kind, "members": list(ids.values()),
                                       "leads": [ids[e] for e in leads]})
    for hook in sorted(DEMO_HOOKS, key=lambda h: getattr(h, "stage", 1)):
        hook(app, admin)
    return [(email, role) for email, _n, role, _s, _l in USERS]


def run(app: Flask, host: str, port: int) -> None:
    """Serve the app in a thread and run the worker in this one until Ctrl+C."""
    from waitress import serve

    from kbdesk.worker import run_consumer

    server = threading.Thread(target=serve, args=(app,),
                              kwargs={"host": host, "port": port, "threads": 8, "ident": "kbdesk"},
                              daemon=True)
    server.start()
    print(f"kbdesk demo running at http://{host}:{port}/  (Ctrl+C stops it)", flush=True)
    run_consumer(workers=2)
