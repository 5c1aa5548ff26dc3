"""While an outage is open, tickets about the same application join its incident.

The reporter is told at once that the problem is known (a public automatic message in their
language); both tickets get the link in their history.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select

from kbdesk.extensions import db
from kbdesk.monitor import notices
from kbdesk.monitor.models import Monitor, Outage
from kbdesk.tickets.models import OPEN_STATUSES, Ticket, TicketLink
from kbdesk.tickets.services import add_message, record
from kbdesk.tickets.signals import ticket_opened

log = logging.getLogger("kbdesk.monitor.linking")
LINK_KIND = "related_to"


def reporter_language(ticket: Ticket) -> str:
    """The language the reporter reads: their contact's, their user's, else the customer's."""
    if ticket.reporter_contact is not None:
        return notices.lang(ticket.reporter_contact.language)
    if ticket.reporter_user is not None:
        return notices.lang(ticket.reporter_user.locale)
    return notices.lang(ticket.customer.language if ticket.customer else None)


def link(ticket: Ticket, incident: Ticket, *, started: datetime, now: datetime) -> bool:
    """Link a customer's ticket to the incident and tell its reporter; False if already done."""
    if ticket.id == incident.id or ticket.customer_id != incident.customer_id:
        return False
    exists = db.session.scalar(select(TicketLink.id).where(or_(
        (TicketLink.source_id == ticket.id) & (TicketLink.target_id == incident.id),
        (TicketLink.source_id == incident.id) & (TicketLink.target_id == ticket.id))))
    if exists is not None:
        return False
    db.session.add(TicketLink(source=ticket, target=incident, kind=LINK_KIND, created_at=now))
    # The same event shape as links made by people (kbdesk.tickets.links).
    record(ticket, None, "link", label="monitor", at=now, link=LINK_KIND,
           ticket_id=incident.id, number=incident.number)
    record(incident, None, "link", label="monitor", at=now, link=LINK_KIND,
           ticket_id=ticket.id, number=ticket.number)
    language = reporter_language(ticket)
    tz = ticket.customer.timezone if ticket.customer else None
    _subject, body = notices.render(
        "known", language, app_name=incident.application.name if incident.application else "",
        started=notices.when(started, tz, language), incident_number=incident.number)
    add_message(None, ticket, body, automatic=True, via="monitor", now=now)
    return True


def link_recent(incident: Ticket, monitor: Monitor, *, since: datetime, now: datetime) -> int:
    """Link the open tickets filed about the application since the outage began."""
    tickets = db.session.scalars(select(Ticket).where(
        Ticket.application_id == monitor.application_id, Ticket.id != incident.id,
        Ticket.channel != "monitor", Ticket.status.in_(OPEN_STATUSES),
        Ticket.created_at >= since).order_by(Ticket.id)).all()
    return sum(link(t, incident, started=since, now=now) for t in tickets)


def open_incident_for(application_id: int) -> Outage | None:
    """The earliest open outage of any monitor of the application that has an incident."""
    return db.session.scalar(select(Outage).join(Monitor, Outage.monitor_id == Monitor.id).where(
        Monitor.application_id == application_id, Outage.open_key.is_not(None),
        Outage.ticket_id.is_not(None)).order_by(Outage.started_at).limit(1))


@ticket_opened.connect
def on_ticket_opened(ticket: Ticket, actor=None, **_kwargs) -> None:
    """A new ticket about an application that is down joins the open incident."""
    if ticket.channel == "monitor" or ticket.application_id is None:
        return
    try:
        outage = open_incident_for(ticket.application_id)
        if outage is not None and outage.ticket is not None:
            link(ticket, outage.ticket, started=outage.started_at, now=ticket.created_at)
    except Exception:  # linking is a courtesy; it must never stop a ticket being filed
        log.exception("linking ticket %s to an open incident failed", ticket.number)
