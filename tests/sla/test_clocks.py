"""Ticket clocks through the real ticket services: due times, pauses, meets, severity, contracts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kbdesk.sla import contracts, services
from kbdesk.sla.calendar import PRAGUE
from tests.sla.conftest import change, local, open_at, reply


def due(ticket, kind="first_response"):
    return services.sla_for(ticket).clock(kind).due_at.astimezone(PRAGUE)


def test_done_when_due_time(db, sla):
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 2, 16, 30))
    assert due(ticket) == local(2026, 4, 7, 11, 30)
    # 16 working hours to resolution: 0.5 Thu + 9 Tue + 6.5 Wed.
    assert due(ticket, "resolution") == local(2026, 4, 8, 14, 30)
    body = services.sla_json(ticket, local(2026, 4, 2, 16, 30))
    assert body["state"] == "active" and body["policy"] == "Business"
    assert body["first_response"]["state"] == "running"
    assert body["first_response"]["due_at"] == local(2026, 4, 7, 11, 30).astimezone(UTC).isoformat()
    assert body["first_response"]["remaining_seconds"] == 4 * 3600
    # Warning at 80 % of 4 h = 3 h 12 min of business time: Tuesday 10:42.
    assert services.sla_for(ticket).clock("first_response").warn_at.astimezone(PRAGUE) == local(
        2026, 4, 7, 10, 42)


def test_pause_of_two_working_hours_moves_due_two_working_hours(db, sla):
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    assert due(ticket) == local(2026, 4, 8, 13, 0)
    change(sla["specialist"], ticket, local(2026, 4, 8, 10, 0), status="waiting_customer")
    body = services.sla_json(ticket, local(2026, 4, 8, 11, 0))
    assert body["paused"] and body["first_response"]["state"] == "paused"
    assert body["first_response"]["remaining_seconds"] == 3 * 3600  # frozen while paused
    change(sla["specialist"], ticket, local(2026, 4, 8, 12, 0), status="open")
    assert due(ticket) == local(2026, 4, 8, 15, 0)
    # 16 h from Wednesday 09:00 is Thursday 16:00; two more hours reach Friday 09:00.
    assert due(ticket, "resolution") == local(2026, 4, 10, 9, 0)
    assert services.sla_for(ticket).clock("first_response").paused_seconds == 2 * 3600


def test_done_when_ticket_paused_two_working_hours(db, sla):
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 2, 16, 30))
    change(sla["specialist"], ticket, local(2026, 4, 7, 8, 0), status="waiting_customer")
    change(sla["specialist"], ticket, local(2026, 4, 7, 10, 0), status="open")
    assert due(ticket) == local(2026, 4, 7, 13, 30)


def test_customer_reply_ends_the_pause(db, sla):
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    change(sla["specialist"], ticket, local(2026, 4, 8, 10, 0), status="waiting_customer")
    reply(sla["alice"], ticket, local(2026, 4, 8, 11, 0), "Posílám log.")
    assert ticket.status == "open"
    assert due(ticket) == local(2026, 4, 8, 14, 0)


def test_pause_across_midnight(db, sla):
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 15, 0))
    assert due(ticket) == local(2026, 4, 9, 10, 0)
    # Paused Wednesday 16:00 to Thursday 09:30: 1 h Wednesday + 1.5 h Thursday of business time.
    change(sla["specialist"], ticket, local(2026, 4, 8, 16, 0), status="waiting_customer")
    change(sla["specialist"], ticket, local(2026, 4, 9, 9, 30), status="open")
    assert services.sla_for(ticket).clock("first_response").paused_seconds == int(2.5 * 3600)
    assert due(ticket) == local(2026, 4, 9, 12, 30)


def test_several_pauses_accumulate(db, sla):
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 8, 0))
    for start, end in ((9, 10), (11, 11.5), (13, 14.25)):
        change(sla["specialist"], ticket, local(2026, 4, 8, 8) + timedelta(hours=start - 8),
               status="waiting_customer")
        change(sla["specialist"], ticket, local(2026, 4, 8, 8) + timedelta(hours=end - 8),
               status="open")
    clock = services.sla_for(ticket).clock("first_response")
    assert clock.paused_seconds == int(2.75 * 3600)
    assert len(clock.pauses) == 3
    assert due(ticket) == local(2026, 4, 8, 14, 45)


def test_pause_over_a_weekend_counts_only_business_time(db, sla):
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 10, 14, 0))  # Friday
    assert due(ticket) == local(2026, 4, 13, 9, 0)
    # Paused Friday 15:00 until Monday 10:00: 2 h Friday + 2 h Monday.
    change(sla["specialist"], ticket, local(2026, 4, 10, 15, 0), status="waiting_customer")
    change(sla["specialist"], ticket, local(2026, 4, 13, 10, 0), status="open")
    assert services.sla_for(ticket).clock("first_response").paused_seconds == 4 * 3600
    assert due(ticket) == local(2026, 4, 13, 13, 0)


def test_severity_change_recomputes_from_creation(db, sla):
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0), severity="normal")
    assert due(ticket) == local(2026, 4, 8, 17, 0)  # 8 h
    change(sla["specialist"], ticket, local(2026, 4, 8, 10, 0), status="waiting_customer")
    change(sla["specialist"], ticket, local(2026, 4, 8, 11, 0), status="open")
    assert due(ticket) == local(2026, 4, 9, 9, 0)
    change(sla["specialist"], ticket, local(2026, 4, 8, 11, 30), severity="critical")
    # From 09:00 on Wednesday: 4 h plus the 1 h pause.
    assert due(ticket) == local(2026, 4, 8, 14, 0)
    assert due(ticket, "resolution") == local(2026, 4, 9, 17, 0)  # 16 h + 1 h
    assert services.sla_json(ticket, local(2026, 4, 8, 12, 0))["severity"] == "critical"


def test_severity_change_to_another_calendar_remeasures_pauses(db, sla):
    admin = sla["admin"]
    mixed = contracts.save_policy(admin, {"name": "Mixed", "targets": {
        "critical": {"first_response": "2h", "resolution": "8h", "calendar": "Always"},
        "high": {"first_response": "8h", "resolution": "40h", "calendar": "Office"},
        "normal": {"first_response": "8h", "resolution": "40h", "calendar": "Office"},
        "low": {"first_response": "8h", "resolution": "40h", "calendar": "Office"}}})
    contracts.save_contract(admin, sla["beta"], {"name": "Beta", "policy": mixed.id,
                                                 "valid_from": "2026-01-01"})
    ticket = open_at(sla["specialist"], sla["beta"], local(2026, 4, 8, 16, 0), severity="normal")
    change(sla["specialist"], ticket, local(2026, 4, 8, 16, 30), status="waiting_customer")
    change(sla["specialist"], ticket, local(2026, 4, 8, 18, 30), status="open")
    assert services.sla_for(ticket).clock("first_response").paused_seconds == 30 * 60
    change(sla["specialist"], ticket, local(2026, 4, 8, 18, 40), severity="critical")
    # On the 24/7 calendar the pause counts fully: 16:00 + 2 h + 2 h paused.
    assert services.sla_for(ticket).clock("first_response").paused_seconds == 2 * 3600
    assert due(ticket) == local(2026, 4, 8, 20, 0)
    assert services.sla_for(ticket).calendar.name == "Always"


def test_24x7_against_business_hours(db, sla):
    contracts.save_contract(sla["admin"], sla["beta"], {
        "name": "Beta nonstop", "policy": "Nonstop", "valid_from": "2026-01-01"})
    at = local(2026, 4, 2, 16, 30)
    business = open_at(sla["specialist"], sla["alfa"], at)
    nonstop = open_at(sla["specialist"], sla["beta"], at)
    assert due(business) == local(2026, 4, 7, 11, 30)
    assert due(nonstop) == local(2026, 4, 2, 20, 30)
    assert services.sla_json(nonstop, at)["calendar"] == "Always"


def test_no_contract_means_no_sla_and_says_so(db, sla):
    ticket = open_at(sla["specialist"], sla["beta"], local(2026, 4, 8, 9, 0))
    body = services.sla_json(ticket)
    assert body["state"] == "none" and body["reason"] == "no_contract"
    assert "no contract" in body["message"].lower()
    assert body["first_response"] is None
    change(sla["specialist"], ticket, local(2026, 4, 8, 10, 0), status="waiting_customer")
    assert services.sla_json(ticket)["state"] == "none"


def test_contract_that_ends(db, sla):
    contracts.save_contract(sla["admin"], None, {"valid_to": "2026-06-30"},
                            contract_id=sla["contract"].id)
    inside = open_at(sla["specialist"], sla["alfa"], local(2026, 6, 30, 23, 30))
    after = open_at(sla["specialist"], sla["alfa"], local(2026, 7, 1, 0, 10))
    before = open_at(sla["specialist"], sla["alfa"], local(2025, 12, 31, 12, 0))
    assert services.sla_json(inside)["state"] == "active"
    assert services.sla_json(after)["reason"] == "no_contract"
    assert services.sla_json(before)["reason"] == "no_contract"
    # A ticket filed while the contract was in force keeps its SLA after the contract ends.
    change(sla["specialist"], inside, local(2026, 7, 2, 9, 0), severity="high")
    assert services.sla_json(inside)["state"] == "active"


def test_first_public_staff_reply_meets_first_response(db, sla):
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    reply(sla["specialist"], ticket, local(2026, 4, 8, 9, 30), "Interní poznámka", internal=True)
    reply(None, ticket, local(2026, 4, 8, 9, 31), "Děkujeme, přijali jsme.", automatic=True)
    reply(sla["alice"], ticket, local(2026, 4, 8, 9, 40), "Doplňuji info.")
    assert services.sla_json(ticket, local(2026, 4, 8, 9, 45))["first_response"]["state"] == "running"
    reply(sla["specialist"], ticket, local(2026, 4, 8, 10, 0))
    body = services.sla_json(ticket, local(2026, 4, 8, 10, 5))
    assert body["first_response"]["state"] == "met"
    assert body["first_response"]["met_at"] == local(2026, 4, 8, 10, 0).astimezone(UTC).isoformat()
    assert body["resolution"]["state"] == "running"
    assert body["next_due_at"] == services.sla_for(ticket).clock("resolution").due_at.isoformat()


def test_late_reply_is_breached_even_if_the_timer_never_ran(db, sla):
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    reply(sla["specialist"], ticket, local(2026, 4, 8, 14, 0))
    body = services.sla_json(ticket)
    assert body["first_response"]["state"] == "breached"
    assert body["first_response"]["met_at"] is not None


def test_resolved_meets_resolution_and_reopen_resumes(db, sla):
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    reply(sla["specialist"], ticket, local(2026, 4, 8, 9, 30))
    assert due(ticket, "resolution") == local(2026, 4, 9, 16, 0)
    change(sla["specialist"], ticket, local(2026, 4, 8, 12, 0), status="resolved")
    body = services.sla_json(ticket)
    assert body["resolution"]["state"] == "met" and body["next_due_at"] is None
    # The customer reopens on Thursday 10:00: the resolved time (Wed 12:00-Thu 10:00 = 7 h) is
    # added, like a pause.
    reply(sla["alice"], ticket, local(2026, 4, 9, 10, 0), "Pořád to nejde.")
    assert ticket.status == "open"
    assert services.sla_json(ticket, local(2026, 4, 9, 10, 0))["resolution"]["state"] == "running"
    assert due(ticket, "resolution") == local(2026, 4, 10, 14, 0)
    assert services.sla_json(ticket)["first_response"]["state"] == "met"


def test_resolving_from_waiting_closes_the_pause(db, sla):
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    reply(sla["specialist"], ticket, local(2026, 4, 8, 9, 30))
    change(sla["specialist"], ticket, local(2026, 4, 8, 10, 0), status="waiting_customer")
    change(sla["specialist"], ticket, local(2026, 4, 8, 15, 0), status="resolved")
    clock = services.sla_for(ticket).clock("resolution")
    assert clock.state == "met" and clock.paused_seconds == 5 * 3600 and clock.breached_at is None


def test_update_interval_restarts_with_each_public_reply(db, sla):
    contracts.save_policy(sla["admin"], {"targets": {
        sev: {"first_response": "4h", "resolution": "16h", "update": "2h", "calendar": "Office"}
        for sev in ("critical", "high", "normal", "low")}}, policy_id=sla["business"].id)
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0))
    assert services.sla_json(ticket)["update"] is None
    reply(sla["specialist"], ticket, local(2026, 4, 8, 9, 30))
    assert due(ticket, "update") == local(2026, 4, 8, 11, 30)
    reply(sla["specialist"], ticket, local(2026, 4, 8, 11, 0))
    assert due(ticket, "update") == local(2026, 4, 8, 13, 0)
    assert services.sla_for(ticket).clock("update").cycle == 2
    change(sla["specialist"], ticket, local(2026, 4, 8, 12, 0), status="resolved")
    assert services.sla_json(ticket)["update"]["state"] == "met"


def test_ticket_without_customer_has_no_sla(db, sla):
    from kbdesk.tickets.services import open_ticket

    ticket = open_ticket(None, {"subject": "Neznámý odesílatel"}, channel="email",
                         now=local(2026, 4, 8, 9, 0))
    assert services.sla_json(ticket)["reason"] == "no_customer"


def test_queue_sort_key_and_sql_order(db, sla):
    from sqlalchemy import select

    from kbdesk.tickets.models import Ticket

    late = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0), severity="normal")
    soon = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 9, 0), severity="critical")
    none = open_at(sla["specialist"], sla["beta"], local(2026, 4, 8, 8, 0))
    escalated = open_at(sla["specialist"], sla["alfa"], local(2026, 4, 8, 10, 0), severity="low")
    services.sla_for(escalated).escalated = True
    db.session.flush()
    expected = [escalated.id, soon.id, late.id, none.id]
    tickets = [none, late, escalated, soon]
    assert [t.id for t in sorted(tickets, key=services.due_sort_key)] == expected
    ordered = db.session.scalars(select(Ticket).order_by(*services.due_order(), Ticket.id))
    assert [t.id for t in ordered] == expected


def test_ticket_across_the_spring_dst_switch(db, sla):
    # Friday 27 March 16:00 CET + 4 working hours = Monday 30 March 11:00 CEST (09:00 UTC).
    ticket = open_at(sla["specialist"], sla["alfa"], local(2026, 3, 27, 16, 0))
    assert due(ticket) == local(2026, 3, 30, 11, 0)
    assert services.sla_for(ticket).clock("first_response").due_at.astimezone(UTC).hour == 9


def test_ticket_across_the_autumn_dst_switch_on_24x7(db, sla):
    contracts.save_contract(sla["admin"], sla["beta"], {
        "name": "Beta nonstop", "policy": "Nonstop", "valid_from": "2026-01-01"})
    # Saturday 24 October 22:00 CEST + 4 real hours = 02:00 CEST, the first of the two 02:00s.
    ticket = open_at(sla["specialist"], sla["beta"], local(2026, 10, 24, 22, 0))
    first = services.sla_for(ticket).clock("first_response")
    assert first.due_at == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    assert first.due_at.astimezone(PRAGUE).utcoffset() == timedelta(hours=2)
    change(sla["specialist"], ticket, local(2026, 10, 24, 23, 0), status="waiting_customer")
    change(sla["specialist"], ticket, local(2026, 10, 25, 3, 0), status="open")
    # Paused 23:00 CEST to 03:00 CET: five real hours.
    assert services.sla_for(ticket).clock("first_response").paused_seconds == 5 * 3600
    assert due(ticket) == local(2026, 10, 25, 6, 0)


def test_demo_data_loads_twice(app, db, users):
    from sqlalchemy import func, select

    from kbdesk import demo
    from kbdesk.sla.models import Contract

    demo.load(app)
    db.session.commit()
    demo.load(app)
    db.session.commit()
    assert db.session.scalar(select(func.count(Contract.id))) == 3
