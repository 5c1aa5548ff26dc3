"""Demo data: a planned release per customer's first application and two announcements."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kbdesk.customers.models import Application, Customer
from kbdesk.db_types import utcnow
from kbdesk.demo import DEMO_HOOKS
from kbdesk.extensions import db
from kbdesk.portal.models import Announcement
from kbdesk.releases import services
from kbdesk.releases.models import Release, ReleaseTicket
from kbdesk.tickets.models import OPEN_STATUSES, Ticket


def load_demo(app, admin) -> None:
    """Idempotent: adds only what is missing."""
    if not db.session.scalar(select(Announcement.id).limit(1)):
        db.session.add(Announcement(text="V sobotu 22:00–23:00 proběhne plánovaná údržba.",
                                    language="cs"))
        db.session.add(Announcement(text="Planned maintenance on Saturday 22:00–23:00.",
                                    language="en"))
    for customer in db.session.scalars(select(Customer).order_by(Customer.id)):
        application = db.session.scalar(select(Application).where(
            Application.customer_id == customer.id).order_by(Application.id))
        if application is None or db.session.scalar(select(Release.id).where(
                Release.application_id == application.id)):
            continue
        planned = (utcnow() + timedelta(days=21)).date().isoformat()
        release = services.create_release(admin, application.id, {
            "version": "next", "planned_on": planned,
            "notes": "Opravy chyb nahlášených zákazníky."})
        ticket = db.session.scalar(select(Ticket).where(
            Ticket.customer_id == customer.id, Ticket.status.in_(OPEN_STATUSES),
            ~Ticket.id.in_(select(ReleaseTicket.ticket_id))).order_by(Ticket.id))
        if ticket is not None:
            services.plan_ticket(admin, release.id, ticket.id)
    db.session.flush()


load_demo.stage = 2  # plans the demo tickets
if load_demo not in DEMO_HOOKS:
    DEMO_HOOKS.append(load_demo)
