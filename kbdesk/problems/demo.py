"""Demo data: one open problem with a workaround, linked to a demo ticket."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.demo import DEMO_HOOKS
from kbdesk.extensions import db
from kbdesk.problems import services
from kbdesk.problems.models import Problem
from kbdesk.tickets.models import Ticket

SUBJECT = "EDI Gateway crashes on large ORDERS files"
WORKAROUND = ("Split ORDERS files over 20 MB into parts of at most 10 MB before upload "
              "(`edi-split --max 10MB`), then restart the *EDI Gateway* service.")
ROOT_CAUSE = "The parser reads the whole file into memory; the 32-bit service runs out of it."


def load_demo(app, admin) -> None:
    """Idempotent: adds the problem only when there is none and the demo ticket exists."""
    if db.session.scalar(select(Problem.id).limit(1)):
        return
    ticket = db.session.scalar(select(Ticket).where(Ticket.subject == SUBJECT))
    if ticket is None:
        return
    problem = services.create_problem(admin, {
        "title": "EDI Gateway runs out of memory on large files", "status": "known_error",
        "application_id": ticket.application_id, "root_cause": ROOT_CAUSE,
        "workaround": WORKAROUND})
    services.link_ticket(admin, problem.id, ticket.id)
    db.session.flush()


load_demo.stage = 2  # after the demo tickets and articles
if load_demo not in DEMO_HOOKS:
    DEMO_HOOKS.append(load_demo)
