"""Raw results for 7 days, hourly aggregates after; uptime over both, without double counting.

Raw rows and aggregate rows never cover the same probe: compaction writes an hour's aggregate
and deletes that hour's raw rows in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, func, select

from kbdesk.extensions import db
from kbdesk.monitor.models import HourlyAggregate, ProbeResult

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
CHUNK = timedelta(hours=6)


def retention() -> timedelta:
    """How long raw results are kept (setting MONITOR_RETENTION_DAYS, 7 by default)."""
    return timedelta(days=current_app.config.get("MONITOR_RETENTION_DAYS", 7))


def hour_floor(dt: datetime) -> datetime:
    """The start of the hour a moment falls in."""
    return dt.replace(minute=0, second=0, microsecond=0)


def _merge(existing: dict, key: tuple[int, datetime], acc: list[int]) -> None:
    monitor_id, hour = key
    row = existing.get(key)
    if row is None:
        row = HourlyAggregate(monitor_id=monitor_id, hour_start=hour, checks=0, up=0,
                              latency_sum_ms=0, latency_count=0, latency_max_ms=0)
        db.session.add(row)
    row.checks += acc[0]
    row.up += acc[1]
    row.latency_sum_ms += acc[2]
    row.latency_count += acc[3]
    row.latency_max_ms = max(row.latency_max_ms, acc[4])


def compact(now: datetime) -> int:
    """Fold raw results older than the retention into hourly aggregates; returns rows folded."""
    cutoff = hour_floor(now - retention())
    folded = 0
    while True:
        oldest = db.session.scalar(select(func.min(ProbeResult.slot_at))
                                   .where(ProbeResult.slot_at < cutoff))
        if oldest is None:
            return folded
        end = min(hour_floor(oldest) + CHUNK, cutoff)
        acc: dict[tuple[int, datetime], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
        rows = db.session.execute(select(
            ProbeResult.monitor_id, ProbeResult.slot_at, ProbeResult.ok,
            ProbeResult.latency_ms, ProbeResult.silenced).where(ProbeResult.slot_at < end))
        for monitor_id, slot_at, ok, latency, silenced in rows:
            folded += 1
            if silenced:  # maintenance: not counted in uptime, so not kept either
                continue
            a = acc[(monitor_id, hour_floor(slot_at))]
            a[0] += 1
            if ok:
                a[1] += 1
                if latency is not None:
                    a[2] += latency
                    a[3] += 1
                    a[4] = max(a[4], latency)
        existing = {(r.monitor_id, r.hour_start): r for r in db.session.scalars(
            select(HourlyAggregate).where(HourlyAggregate.hour_start >= hour_floor(oldest),
                                          HourlyAggregate.hour_start < end))}
        for key, values in acc.items():
            _merge(existing, key, values)
        db.session.execute(delete(ProbeResult).where(ProbeResult.slot_at < end)
                           .execution_options(synchronize_session=False))
        db.session.flush()


def uptime(monitor_ids: list[int], since: datetime, until: datetime) -> dict[int, float | None]:
    """Share of counted checks that were up, per monitor, from raw rows and aggregates."""
    if not monitor_ids:
        return {}
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    raw = db.session.execute(
        select(ProbeResult.monitor_id, func.count(),
               func.sum(case((ProbeResult.ok.is_(True), 1), else_=0)))
        .where(ProbeResult.monitor_id.in_(monitor_ids), ProbeResult.slot_at >= since,
               ProbeResult.slot_at <= until, ProbeResult.silenced.is_(False))
        .group_by(ProbeResult.monitor_id))
    agg = db.session.execute(
        select(HourlyAggregate.monitor_id, func.sum(HourlyAggregate.checks),
               func.sum(HourlyAggregate.up))
        .where(HourlyAggregate.monitor_id.in_(monitor_ids), HourlyAggregate.hour_start >= since,
               HourlyAggregate.hour_start <= until)
        .group_by(HourlyAggregate.monitor_id))
    for monitor_id, checks, up in [*raw, *agg]:
        totals[monitor_id][0] += int(checks or 0)
        totals[monitor_id][1] += int(up or 0)
    return {mid: (totals[mid][1] / totals[mid][0] if totals[mid][0] else None)
            for mid in monitor_ids}


def uptimes(monitor_ids: list[int], now: datetime) -> dict[int, dict[str, float | None]]:
    """Uptime over 24 h, 7 d and 30 d for each monitor."""
    out: dict[int, dict[str, float | None]] = {mid: {} for mid in monitor_ids}
    for name, span in WINDOWS.items():
        for mid, value in uptime(monitor_ids, now - span, now).items():
            out[mid][name] = value
    return out


def buckets(monitor_id: int, since: datetime, until: datetime, count: int) -> list[dict]:
    """Checks, up checks and latency per equal slice of a period (for the charts)."""
    width = (until - since) / count
    out = [{"start": since + width * i, "checks": 0, "up": 0, "lat_sum": 0, "lat_n": 0,
            "lat_max": 0} for i in range(count)]

    def add(at: datetime, checks: int, up: int, lat_sum: int, lat_n: int, lat_max: int):
        i = int((at - since) / width)
        if 0 <= i < count:
            b = out[i]
            b["checks"] += checks
            b["up"] += up
            b["lat_sum"] += lat_sum
            b["lat_n"] += lat_n
            b["lat_max"] = max(b["lat_max"], lat_max)

    for slot_at, ok, latency in db.session.execute(
            select(ProbeResult.slot_at, ProbeResult.ok, ProbeResult.latency_ms).where(
                ProbeResult.monitor_id == monitor_id, ProbeResult.slot_at >= since,
                ProbeResult.slot_at < until, ProbeResult.silenced.is_(False))):
        has_latency = ok and latency is not None
        add(slot_at, 1, int(ok), latency if has_latency else 0, int(has_latency),
            latency if has_latency else 0)
    for row in db.session.scalars(select(HourlyAggregate).where(
            HourlyAggregate.monitor_id == monitor_id, HourlyAggregate.hour_start >= since,
            HourlyAggregate.hour_start < until)):
        add(row.hour_start, row.checks, row.up, row.latency_sum_ms, row.latency_count,
            row.latency_max_ms)
    for b in out:
        b["uptime"] = b["up"] / b["checks"] if b["checks"] else None
        b["latency"] = round(b["lat_sum"] / b["lat_n"]) if b["lat_n"] else None
    return out
