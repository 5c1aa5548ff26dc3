"""Monitor rules: who may see and change monitors, what a valid monitor is; add and flush only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import selectinload

from kbdesk.accounts.permissions import customer_scope, require_admin, require_roles
from kbdesk.customers.models import Application, Customer
from kbdesk.db_types import utcnow
from kbdesk.errors import Forbidden, NotFound
from kbdesk.extensions import db
from kbdesk.monitor import incidents, ssrf
from kbdesk.monitor.models import (
    HTTP_METHODS,
    KINDS,
    HourlyAggregate,
    MaintenanceWindow,
    Monitor,
    Outage,
    ProbeResult,
)
from kbdesk.monitor.runner import allowed_networks
from kbdesk.monitor.scheduler import first_due
from kbdesk.monitor.targets import BadTarget, parse_statuses, parse_target
from kbdesk.monitor.windows import active_window
from kbdesk.tickets.models import SEVERITIES
from kbdesk.validation import Checker

EDITORS = ("admin", "specialist")
DISPLAY_STATES = ("up", "down", "failing", "maintenance", "paused", "unknown")
# Changing these re-aims the monitor: its state starts over and the guard looks again.
AIM_FIELDS = ("kind", "target", "internal")


def visible_monitors(actor):
    """A select of the monitors the actor may see (customers: their own)."""
    stmt = select(Monitor)
    if (scope := customer_scope(actor)) is not None:
        stmt = stmt.where(Monitor.customer_id == scope)
    return stmt


def get_monitor(actor, monitor_id: int) -> Monitor:
    """One monitor the actor may see; anything else is NotFound."""
    monitor = db.session.scalar(visible_monitors(actor).where(Monitor.id == monitor_id)
                                .options(selectinload(Monitor.windows)))
    if monitor is None:
        raise NotFound("No such monitor.")
    return monitor


def display_state(monitor: Monitor, now: datetime | None = None) -> str:
    """What a person should read: paused, maintenance, down, failing, up or unknown."""
    if not monitor.enabled:
        return "paused"
    if active_window(monitor.windows, now or utcnow(), monitor.customer.timezone):
        return "maintenance"
    if monitor.state == "down":
        return "down"
    if monitor.consecutive_failures:
        return "failing"
    return monitor.state


def list_monitors(actor, filters: dict | None = None, *, limit: int = 50,
                  offset: int = 0) -> tuple[list[Monitor], int]:
    """Monitors the actor may see, filtered by customer, application, state, kind or text."""
    f = filters or {}
    stmt = visible_monitors(actor)
    if slug := f.get("customer"):
        stmt = stmt.join(Customer, Monitor.customer_id == Customer.id).where(Customer.slug == slug)
    if (app_id := str(f.get("application") or "")).isdigit():
        stmt = stmt.where(Monitor.application_id == int(app_id))
    if kind := f.get("kind"):
        stmt = stmt.where(Monitor.kind == kind)
    state = f.get("state")
    if state == "paused":
        stmt = stmt.where(Monitor.enabled.is_(False))
    elif state == "failing":
        stmt = stmt.where(Monitor.enabled.is_(True), Monitor.consecutive_failures > 0,
                          Monitor.state != "down")
    elif state in ("up", "down", "unknown"):
        stmt = stmt.where(Monitor.enabled.is_(True), Monitor.state == state)
    if q := (f.get("q") or "").strip():
        stmt = stmt.where(or_(Monitor.name.ilike(f"%{q}%"), Monitor.target.ilike(f"%{q}%")))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(Monitor.enabled.desc(), Monitor.state != "down", Monitor.name,
                         Monitor.id).options(selectinload(Monitor.windows),
                                             selectinload(Monitor.application),
                                             selectinload(Monitor.customer))
    return list(db.session.scalars(stmt.limit(limit).offset(offset))), total


def _int(c: Checker, key: str, *, lo: int, hi: int, default: int | None,
         partial: bool, current: Any = None) -> int | None:
    """An integer within bounds; None or blank means the default (or no value)."""
    if partial and not c.has(key):
        return current
    raw = c.data.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    if isinstance(raw, bool):
        c.error(key, "Must be a whole number.")
        return default
    try:
        value = int(raw) if not isinstance(raw, float) or raw.is_integer() else None
    except (TypeError, ValueError):
        value = None
    if value is None:
        c.error(key, "Must be a whole number.")
        return default
    if not lo <= value <= hi:
        c.error(key, f"Must be between {lo} and {hi}.")
    return value


def _application(c: Checker, raw) -> Application | None:
    if isinstance(raw, Application):
        return raw
    app = db.session.get(Application, int(raw)) if str(raw or "").isdigit() else None
    if app is None:
        c.error("application", "No such application." if raw not in (None, "") else
                "This field is required.")
    return app


def _fields(c: Checker, monitor: Monitor | None) -> dict:
    """Validated fields from the input; on update only the ones given."""
    partial = monitor is not None
    cur = (lambda k: getattr(monitor, k)) if partial else (lambda k: None)
    out: dict = {}

    def given(key: str) -> bool:
        return not partial or c.has(key)

    if given("application"):
        out["application"] = _application(c, c.data.get("application"))
    if given("kind"):
        out["kind"] = c.choice("kind", KINDS, default="http")
    kind = out.get("kind") or cur("kind")
    if given("target") or "kind" in out:
        text = c.text("target", required=True, max_len=500, default=cur("target") or "")
        try:
            parse_target(kind, text)
        except BadTarget as exc:
            c.error("target", str(exc))
        out["target"] = text
    if given("name"):
        out["name"] = c.text("name", max_len=200)
    if given("method"):
        out["method"] = c.choice("method", HTTP_METHODS, default="GET") \
            if c.data.get("method") else "GET"
    if given("expected_status"):
        spec = c.text("expected_status", max_len=100) or "200-399"
        try:
            parse_statuses(spec)
        except BadTarget as exc:
            c.error("expected_status", str(exc))
        out["expected_status"] = spec
    if given("keyword"):
        out["keyword"] = c.text("keyword", max_len=200)
    for key, default in (("keyword_absent", False), ("verify_tls", True),
                         ("auto_resolve", True), ("enabled", True), ("internal", False)):
        if given(key):
            out[key] = c.boolean(key, default=default) if c.data.get(key) is not None \
                else default
    out["timeout_ms"] = _int(c, "timeout_ms", lo=100, hi=30_000, default=10_000,
                             partial=partial, current=cur("timeout_ms"))
    out["latency_threshold_ms"] = _int(c, "latency_threshold_ms", lo=1, hi=30_000, default=None,
                                       partial=partial, current=cur("latency_threshold_ms"))
    out["max_redirects"] = _int(c, "max_redirects", lo=0, hi=10, default=5, partial=partial,
                                current=cur("max_redirects"))
    out["tls_warn_days"] = _int(c, "tls_warn_days", lo=0, hi=365,
                                default=14 if kind == "tls" else 0, partial=partial,
                                current=cur("tls_warn_days"))
    out["interval_s"] = _int(c, "interval_s", lo=30, hi=86_400, default=60, partial=partial,
                             current=cur("interval_s"))
    out["failures_before_down"] = _int(c, "failures_before_down", lo=1, hi=20, default=3,
                                       partial=partial, current=cur("failures_before_down"))
    if given("severity"):
        raw = c.data.get("severity")
        out["severity"] = c.choice("severity", SEVERITIES) if raw not in (None, "") else None
    timeout, threshold = out["timeout_ms"], out["latency_threshold_ms"]
    if timeout and threshold and threshold >= timeout:
        c.error("latency_threshold_ms", "Must be below the timeout.")
    return out


def _check_reach(c: Checker, kind: str, target: str, internal: bool) -> None:
    """The SSRF guard at creation: refuse a target that resolves to a private address."""
    if internal or "target" in c.errors:
        return
    try:
        t = parse_target(kind, target)
        ssrf.resolve_and_vet(t.host, t.port or 53, internal=False, allowed=allowed_networks())
    except ssrf.Refused as exc:
        c.error("target", f"{exc.host} resolves to {exc.address} ({exc.reason}). Monitors "
                          "reach only public addresses unless an administrator marks the "
                          "monitor internal.")
    except (BadTarget, OSError, UnicodeError):
        pass  # not resolvable now: the probe will report it at the dns layer


def _default_severity(app: Application) -> str:
    return "critical" if app.environment == "prod" else "normal"


def create_monitor(actor, data: dict, *, now: datetime | None = None) -> Monitor:
    """Create a monitor (administrators and specialists; internal ones by administrators)."""
    require_roles(actor, *EDITORS)
    now = now or utcnow()
    c = Checker(data)
    f = _fields(c, None)
    if f.get("internal"):
        require_admin(actor)
    c.done()
    _check_reach(c, f["kind"], f["target"], f["internal"])
    c.done()
    app = f.pop("application")
    f["severity"] = f.get("severity") or _default_severity(app)
    f["name"] = f.get("name") or f["target"][:200]
    monitor = Monitor(**f, application=app, customer_id=app.customer_id,
                      next_due_at=first_due(now, f["interval_s"]), state="unknown",
                      consecutive_failures=0, created_at=now, updated_at=now)
    db.session.add(monitor)
    db.session.flush()
    return monitor


def update_monitor(actor, monitor_id: int, data: dict, *, now: datetime | None = None) -> Monitor:
    """Change a monitor; only administrators mark it internal or re-aim an internal one."""
    monitor = get_monitor(actor, monitor_id)
    require_roles(actor, *EDITORS)
    now = now or utcnow()
    c = Checker(data)
    f = _fields(c, monitor)
    changed = {k for k, v in f.items() if k != "application" and getattr(monitor, k) != v}
    if "application" in f and f["application"] is not None \
            and f["application"].id != monitor.application_id:
        changed.add("application")
    if not actor.is_admin and (f.get("internal") and not monitor.internal or
                               monitor.internal and changed & {"kind", "target", "application"}):
        raise Forbidden("Only administrators mark monitors internal or change where an "
                        "internal monitor points.")
    c.done()
    kind = f.get("kind", monitor.kind)
    target = f.get("target", monitor.target)
    internal = f.get("internal", monitor.internal)
    if "name" in f and not f["name"]:
        f["name"] = target[:200]
        changed.add("name")
    if changed & set(AIM_FIELDS):
        _check_reach(c, kind, target, internal)
        c.done()
    if "application" in changed:
        monitor.application = f["application"]
        monitor.customer_id = f["application"].customer_id
    for key in changed - {"application"}:
        if key == "severity" and f[key] is None:
            continue
        setattr(monitor, key, f[key])
    if changed & {"kind", "target", "application"}:
        incidents.end_silently(monitor, now, "retargeted")
        _reset(monitor)
    if "enabled" in changed:
        if monitor.enabled:
            monitor.next_due_at = first_due(now, monitor.interval_s)
        else:
            incidents.end_silently(monitor, now, "paused")
            _reset(monitor)
    if changed:
        monitor.updated_at = now
    db.session.flush()
    return monitor


def delete_monitor(actor, monitor_id: int, *, now: datetime | None = None) -> None:
    """Delete a monitor with its results (administrators); its incident tickets stay."""
    monitor = get_monitor(actor, monitor_id)
    require_admin(actor)
    incidents.end_silently(monitor, now or utcnow(), "deleted")
    # Explicit, not only ON DELETE CASCADE: SQLite enforces foreign keys only when asked to.
    for model in (ProbeResult, HourlyAggregate, Outage):
        db.session.execute(delete(model).where(model.monitor_id == monitor.id)
                           .execution_options(synchronize_session=False))
    db.session.delete(monitor)
    db.session.flush()


def _reset(monitor: Monitor) -> None:
    monitor.state = "unknown"
    monitor.state_since = None
    monitor.consecutive_failures = 0
    monitor.fail_since = None


def _moment(c: Checker, key: str, tz_name: str) -> datetime | None:
    """An ISO moment; without an offset it is read in the customer's time zone."""
    from zoneinfo import ZoneInfo

    raw = c.data.get(key)
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, str) and raw.strip():
        try:
            value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        except ValueError:
            c.error(key, "Not a date and time (YYYY-MM-DDTHH:MM).")
            return None
    else:
        c.error(key, "This field is required.")
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz_name or "Europe/Prague"))
    return value.astimezone(UTC)


def add_window(actor, monitor_id: int, data: dict) -> MaintenanceWindow:
    """Add a maintenance window (administrators and specialists)."""
    monitor = get_monitor(actor, monitor_id)
    require_roles(actor, *EDITORS)
    c = Checker(data)
    tz = monitor.customer.timezone
    starts, ends = _moment(c, "starts_at", tz), _moment(c, "ends_at", tz)
    weekly = c.boolean("weekly", default=False) if c.data.get("weekly") is not None else False
    reason = c.text("reason", max_len=300)
    if starts and ends:
        if ends <= starts:
            c.error("ends_at", "Must be after the start.")
        elif weekly and ends - starts >= timedelta(days=7):
            c.error("ends_at", "A weekly window must be shorter than a week.")
        elif ends - starts > timedelta(days=31):
            c.error("ends_at", "At most 31 days.")
    c.done()
    window = MaintenanceWindow(monitor=monitor, starts_at=starts, ends_at=ends, weekly=weekly,
                               reason=reason, created_by=actor)
    db.session.add(window)
    db.session.flush()
    return window


def delete_window(actor, monitor_id: int, window_id: int) -> None:
    """Remove a maintenance window."""
    monitor = get_monitor(actor, monitor_id)
    require_roles(actor, *EDITORS)
    window = next((w for w in monitor.windows if w.id == window_id), None)
    if window is None:
        raise NotFound("No such maintenance window.")
    monitor.windows.remove(window)
    db.session.flush()


def list_outages(actor, filters: dict | None = None, *, limit: int = 50,
                 offset: int = 0) -> tuple[list[Outage], int]:
    """Outages of monitors the actor may see, newest first."""
    f = filters or {}
    stmt = select(Outage).join(Monitor, Outage.monitor_id == Monitor.id)
    if (scope := customer_scope(actor)) is not None:
        stmt = stmt.where(Monitor.customer_id == scope)
    if (mid := str(f.get("monitor") or "")).isdigit():
        stmt = stmt.where(Outage.monitor_id == int(mid))
    if slug := f.get("customer"):
        stmt = stmt.join(Customer, Monitor.customer_id == Customer.id).where(Customer.slug == slug)
    if f.get("open"):
        stmt = stmt.where(Outage.open_key.is_not(None))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(Outage.started_at.desc(), Outage.id.desc()).options(
        selectinload(Outage.monitor), selectinload(Outage.ticket))
    return list(db.session.scalars(stmt.limit(limit).offset(offset))), total


def check_now(actor, monitor_id: int) -> dict:
    """Probe a monitor once, now, without storing anything (to try a configuration)."""
    from kbdesk.monitor.probes import ProbeSpec, run_probe

    monitor = get_monitor(actor, monitor_id)
    require_roles(actor, *EDITORS)
    outcome = run_probe(ProbeSpec.from_monitor(monitor, allowed_networks()))
    return {"ok": outcome.ok, "latency_ms": outcome.latency_ms, "layer": outcome.layer,
            "detail": outcome.detail, "status_code": outcome.status_code}
