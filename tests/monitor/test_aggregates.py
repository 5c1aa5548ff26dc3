"""Retention: raw results for 7 days, hourly aggregates after, uptime over both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from kbdesk.monitor import aggregates, charts
from kbdesk.monitor.models import HourlyAggregate, ProbeResult

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


def _fill(db, monitor_id, start, minutes, failing=(), silenced=()):
    for i in range(minutes):
        at = start + timedelta(minutes=i)
        db.session.add(ProbeResult(monitor_id=monitor_id, slot_at=at, started_at=at,
                                   ok=i not in failing, latency_ms=100 + i % 10,
                                   layer="" if i not in failing else "timeout",
                                   silenced=i in silenced))
    db.session.commit()


def test_compaction_folds_old_results_into_hours(db, shop, ticker):
    monitor = ticker.monitor(shop["admin"], shop["app"], target="http://127.0.0.1:1/")
    old = NOW - timedelta(days=10, minutes=30)  # 2026-11-10 12:00
    _fill(db, monitor.id, old, 120, failing=set(range(60, 90)), silenced={119})
    _fill(db, monitor.id, NOW - timedelta(hours=2), 60)
    before = aggregates.uptime([monitor.id], NOW - timedelta(days=30), NOW)[monitor.id]

    assert aggregates.compact(NOW) == 120
    db.session.commit()
    hours = db.session.scalars(select(HourlyAggregate).order_by(HourlyAggregate.hour_start)).all()
    assert [(h.hour_start.hour, h.checks, h.up) for h in hours] == [(12, 60, 60), (13, 59, 29)]
    assert hours[0].latency_max_ms == 109 and hours[0].latency_count == 60
    assert db.session.scalar(select(func.count(ProbeResult.id))) == 60  # the recent hour stays
    after = aggregates.uptime([monitor.id], NOW - timedelta(days=30), NOW)[monitor.id]
    assert before == after == (60 + 29 + 60) / (60 + 59 + 60)

    assert aggregates.compact(NOW) == 0  # idempotent
    db.session.commit()
    assert db.session.scalar(select(func.count(HourlyAggregate.id))) == 2


def test_uptime_windows(db, shop, ticker):
    monitor = ticker.monitor(shop["admin"], shop["app"], target="http://127.0.0.1:1/")
    _fill(db, monitor.id, NOW - timedelta(hours=1), 60, failing=set(range(30)))
    _fill(db, monitor.id, NOW - timedelta(days=3), 60)
    db.session.add(HourlyAggregate(monitor_id=monitor.id, hour_start=NOW - timedelta(days=20),
                                   checks=60, up=0, latency_sum_ms=0, latency_count=0,
                                   latency_max_ms=0))
    db.session.commit()
    ups = aggregates.uptimes([monitor.id], NOW)[monitor.id]
    assert ups["24h"] == 0.5
    assert ups["7d"] == 90 / 120
    assert ups["30d"] == 90 / 180
    assert aggregates.uptimes([monitor.id + 99], NOW)[monitor.id + 99]["24h"] is None


def test_chart_buckets(db, shop, ticker):
    monitor = ticker.monitor(shop["admin"], shop["app"], target="http://127.0.0.1:1/")
    _fill(db, monitor.id, NOW - timedelta(hours=2), 120, failing=set(range(60, 120)))
    chart = charts.chart(monitor.id, "24h", NOW)
    filled = [b for b in chart["bars"] if b["checks"]]
    assert len(filled) == 8  # 15-minute slices over two hours
    assert {b["colour"] for b in filled[:4]} == {"#1e8e4f"}
    assert {b["colour"] for b in filled[4:]} == {"#c0392b"}
    assert chart["segments"] and chart["top"] == 200
