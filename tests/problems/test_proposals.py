"""Proposals from matching: three similar tickets within 30 days make one, fewer do not."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.problems.models import Problem, ProblemTicket
from kbdesk.problems.proposals import propose
from kbdesk.tickets.models import TicketEvent


def _proposals(db):
    return list(db.session.scalars(select(Problem).where(Problem.status == "proposed")))


def test_three_similar_tickets_of_one_application_make_a_proposal(db, open_similar, portal):
    made = open_similar(3)
    found = propose()
    db.session.commit()
    assert len(found) == 1
    problem = found[0]
    assert problem.status == "proposed" and problem.application_id == portal.id
    assert sorted(link.ticket_id for link in problem.links) == sorted(t.id for t in made)
    assert problem.title.startswith("Invoice PDF export times out")
    assert db.session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == made[0].id,
                                                       TicketEvent.kind == "problem_linked"))
    # idempotent: a second run changes nothing
    assert propose() == []
    assert len(_proposals(db)) == 1


def test_two_similar_tickets_do_not(db, open_similar):
    open_similar(2)
    assert propose() == [] and _proposals(db) == []


def test_three_spread_over_sixty_days_do_not(db, open_similar):
    open_similar(3, days_apart=28)
    assert propose() == [] and _proposals(db) == []


def test_same_customer_without_application_does_not_but_two_customers_do(db, open_similar):
    open_similar(3, app=None)
    assert propose() == []
    open_similar(1, customer="beta")
    found = propose()
    assert len(found) == 1 and len(found[0].links) == 4 and found[0].application_id is None


def test_rejected_proposal_is_not_proposed_again(db, open_similar, users):
    from kbdesk.problems import services

    open_similar(3)
    problem = propose()[0]
    services.reject(users["specialist"], problem.id)
    db.session.commit()
    open_similar(1, start_days_ago=0.5)  # a fourth similar ticket: still mostly rejected ones
    assert propose() == []
    assert _proposals(db) == []
    assert db.session.get(Problem, problem.id).status == "rejected"


def test_new_similar_ticket_joins_the_existing_proposal(db, open_similar):
    open_similar(3)
    problem = propose()[0]
    db.session.commit()
    fourth = open_similar(1, start_days_ago=0.5)[0]
    assert [p.id for p in propose()] == [problem.id]
    assert db.session.scalar(select(ProblemTicket).where(ProblemTicket.ticket_id == fourth.id,
                                                         ProblemTicket.problem_id == problem.id))
    assert len(list(db.session.scalars(select(Problem)))) == 1
