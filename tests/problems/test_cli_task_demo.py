"""`kbdesk problems propose`, the hourly task and the demo hook."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.demo import DEMO_HOOKS
from kbdesk.problems.demo import load_demo
from kbdesk.problems.models import Problem
from kbdesk.problems.tasks import propose_problems


def test_cli_proposes_once(runner, db, open_similar):
    open_similar(3)
    result = runner.invoke(args=["problems", "propose"])
    assert result.exit_code == 0, result.output
    assert "1 problem(s) proposed or extended." in result.output
    db.session.expire_all()
    assert [p.status for p in db.session.scalars(select(Problem))] == ["proposed"]
    again = runner.invoke(args=["problems", "propose"])
    assert "0 problem(s)" in again.output


def test_hourly_task_is_idempotent(db, open_similar):
    open_similar(3)
    assert propose_problems.call_local() == 1
    assert propose_problems.call_local() == 0
    db.session.expire_all()
    assert len(list(db.session.scalars(select(Problem)))) == 1


def test_demo_links_a_workaround_to_the_edi_ticket(runner, db):
    assert load_demo in DEMO_HOOKS
    for _ in range(2):  # idempotent
        result = runner.invoke(args=["demo", "--no-serve"])
        assert result.exit_code == 0, result.output
    problems = list(db.session.scalars(select(Problem)))
    assert len(problems) == 1 and problems[0].status == "known_error"
    assert problems[0].workaround and len(problems[0].links) == 1
    assert problems[0].links[0].ticket.subject.startswith("EDI Gateway")
