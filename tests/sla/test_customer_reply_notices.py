"""A customer's reply reaches whoever handles the ticket: an in-app notice and an e-mail."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.mail.models import OutboundMail
from kbdesk.sla.models import Notification
from kbdesk.tickets import services as tickets
from kbdesk.tickets.links import add_watcher
from tests.conftest import csrf_from


def notices(db, kind="customer_reply") -> set[tuple[int, int]]:
    return set(db.session.execute(select(Notification.user_id, Notification.ticket_id).where(
        Notification.kind == kind)).all())


def test_portal_reply_notifies_assignee_and_watchers_by_notice_and_mail(client, auth, users, db):
    spec, dev = users["specialist"], users["developer"]
    ticket = tickets.open_ticket(users["alice"], {"subject": "Export hangs"}, channel="portal")
    tickets.update_ticket(spec, ticket.id, {"assignee": spec.id})
    add_watcher(spec, ticket, dev.id)
    tickets.add_message(spec, ticket, "Which file do you export?")  # staff: no notice
    tickets.add_message(dev, ticket, "Looks like the cache.", internal=True)
    db.session.commit()
    assert notices(db) == set()

    auth.login("alice@alfa.test")
    page = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    resp = client.post(f"/portal/tickets/{ticket.number}/reply",
                       data={"csrf_token": csrf_from(page), "body": "The March invoices."})
    assert resp.status_code == 302
    assert notices(db) == {(spec.id, ticket.id), (dev.id, ticket.id)}
    text = db.session.scalar(select(Notification.text).where(Notification.user_id == spec.id))
    assert ticket.number in text
    mailed = set(db.session.scalars(select(OutboundMail.to_addr).where(
        OutboundMail.kind == "notification")))
    assert {spec.email, dev.email} <= mailed


def test_unassigned_ticket_reply_goes_to_the_support_leads(users, db, make):
    from kbdesk.accounts.models import TeamMember

    lead = make.User(role="specialist", email="lead@kbdesk.test")
    team = make.Team(name="Support", kind="support")
    db.session.add(TeamMember(team=team, user=lead, is_lead=True))
    ticket = tickets.open_ticket(users["alice"], {"subject": "Login fails"}, channel="portal")
    tickets.add_message(users["alice"], ticket, "Still failing.")
    db.session.commit()
    assert notices(db) == {(lead.id, ticket.id)}
