"""Outages against a real local service: one incident, the customer told once, recovery, links."""

from __future__ import annotations

from sqlalchemy import func, select

from kbdesk.monitor.models import Outage
from kbdesk.tickets import services as tickets
from kbdesk.tickets.models import Message, Ticket, TicketEvent, TicketLink


def incident_tickets(db):
    return db.session.scalars(select(Ticket).where(Ticket.channel == "monitor")).all()


def notices(db, ticket, notice):
    events = db.session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "notification"))
    return [e for e in events if e.data["notice"] == notice]


def mails(db, ticket):
    """Addresses of the outbound monitor mails of a ticket (None without the mail feature)."""
    try:
        from kbdesk.mail.models import OutboundMail
    except ImportError:
        return None
    return sorted(db.session.scalars(select(OutboundMail.to_addr).where(
        OutboundMail.ticket_id == ticket.id, OutboundMail.kind == "monitor")))


def test_stopped_service_opens_one_incident_and_recovery_resolves_it(db, shop, server, ticker,
                                                                     clock):
    monitor = ticker.monitor(shop["admin"], shop["app"], target=server.url(),
                             keyword="kbdesk-alive")
    ticker.tick()
    assert monitor.state == "up" and monitor.last_ok

    server.stop()
    ticker.tick()
    ticker.tick()
    assert incident_tickets(db) == []  # two failures: not yet confirmed
    stopped_at = monitor.fail_since
    ticker.tick()
    [incident] = incident_tickets(db)
    assert monitor.state == "down"
    assert incident.customer_id == shop["customer"].id
    assert incident.application_id == shop["app"].id
    assert incident.severity == "critical"  # production application
    assert incident.status == "new"
    assert "E-shop" in incident.subject and "Výpadek" in incident.subject  # customer is Czech
    told = notices(db, incident, "down")
    assert sorted((e.data["to"], e.data["language"]) for e in told) == [
        ("john@alfa.test", "en"), ("petra@alfa.test", "cs")]
    assert any("Zjištěn výpadek" in e.data["subject"] for e in told)
    assert any("Outage detected" in e.data["subject"] for e in told)
    [outage] = db.session.scalars(select(Outage)).all()
    assert outage.layer == "tcp_connect" and outage.started_at == stopped_at

    sent = ["john@alfa.test", "petra@alfa.test"]
    assert mails(db, incident) in (None, sent)  # one mail per contact

    # It stays down: still one incident, nobody told twice.
    for _ in range(4):
        ticker.tick()
    assert len(incident_tickets(db)) == 1
    assert len(notices(db, incident, "down")) == 2
    assert mails(db, incident) in (None, sent)

    # The customer files a ticket meanwhile: linked to the incident, reporter told.
    filed = tickets.open_ticket(shop["alice"], {"subject": "E-shop nejde otevřít",
                                                "application": shop["app"].id},
                                channel="portal", now=clock())
    db.session.commit()
    link = db.session.scalar(select(TicketLink).where(TicketLink.source_id == filed.id))
    assert link.target_id == incident.id and link.kind == "related_to"
    reply = db.session.scalar(select(Message).where(Message.ticket_id == filed.id))
    assert reply.automatic and not reply.internal and incident.number in reply.body

    server.start()
    ticker.tick()
    assert monitor.state == "up"
    db.session.refresh(incident)
    assert incident.status == "resolved"
    db.session.refresh(outage)
    assert outage.ended_at is not None and outage.open_key is None
    assert outage.downtime_s == 7 * 60  # seven failed checks, 60 s apart, then a success
    recovered = db.session.scalar(select(TicketEvent).where(
        TicketEvent.ticket_id == incident.id, TicketEvent.kind == "monitor_recovered"))
    assert recovered.data["downtime_s"] == 420 and recovered.public
    message = db.session.scalars(select(Message).where(Message.ticket_id == incident.id)
                                 .order_by(Message.id.desc())).first()
    assert "7 min" in message.body and message.automatic
    assert len(notices(db, incident, "recovered")) == 2


def test_recovery_leaves_incident_open_when_configured(db, shop, server, ticker):
    monitor = ticker.monitor(shop["admin"], shop["app"], target=server.url(),
                             failures_before_down=2, auto_resolve=False, severity="high")
    server.behaviour.mode = "error"
    ticker.tick()
    ticker.tick()
    [incident] = incident_tickets(db)
    assert incident.severity == "high" and monitor.last_layer == "http_status"
    server.behaviour.mode = "ok"
    ticker.tick()
    db.session.refresh(incident)
    assert incident.status == "new"  # a person closes it
    events = [e.kind for e in db.session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == incident.id).order_by(TicketEvent.id))]
    assert "monitor_recovered" in events


def test_flapping_never_opens_a_second_incident(db, shop, server, ticker):
    monitor = ticker.monitor(shop["admin"], shop["app"], target=server.url(),
                             failures_before_down=2)
    # Alternating failures never reach two in a row: no incident at all.
    for mode in ("error", "ok", "error", "ok", "error", "ok"):
        server.behaviour.mode = mode
        ticker.tick()
    assert incident_tickets(db) == []
    # Down, up, down again soon after: the same incident carries on.
    for mode in ("error", "error", "ok", "error", "error", "ok", "error", "error"):
        server.behaviour.mode = mode
        ticker.tick()
    [incident] = incident_tickets(db)
    assert db.session.scalar(select(func.count(Outage.id))) == 3
    assert db.session.scalar(select(func.count(Outage.id)).where(
        Outage.open_key.is_not(None))) == 1
    db.session.refresh(incident)
    assert incident.is_open and monitor.state == "down"
    downs = db.session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == incident.id, TicketEvent.kind == "monitor_down")).all()
    assert [e.data["again"] for e in downs] == [False, True, True]


def test_closed_incident_is_not_reused(db, shop, server, ticker):
    monitor = ticker.monitor(shop["admin"], shop["app"], target=server.url(),
                             failures_before_down=1)
    server.behaviour.mode = "error"
    ticker.tick()
    server.behaviour.mode = "ok"
    ticker.tick()
    [first] = incident_tickets(db)
    tickets.apply_changes(first, None, {"status": (first.status, "closed")}, now=ticker.clock())
    db.session.commit()
    server.behaviour.mode = "error"
    ticker.tick()
    assert len(incident_tickets(db)) == 2 and monitor.state == "down"


def test_tickets_filed_before_confirmation_are_linked(db, shop, server, ticker, clock):
    ticker.monitor(shop["admin"], shop["app"], target=server.url(), failures_before_down=2)
    ticker.tick()
    server.behaviour.mode = "error"
    ticker.tick()  # first failure
    early = tickets.open_ticket(shop["alice"], {"subject": "Chyba 500",
                                                "application": shop["app"].id},
                                channel="portal", now=clock())
    db.session.commit()
    ticker.tick()  # confirmed
    [incident] = incident_tickets(db)
    assert db.session.scalar(select(TicketLink).where(
        TicketLink.source_id == early.id, TicketLink.target_id == incident.id))


def test_maintenance_window_silences_failures(db, shop, server, ticker, clock):
    from datetime import timedelta

    from kbdesk.monitor import services

    monitor = ticker.monitor(shop["admin"], shop["app"], target=server.url(),
                             failures_before_down=2)
    services.add_window(shop["admin"], monitor.id, {
        "starts_at": clock().isoformat(), "ends_at": (clock() + timedelta(minutes=5)).isoformat(),
        "reason": "Upgrade"})
    db.session.commit()
    server.behaviour.mode = "error"
    results = [r for _ in range(5) for r in ticker.tick()]
    assert all(r.silenced and not r.ok for r in results)
    assert incident_tickets(db) == [] and monitor.consecutive_failures == 0
    assert services.display_state(monitor, clock() - timedelta(minutes=1)) == "maintenance"
    ticker.tick()
    ticker.tick()
    assert len(incident_tickets(db)) == 1  # after the window, failures count again
