"""The scheduler with a fake clock: due slots, exclusive claims, skipped backlog, idempotent runs."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from kbdesk.extensions import db as _db
from kbdesk.monitor import runner, scheduler, tasks
from kbdesk.monitor.models import Monitor, ProbeResult


def _monitors(ticker, shop, server, n, **kw):
    return [ticker.monitor(shop["admin"], shop["app"], target=server.url(f"/m{i}"), **kw)
            for i in range(n)]


def test_first_due_is_soon_on_a_whole_second_and_spread(clock):
    dues = {scheduler.first_due(clock(), 60) for _ in range(200)}
    assert all(d.microsecond == 0 and clock() < d <= clock() + timedelta(seconds=61)
               for d in dues)
    assert len(dues) > 20


def test_slots_between_skips_backlog_and_keeps_phase(clock):
    due = clock() - timedelta(seconds=3600 + 15)  # the workers were down for an hour
    slots, next_due = scheduler.slots_between(due, 60, clock(), timedelta(0))
    assert slots == [clock() - timedelta(seconds=15)]
    assert next_due == clock() + timedelta(seconds=45)
    slots, _ = scheduler.slots_between(clock(), 30, clock(), timedelta(seconds=90))
    assert [int((s - clock()).total_seconds()) for s in slots] == [0, 30, 60, 90]


def test_claims_each_slot_once(db, shop, server, ticker, clock):
    monitors = _monitors(ticker, shop, server, 3)
    monitors[2].enabled = False
    db.session.commit()
    first = scheduler.claim_due(clock(), horizon=timedelta(seconds=90))
    assert sorted({m for m, _s in first}) == [monitors[0].id, monitors[1].id]
    assert len(first) == 4  # now and +60 s for each enabled monitor
    assert scheduler.claim_due(clock(), horizon=timedelta(seconds=90)) == []
    clock.advance(60)
    again = scheduler.claim_due(clock(), horizon=timedelta(seconds=90))
    assert [s for _m, s in again] == [clock() + timedelta(seconds=60)] * 2


def test_concurrent_dispatchers_never_share_a_slot(app, db, shop, server, ticker, clock):
    ids = {m.id for m in _monitors(ticker, shop, server, 30)}
    claims: list[list] = []
    barrier = threading.Barrier(4)

    def worker():
        with app.app_context():
            barrier.wait()
            got = scheduler.claim_due(clock(), horizon=timedelta(seconds=90))
            _db.session.commit()
            claims.append(got)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [pair for got in claims for pair in got]
    assert len(everything) == len(set(everything)) == 60  # 30 monitors x 2 slots, each once
    assert {m for m, _s in everything} == ids


def test_running_a_batch_twice_probes_once(db, shop, server, ticker, clock):
    [monitor] = _monitors(ticker, shop, server, 1)
    claimed = scheduler.claim_due(clock(), horizon=timedelta(0))
    assert len(runner.run_slots(claimed, clock=clock)) == 1
    db.session.commit()
    assert runner.run_slots(claimed, clock=clock) == []
    db.session.commit()
    assert server.behaviour.hits == 1
    assert db.session.scalar(select(func.count(ProbeResult.id))) == 1
    assert monitor.last_slot_at == claimed[0][1]


def test_late_older_slot_does_not_rewind_state(db, shop, server, ticker, clock):
    [monitor] = _monitors(ticker, shop, server, 1)
    t0 = clock()
    later = [(monitor.id, t0 + timedelta(seconds=60))]
    runner.run_slots(later, clock=clock)
    server.behaviour.mode = "error"
    runner.run_slots([(monitor.id, t0)], clock=clock)  # the earlier slot finishing late
    db.session.commit()
    assert monitor.state == "up" and monitor.consecutive_failures == 0
    assert db.session.scalar(select(func.count(ProbeResult.id))) == 2


def test_dispatch_task_runs_due_probes_through_huey(app, db, shop, server, ticker):
    from kbdesk.db_types import utcnow

    monitors = _monitors(ticker, shop, server, 2)
    for m in monitors:
        m.next_due_at = utcnow().replace(microsecond=0) - timedelta(seconds=1)
    db.session.commit()
    # Immediate mode: the dispatcher claims, commits, and the batch runs after the commit.
    assert tasks.dispatch_probes.call_local() >= 2
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ProbeResult.id))) == 2
    assert all(m.state == "up" for m in db.session.scalars(select(Monitor)))
    assert server.behaviour.hits == 2


def test_batches_group_by_slot_and_bound_size(clock):
    t = clock()
    claimed = [(i, t) for i in range(120)] + [(500, t + timedelta(seconds=1))]
    groups = scheduler.batches(claimed, size=50)
    assert [(s == t, len(p)) for s, p in groups] == [(True, 50), (True, 50), (True, 20),
                                                     (False, 1)]
    assert scheduler.decode(scheduler.encode(claimed)) == claimed
