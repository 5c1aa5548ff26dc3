"""The periodic SLA task: warnings and breaches recorded once, run twice, run late; notices."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kbdesk.accounts.models import TeamMember
from kbdesk.sla import contracts, services, timers
from kbdesk.sla.models import Notification, SlaEvent
from kbdesk.sla.tasks import check_sla_clocks
from kbdesk.tickets.models import TicketEvent
from tests.sla.conftest import change, local, open_at, reply


def run_task(db) -> int:
    """Run the periodic task's body as the consumer does (its own app context and commit)."""
    db.session.commit()
    recorded = check_sla_clocks.call_local()
    db.session.expire_all()
    return recorded


def events(db, ticket_id):
    return [(e.clock, e.kind) for e in db.session.scalars(
        select(SlaEvent).where(SlaEvent.ticket_id == ticket_id).order_by(SlaEvent.id))]


def history(db, ticket_id):
    return [e.kind for e in db.session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.kind.like("sla_%")).order_by(TicketEvent.id))]


def notices(db, user):
    return [n.text for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


@pytest.fixture
def crew(db, sla, make):
    """A team (spec, dev) with a lead; returns the people."""
    lead = make.User(role="specialist", email="lead@kbdesk.test", name="Lead", locale="en")
    team = make.Team(name="Support", members=[sla["specialist"], sla["developer"]])
    db.session.add(TeamMember(team=team, user=lead, is_lead=True))
    db.session.commit()
    return {"team": team, "lead": lead, "dev": sla["developer"], "spec": sla["specialist"]}


@pytest.fixture
def mails(monkeypatch):
    """Capture kbdesk.mail.outbound.send_notification calls."""
    sent = []
    from kbdesk.mail import outbound

    def fake(user_id, subject, body, **kw):
        sent.append((user_id, subject))

    monkeypatch.setattr(outbound, "send_notification", fake)
    return sent


def test_done_when_end_to_end_with_a_moved_clock(db, sla, crew, clock, mails):
    clock.set(local(2026, 4, 2, 16, 30))
    ticket = open_at(sla["specialist"], sla["alfa"], clock.now())
    change(sla["specialist"], ticket, clock.now(), assignee=crew["dev"].id, team=crew["team"].id)
    tid = ticket.id
    assert services.sla_for(ticket).clock("first_response").due_at == local(2026, 4, 7, 11, 30)

    clock.set(local(2026, 4, 7, 10, 41))
    assert run_task(db) == 0
    clock.set(local(2026, 4, 7, 10, 42))  # 80 % of 4 working hours
    assert run_task(db) == 1
    assert run_task(db) == 0
    assert events(db, tid) == [("first_response", "warning")]
    assert history(db, tid) == ["sla_warning"]
    assert len(notices(db, crew["dev"])) == 1 and "SLA warning" in notices(db, crew["dev"])[0]
    assert len(notices(db, crew["spec"])) == 1
    assert len(notices(db, crew["lead"])) == 1  # a team member; escalation comes on a breach
    assert sorted(uid for uid, _s in mails) == sorted(
        [crew["dev"].id, crew["spec"].id, crew["lead"].id])

    clock.set(local(2026, 4, 7, 11, 30))
    assert run_task(db) == 0  # due at 11:30 is still in time
    clock.set(local(2026, 4, 7, 11, 31))
    assert run_task(db) == 1
    clock.move(minutes=1)
    assert run_task(db) == 0
    assert events(db, tid) == [("first_response", "warning"), ("first_response", "breach")]
    assert history(db, tid) == ["sla_warning", "sla_breach", "sla_escalated"]
    assert "breached" in notices(db, crew["dev"])[-1]
    lead_notices = notices(db, crew["lead"])
    assert len(lead_notices) == 2 and "escalated to you" in lead_notices[1]
    body = services.sla_json(db.session.get(type(ticket), tid))
    assert body["escalated"] and body["first_response"]["state"] == "breached"


def test_run_late_records_warning_then_breach_once_each(db, sla, crew, clock):
    clock.set(local(2026, 4, 8, 9, 0))
    ticket = open_at(sla["specialist"], sla["alfa"], clock.now())
    change(sla["specialist"], ticket, clock.now(), assignee=crew["dev"].id)
    tid = ticket.id
    clock.set(local(2026, 4, 20, 9, 0))  # the worker was down for twelve days
    assert run_task(db) == 4
    assert run_task(db) == 0
    rows = list(db.session.scalars(select(SlaEvent).where(SlaEvent.ticket_id == tid)
                                   .order_by(SlaEvent.id)))
    assert [(e.clock, e.kind) for e in rows] == [
        ("first_response", "warning"), ("first_response", "breach"),
        ("resolution", "warning"), ("resolution", "breach")]
    first = [e for e in rows if e.clock == "first_response"]
    assert first[0].at < first[1].at  # in the order they happened
    assert first[1].at == local(2026, 4, 8, 13, 0)
    # People hear about the breaches, not about warnings that came too late to act on.
    texts = notices(db, crew["dev"])
    assert len(texts) == 2 and all("breached" in t for t in texts)


def test_paused_clock_does_not_warn_until_resumed(db, sla, clock):
    clock.set(local(2026, 4, 8, 9, 0))
    ticket = open_at(sla["specialist"], sla["alfa"], clock.now())
    change(sla["specialist"], ticket, local(2026, 4, 8, 10, 0), status="waiting_customer")
    tid = ticket.id
    clock.set(local(2026, 4, 8, 16, 0))
    assert run_task(db) == 0
    ticket = db.session.get(type(ticket), tid)
    change(sla["specialist"], ticket, local(2026, 4, 8, 16, 0), status="open")
    # 1 h used before the pause, 1 h after it on Wednesday; the warning comes at 3 h 12 min
    # used (Thursday 09:12), the due time at 4 h (Thursday 10:00).
    clock.set(local(2026, 4, 9, 9, 11))
    assert run_task(db) == 0
    clock.set(local(2026, 4, 9, 9, 12))
    assert run_task(db) == 1
    clock.set(local(2026, 4, 9, 10, 1))
    assert run_task(db) == 1


def test_met_clock_never_warns(db, sla, clock):
    clock.set(local(2026, 4, 8, 9, 0))
    ticket = open_at(sla["specialist"], sla["alfa"], clock.now())
    reply(sla["specialist"], ticket, local(2026, 4, 8, 9, 15))
    change(sla["specialist"], ticket, local(2026, 4, 8, 9, 30), status="resolved")
    clock.set(local(2026, 5, 8, 9, 0))
    assert run_task(db) == 0
    assert events(db, ticket.id) == []


def test_a_stale_second_worker_records_nothing_twice(db, sla, clock):
    clock.set(local(2026, 4, 8, 9, 0))
    ticket = open_at(sla["specialist"], sla["alfa"], clock.now())
    tid = ticket.id
    clock.set(local(2026, 4, 8, 14, 0))
    assert run_task(db) == 2
    # A worker that read the clock before the first one committed still finds the events.
    first = services.sla_for(tid).clock("first_response")
    first.warned_at = first.breached_at = None
    assert timers.settle(first, clock.now()) == []
    assert events(db, tid) == [("first_response", "warning"), ("first_response", "breach")]
    assert history(db, tid).count("sla_breach") == 1


def test_unique_constraint_guards_the_events(db, sla):
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    at = local(2026, 4, 8, 13, 0)
    db.session.add(SlaEvent(ticket_id=ticket.id, clock="first_response", cycle=0, kind="breach",
                            at=at, recorded_at=at))
    db.session.commit()
    db.session.add(SlaEvent(ticket_id=ticket.id, clock="first_response", cycle=0, kind="breach",
                            at=at, recorded_at=at))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_escalation_on_warning_and_never(db, sla, crew, clock):
    contracts.save_policy(sla["admin"], {"escalate_on": "warning"}, policy_id=sla["business"].id)
    clock.set(local(2026, 4, 8, 9, 0))
    ticket = open_at(sla["specialist"], sla["alfa"], clock.now())
    change(sla["specialist"], ticket, clock.now(), team=crew["team"].id)
    tid = ticket.id
    clock.set(local(2026, 4, 8, 12, 15))
    assert run_task(db) == 1
    assert services.sla_for(tid).escalated
    assert len(notices(db, crew["lead"])) == 1  # once, as the escalation
    assert "escalated to you" in notices(db, crew["lead"])[0]

    contracts.save_policy(sla["admin"], {"escalate_on": "never"}, policy_id=sla["business"].id)
    other = open_at(sla["specialist"], sla["alfa"], clock.now())
    oid = other.id
    clock.set(local(2026, 4, 10, 9, 0))
    run_task(db)
    assert not services.sla_for(oid).escalated
    assert "sla_escalated" not in history(db, oid)


def test_unassigned_ticket_notifies_support_leads(db, sla, crew, clock):
    crew["team"].kind = "support"
    clock.set(local(2026, 4, 8, 9, 0))
    open_at(sla["specialist"], sla["alfa"], clock.now())
    clock.set(local(2026, 4, 8, 12, 15))
    assert run_task(db) == 1
    assert len(notices(db, crew["lead"])) == 1
    assert notices(db, crew["dev"]) == []


def test_without_the_mail_feature_notices_still_work(db, sla, crew, clock, monkeypatch):
    monkeypatch.setitem(sys.modules, "kbdesk.mail.outbound", None)  # import fails
    clock.set(local(2026, 4, 8, 9, 0))
    ticket = open_at(sla["specialist"], sla["alfa"], clock.now())
    change(sla["specialist"], ticket, clock.now(), assignee=crew["dev"].id)
    clock.set(local(2026, 4, 8, 12, 15))
    assert run_task(db) == 1
    assert len(notices(db, crew["dev"])) == 1


def test_notices_are_in_the_users_language(db, sla, crew, clock, make):
    czech = make.User(role="developer", email="cz@kbdesk.test", name="Čech", locale="cs")
    clock.set(local(2026, 4, 8, 9, 0))
    ticket = open_at(sla["specialist"], sla["alfa"], clock.now())
    change(sla["specialist"], ticket, clock.now(), assignee=czech.id)
    clock.set(local(2026, 4, 8, 12, 15))
    run_task(db)
    assert notices(db, czech) and ticket.number in notices(db, czech)[0]
    total = db.session.scalar(select(func.count(Notification.id)))
    assert total == 1


def test_task_runs_through_huey(db, sla, clock):
    clock.set(local(2026, 4, 8, 9, 0))
    ticket = open_at(sla["specialist"], sla["alfa"], clock.now())
    tid = ticket.id
    clock.set(local(2026, 4, 8, 14, 0))
    db.session.commit()
    check_sla_clocks()  # enqueued; tests run tasks eagerly
    check_sla_clocks()
    db.session.expire_all()
    assert events(db, tid) == [("first_response", "warning"), ("first_response", "breach")]
