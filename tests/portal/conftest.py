"""Portal fixtures: articles of every visibility, tickets of both customers, a release."""

from __future__ import annotations

import pytest

from kbdesk.kb import services as kb
from kbdesk.releases import services as releases
from kbdesk.tickets import attachments as files
from kbdesk.tickets import services as tickets


@pytest.fixture
def world(db, users, make):
    """Alfa and Beta, each with an application, tickets, messages, attachments and articles."""
    admin, spec = users["admin"], users["specialist"]
    alfa_app = make.Application(customer=users["alfa"], name="Objednávky", environment="prod")
    beta_app = make.Application(customer=users["beta"], name="Eshop", environment="prod")
    arts = {
        "public": kb.create_article(admin, {
            "title": "Printer queue stuck after update",
            "body": "Restart the print spooler service after the update.",
            "visibility": "public", "status": "published", "language": "en"}),
        "alfa": kb.create_article(admin, {
            "title": "Alfa printer spooler configuration",
            "body": "Alfa printers use the spooler on server PRN01.",
            "visibility": "customer", "customer": "alfa", "status": "published"}),
        "beta": kb.create_article(admin, {
            "title": "Beta printer spooler secret procedure",
            "body": "Beta printers spooler fix.",
            "visibility": "customer", "customer": "beta", "status": "published"}),
        "internal": kb.create_article(admin, {
            "title": "Internal printer spooler runbook",
            "body": "Internal only printer spooler steps.",
            "visibility": "internal", "status": "published"}),
        "draft": kb.create_article(admin, {
            "title": "Draft printer spooler note", "body": "Draft printer spooler.",
            "visibility": "public", "status": "draft"}),
    }
    a = tickets.open_ticket(users["alice"], {"subject": "Alfa login fails",
                                             "description": "Cannot log in."}, channel="portal")
    tickets.add_message(spec, a, "Public answer to Alfa.")
    tickets.add_message(spec, a, "SECRET internal note about Alfa.", internal=True)
    a_file = files.add_attachment(users["alice"], a, b"alfa log", "alfa.log")
    a_internal = files.add_attachment(spec, a, b"internal dump", "internal.txt", internal=True)
    b = tickets.open_ticket(users["bob"], {"subject": "Beta invoice export broken",
                                           "description": "Export fails."}, channel="portal")
    tickets.add_message(spec, b, "Public answer to Beta.")
    b_file = files.add_attachment(users["bob"], b, b"beta log", "beta.log")
    alfa_rel = releases.create_release(spec, alfa_app.id, {"version": "2.4",
                                                           "planned_on": "2026-12-15"})
    beta_rel = releases.create_release(spec, beta_app.id, {"version": "9.1",
                                                           "planned_on": "2026-12-20"})
    releases.plan_ticket(spec, alfa_rel.id, a.number)
    releases.plan_ticket(spec, beta_rel.id, b.number)
    db.session.commit()
    return {"arts": arts, "a": a, "b": b, "a_file": a_file, "a_internal": a_internal,
            "b_file": b_file, "alfa_app": alfa_app, "beta_app": beta_app,
            "alfa_rel": alfa_rel, "beta_rel": beta_rel}
