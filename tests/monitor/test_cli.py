"""`kbdesk monitor …` commands and the demo monitors."""

from __future__ import annotations

from sqlalchemy import func, select

from kbdesk.monitor.models import Monitor, ProbeResult


def test_list_check_run_due_compact(runner, db, shop, server, ticker):
    monitor = ticker.monitor(shop["admin"], shop["app"], target=server.url(), name="Shop")
    from kbdesk.db_types import utcnow

    monitor.next_due_at = utcnow().replace(microsecond=0)
    db.session.commit()
    out = runner.invoke(args=["monitor", "list"])
    assert out.exit_code == 0 and "Shop" in out.output and "unknown" in out.output
    out = runner.invoke(args=["monitor", "check", str(monitor.id)])
    assert out.exit_code == 0 and out.output.startswith("up")
    server.behaviour.mode = "error"
    out = runner.invoke(args=["monitor", "check", str(monitor.id)])
    assert out.exit_code == 2 and "http_status" in out.output
    assert runner.invoke(args=["monitor", "check", "999"]).exit_code == 1
    out = runner.invoke(args=["monitor", "run-due"])
    assert out.exit_code == 0 and "Probed 1 slots, 1 failed" in out.output
    assert db.session.scalar(select(func.count(ProbeResult.id))) == 1
    out = runner.invoke(args=["monitor", "compact"])
    assert out.exit_code == 0 and "Folded 0" in out.output


def test_demo_monitors(app, db):
    from kbdesk import demo

    demo.load(app)
    db.session.commit()
    demo.load(app)  # idempotent
    db.session.commit()
    names = db.session.scalars(select(Monitor.name)).all()
    assert len(names) == 3 and "Objednávkový portál – health" in names
