"""Ticket rules through the services: numbering, events for every change, links, merge."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kbdesk.errors import Conflict, Forbidden, ValidationError
from kbdesk.tickets import links, services, visits
from kbdesk.tickets.attachments import add_attachment


def kinds(ticket):
    return [e.kind for e in ticket.events]


def test_numbers_count_up_per_year(db, users, open_ticket):
    first = open_ticket()
    second = open_ticket(subject="Second")
    year = first.created_at.year
    assert first.number == f"{year}-000001" and second.number == f"{year}-000002"
    old = services.open_ticket(users["specialist"], {"customer": "alfa", "subject": "Old"},
                               channel="phone", now=datetime(2025, 12, 31, 23, 0, tzinfo=UTC))
    assert old.number == "2025-000001"


def test_every_change_is_an_event(db, users, open_ticket, make):
    spec, dev = users["specialist"], users["developer"]
    team = make.Team(name="Development", members=[dev])
    ticket = open_ticket()
    other = open_ticket(subject="Another")
    services.update_ticket(spec, ticket.id, {"status": "open", "severity": "high",
                                             "assignee": dev.email, "team": str(team.id)})
    services.add_message(spec, ticket, "We are looking into it.")
    services.add_message(dev, ticket, "Stack trace points to the cache.", internal=True)
    links.link_tickets(spec, ticket, other.number, "related_to")
    add_attachment(spec, ticket, b"ERROR boom\n", "app.log")
    visits.add_visit(spec, ticket, {"visit_date": "2026-03-02", "duration_minutes": "90",
                                    "work_done": "Replaced the disk.", "confirmed_by": "Ing. Kos"})
    links.add_watcher(spec, ticket, dev.id)
    third = open_ticket(subject="Dup")
    links.merge_tickets(spec, third, ticket.number)
    db.session.commit()
    got = kinds(ticket)
    for kind in ("created", "status", "severity", "assignee", "team", "message", "link",
                 "attachment", "visit", "watcher_added", "merged_from"):
        assert kind in got, kind
    assert got.count("message") == 2
    assert all(e.at is not None for e in ticket.events)
    status = next(e for e in ticket.events if e.kind == "status")
    assert status.data == {"old": "new", "new": "open"} and status.actor_id == spec.id
    assignee = next(e for e in ticket.events if e.kind == "assignee")
    assert assignee.data["new"]["id"] == dev.id and not assignee.public
    assert "link" in kinds(other)
    assert "merged_into" in kinds(third) and "status" in kinds(third)


def test_unchanged_values_record_nothing(db, users, open_ticket):
    ticket = open_ticket()
    before = len(ticket.events)
    services.update_ticket(users["specialist"], ticket.id, {"status": "new", "severity": "normal"})
    assert len(ticket.events) == before


def test_links_refuse_self_and_duplicates(db, users, open_ticket):
    spec = users["specialist"]
    a, b = open_ticket(), open_ticket(subject="B")
    with pytest.raises(ValidationError):
        links.link_tickets(spec, a, a.number, "related_to")
    with pytest.raises(ValidationError):
        links.link_tickets(spec, a, b.number, "blocks")
    with pytest.raises(ValidationError):
        links.link_tickets(spec, a, "2099-999999", "related_to")
    links.link_tickets(spec, a, b.id, "related_to")
    with pytest.raises(Conflict):
        links.link_tickets(spec, a, b.number, "related_to")
    with pytest.raises(Conflict):  # related_to reads the same both ways
        links.link_tickets(spec, b, a.number, "related_to")
    links.link_tickets(spec, a, b.number, "caused_by")
    seen_from_b = {item["kind"] for item in links.links_of(b)}
    assert seen_from_b == {"related_to", "causes"}
    with pytest.raises(Forbidden):
        links.link_tickets(users["alice"], a, b.number, "duplicate_of")


def test_unlink_records_on_both(db, users, open_ticket):
    spec = users["specialist"]
    a, b = open_ticket(), open_ticket(subject="B")
    link = links.link_tickets(spec, a, b.number, "duplicate_of")
    links.unlink_tickets(spec, b, link.id)
    assert links.links_of(a) == [] and "unlink" in kinds(a) and "unlink" in kinds(b)
    unlink_b = next(e for e in b.events if e.kind == "unlink")
    assert unlink_b.data["link"] == "has_duplicate"


def test_merge_moves_messages_and_attachments(db, users, open_ticket):
    spec = users["specialist"]
    survivor = open_ticket(subject="Export fails")
    dup = open_ticket(subject="Export fails again")
    services.add_message(spec, dup, "Reply on the duplicate")
    add_attachment(spec, dup, b"trace", "trace.txt")
    links.add_watcher(spec, dup, users["tester"])
    links.merge_tickets(spec, dup, survivor.number)
    db.session.commit()
    db.session.refresh(dup)
    db.session.refresh(survivor)
    assert dup.merged_into_id == survivor.id and dup.status == "closed" and dup.closed_at
    assert dup.messages == [] and dup.attachments == []
    assert [m.body for m in survivor.messages] == ["Reply on the duplicate"]
    assert [a.filename for a in survivor.attachments] == ["trace.txt"]
    assert users["tester"].id in {w.user_id for w in survivor.watchers}
    merged_from = next(e for e in survivor.events if e.kind == "merged_from")
    assert merged_from.data["number"] == dup.number and merged_from.data["messages"] == 1


def test_merge_refusals(db, users, open_ticket):
    spec = users["specialist"]
    a, b, c = open_ticket(), open_ticket(subject="B"), open_ticket(subject="C")
    foreign = open_ticket(customer="beta", subject="Beta's")
    with pytest.raises(ValidationError):
        links.merge_tickets(spec, a, a.number)
    with pytest.raises(ValidationError):
        links.merge_tickets(spec, a, foreign.number)
    links.merge_tickets(spec, b, c.number)
    with pytest.raises(Conflict):
        links.merge_tickets(spec, b, a.number)
    with pytest.raises(ValidationError):  # into an already merged ticket
        links.merge_tickets(spec, a, b.number)
    with pytest.raises(Forbidden):
        links.merge_tickets(users["alice"], a, c.number)


def test_watchers(db, users, open_ticket):
    spec = users["specialist"]
    ticket = open_ticket()
    links.add_watcher(spec, ticket, users["developer"].email)
    with pytest.raises(Conflict):
        links.add_watcher(spec, ticket, users["developer"].id)
    with pytest.raises(ValidationError):
        links.add_watcher(spec, ticket, users["alice"].id)
    links.remove_watcher(spec, ticket, users["developer"].id)
    assert ticket.watchers == []
    assert kinds(ticket).count("watcher_added") == 1 and "watcher_removed" in kinds(ticket)


def test_visit_validation(db, users, open_ticket):
    ticket = open_ticket()
    with pytest.raises(ValidationError) as err:
        visits.add_visit(users["specialist"], ticket, {"visit_date": "yesterday",
                                                       "duration_minutes": "0"})
    assert set(err.value.fields) == {"visit_date", "duration_minutes", "work_done"}
    with pytest.raises(Forbidden):
        visits.add_visit(users["alice"], ticket, {})
    visit = visits.add_visit(users["specialist"], ticket, {
        "visit_date": "2026-05-04", "engineer": users["developer"].email,
        "duration_minutes": 45, "work_done": "Configured the printer.", "confirmed_by": "Jana"})
    assert visit.engineer_id == users["developer"].id
    event = ticket.events[-1]
    assert event.kind == "visit" and event.public and event.data["minutes"] == 45
