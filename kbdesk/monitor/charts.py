"""Response-time and uptime chart as numbers for an inline SVG (no scripts, no CDN)."""

from __future__ import annotations

from datetime import datetime, timedelta

from kbdesk.monitor.aggregates import buckets

RANGES = {"24h": (timedelta(hours=24), 96), "7d": (timedelta(days=7), 168),
          "30d": (timedelta(days=30), 120)}
WIDTH, HEIGHT, BAR = 720, 200, 14  # plot size; the uptime strip sits below the plot


def _nice(value: int) -> int:
    """A round upper bound for the latency axis."""
    for step in (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000):
        if value <= step:
            return step
    return value


def _colour(uptime: float | None) -> str:
    if uptime is None:
        return "#d5d9e0"
    if uptime >= 0.999:
        return "#1e8e4f"
    if uptime >= 0.95:
        return "#b7791f"
    return "#c0392b"


def chart(monitor_id: int, range_name: str, now: datetime) -> dict:
    """Polyline points for mean latency and coloured bars for uptime per slice."""
    span, count = RANGES.get(range_name, RANGES["24h"])
    data = buckets(monitor_id, now - span, now, count)
    top = _nice(max((b["latency"] or 0 for b in data), default=0) or 10)
    step = WIDTH / count
    points, segments = [], []
    for i, b in enumerate(data):
        if b["latency"] is None:
            if points:
                segments.append(" ".join(points))
                points = []
            continue
        x = round(i * step + step / 2, 1)
        y = round(HEIGHT - b["latency"] / top * (HEIGHT - 10), 1)
        points.append(f"{x},{y}")
    if points:
        segments.append(" ".join(points))
    bars = [{"x": round(i * step, 1), "w": round(max(step - 0.5, 0.5), 1),
             "colour": _colour(b["uptime"]), "start": b["start"], "uptime": b["uptime"],
             "latency": b["latency"], "checks": b["checks"]} for i, b in enumerate(data)]
    return {"width": WIDTH, "height": HEIGHT, "bar": BAR, "top": top, "segments": segments,
            "bars": bars, "range": range_name if range_name in RANGES else "24h",
            "since": now - span, "until": now}
