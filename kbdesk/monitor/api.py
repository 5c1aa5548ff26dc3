"""API: monitors, their results, maintenance windows and outages (customers read their own)."""

from __future__ import annotations

from datetime import datetime

from flask import request
from sqlalchemy import func, select

from kbdesk.api.blueprint import actor, bp, iso, json_body, page, page_args, route
from kbdesk.db_types import utcnow
from kbdesk.errors import ValidationError
from kbdesk.extensions import db
from kbdesk.monitor import services
from kbdesk.monitor.aggregates import uptimes
from kbdesk.monitor.models import HTTP_METHODS, KINDS, LAYERS, ProbeResult

S, INT, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NS, NI, NUM = ({"type": "string", "nullable": True}, {"type": "integer", "nullable": True},
               {"type": "number", "nullable": True})
ID = [{"name": "monitor_id", "in": "path", "required": True, "schema": INT}]
PAGING = [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                      "maximum": 200}},
          {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}}]
TAG = "monitors"


def _obj(props: dict, required: list[str] | None = None) -> dict:
    out: dict = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


def _page(ref: str) -> dict:
    return _obj({"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}},
                 "total": INT, "limit": INT, "offset": INT, "next": NS})


SETTINGS = {
    "name": S, "kind": {"type": "string", "enum": list(KINDS)}, "target": S,
    "method": {"type": "string", "enum": list(HTTP_METHODS)}, "expected_status": S,
    "keyword": S, "keyword_absent": B, "timeout_ms": INT, "latency_threshold_ms": NI,
    "max_redirects": INT, "verify_tls": B, "tls_warn_days": INT,
    "interval_s": {"type": "integer", "minimum": 30}, "failures_before_down": INT,
    "severity": {"type": "string", "enum": ["critical", "high", "normal", "low"]},
    "auto_resolve": B, "internal": B, "enabled": B}
WINDOW = _obj({"id": INT, "starts_at": S, "ends_at": S, "weekly": B, "reason": S})
MONITOR_SCHEMAS = {
    "Monitor": _obj({"id": INT, "customer": S, "application": _obj({"id": INT, "name": S}),
                     **SETTINGS, "state": S, "state_since": NS, "consecutive_failures": INT,
                     "last_checked_at": NS, "last_ok": {"type": "boolean", "nullable": True},
                     "last_latency_ms": NI, "last_layer": S, "last_detail": S,
                     "next_due_at": S, "uptime": _obj({"24h": NUM, "7d": NUM, "30d": NUM}),
                     "windows": {"type": "array", "items": WINDOW},
                     "open_incident": NS}),
    "MonitorInput": _obj({"application": INT, **SETTINGS}, ["application", "kind", "target"]),
    "MonitorPage": _page("Monitor"),
    "ProbeResult": _obj({"id": INT, "slot_at": S, "started_at": S, "ok": B, "latency_ms": NI,
                         "layer": {"type": "string", "enum": ["", *LAYERS]}, "detail": S,
                         "status_code": NI, "silenced": B}),
    "ProbeResultPage": _page("ProbeResult"),
    "MaintenanceWindow": WINDOW,
    "MaintenanceWindowInput": _obj({"starts_at": S, "ends_at": S, "weekly": B, "reason": S},
                                   ["starts_at", "ends_at"]),
    "Outage": _obj({"id": INT, "monitor": INT, "started_at": S, "confirmed_at": S,
                    "ended_at": NS, "downtime_s": NI, "layer": S, "detail": S,
                    "ticket": NS}),
    "OutagePage": _page("Outage"),
}


@bp.record_once
def _document_schemas(_state) -> None:
    # Added when the API blueprint is registered: importing kbdesk.api.openapi here could
    # meet it half-initialised (it imports the blueprint, which imports this module).
    from kbdesk.api.openapi import SCHEMAS

    SCHEMAS.update(MONITOR_SCHEMAS)


def window_json(w) -> dict:
    """A maintenance window as the API shows it."""
    return {"id": w.id, "starts_at": iso(w.starts_at), "ends_at": iso(w.ends_at),
            "weekly": w.weekly, "reason": w.reason}


def monitor_json(m, uptime: dict | None = None) -> dict:
    """A monitor as the API shows it."""
    from kbdesk.monitor.incidents import open_outage

    out = {"id": m.id, "customer": m.customer.slug,
           "application": {"id": m.application.id, "name": m.application.name},
           **{k: getattr(m, k) for k in SETTINGS},
           "state": services.display_state(m), "state_since": iso(m.state_since),
           "consecutive_failures": m.consecutive_failures, "last_checked_at": iso(m.last_slot_at),
           "last_ok": m.last_ok, "last_latency_ms": m.last_latency_ms,
           "last_layer": m.last_layer, "last_detail": m.last_detail,
           "next_due_at": iso(m.next_due_at), "uptime": uptime or {},
           "windows": [window_json(w) for w in m.windows], "open_incident": None}
    outage = open_outage(m.id)
    if outage is not None and outage.ticket is not None and actor().is_staff:
        out["open_incident"] = outage.ticket.number
    return out


def result_json(r) -> dict:
    """One stored probe result."""
    return {"id": r.id, "slot_at": iso(r.slot_at), "started_at": iso(r.started_at), "ok": r.ok,
            "latency_ms": r.latency_ms, "layer": r.layer, "detail": r.detail,
            "status_code": r.status_code, "silenced": r.silenced}


def outage_json(o) -> dict:
    """One outage, with its incident ticket for staff."""
    return {"id": o.id, "monitor": o.monitor_id, "started_at": iso(o.started_at),
            "confirmed_at": iso(o.confirmed_at), "ended_at": iso(o.ended_at),
            "downtime_s": o.downtime_s, "layer": o.layer, "detail": o.detail,
            "ticket": o.ticket.number if o.ticket is not None and actor().is_staff else None}


def _one(monitor) -> dict:
    return monitor_json(monitor, uptimes([monitor.id], utcnow())[monitor.id])


@route("/monitors", ["GET"], "List monitors (a customer token sees its own)", tag=TAG,
       params=PAGING + [{"name": n, "in": "query", "schema": S}
                        for n in ("customer", "application", "state", "kind", "q")],
       response={"$ref": "#/components/schemas/MonitorPage"})
def monitors_list():
    """GET /monitors."""
    limit, offset = page_args()
    filters = {k: request.args.get(k, "") for k in ("customer", "application", "state", "kind",
                                                      "q")}
    items, total = services.list_monitors(actor(), filters, limit=limit, offset=offset)
    ups = uptimes([m.id for m in items], utcnow())
    return page([monitor_json(m, ups[m.id]) for m in items], total, limit, offset)


@route("/monitors", ["POST"], "Create a monitor (administrators, specialists)", tag=TAG,
       status=201, body={"$ref": "#/components/schemas/MonitorInput"},
       response={"$ref": "#/components/schemas/Monitor"})
def monitors_create():
    """POST /monitors."""
    return _one(services.create_monitor(actor(), json_body())), 201


@route("/monitors/<int:monitor_id>", ["GET"], "One monitor", tag=TAG, params=ID,
       response={"$ref": "#/components/schemas/Monitor"})
def monitors_get(monitor_id: int):
    """GET /monitors/<id>."""
    return _one(services.get_monitor(actor(), monitor_id))


@route("/monitors/<int:monitor_id>", ["PATCH"], "Change a monitor", tag=TAG, params=ID,
       body={"$ref": "#/components/schemas/MonitorInput"},
       response={"$ref": "#/components/schemas/Monitor"})
def monitors_patch(monitor_id: int):
    """PATCH /monitors/<id>."""
    return _one(services.update_monitor(actor(), monitor_id, json_body()))


@route("/monitors/<int:monitor_id>", ["DELETE"], "Delete a monitor (administrators)", tag=TAG,
       params=ID, status=204)
def monitors_delete(monitor_id: int):
    """DELETE /monitors/<id>."""
    services.delete_monitor(actor(), monitor_id)
    return "", 204


def _since(name: str) -> datetime | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError({name: "An ISO 8601 date and time."}) from None
    if value.tzinfo is None:
        raise ValidationError({name: "Give the time zone (e.g. Z or +01:00)."})
    return value


@route("/monitors/<int:monitor_id>/results", ["GET"], "A monitor's probe results, newest first",
       tag=TAG, params=ID + PAGING + [
           {"name": "since", "in": "query", "schema": S},
           {"name": "until", "in": "query", "schema": S},
           {"name": "failed", "in": "query", "schema": B}],
       response={"$ref": "#/components/schemas/ProbeResultPage"})
def monitors_results(monitor_id: int):
    """GET /monitors/<id>/results."""
    monitor = services.get_monitor(actor(), monitor_id)
    limit, offset = page_args(100)
    stmt = select(ProbeResult).where(ProbeResult.monitor_id == monitor.id)
    if (since := _since("since")) is not None:
        stmt = stmt.where(ProbeResult.slot_at >= since)
    if (until := _since("until")) is not None:
        stmt = stmt.where(ProbeResult.slot_at < until)
    if request.args.get("failed") in ("1", "true", "yes"):
        stmt = stmt.where(ProbeResult.ok.is_(False))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(stmt.order_by(ProbeResult.slot_at.desc())
                              .limit(limit).offset(offset)).all()
    return page([result_json(r) for r in rows], total, limit, offset)


@route("/monitors/<int:monitor_id>/outages", ["GET"], "A monitor's outages (incident history)",
       tag=TAG, params=ID + PAGING, response={"$ref": "#/components/schemas/OutagePage"})
def monitors_outages(monitor_id: int):
    """GET /monitors/<id>/outages."""
    monitor = services.get_monitor(actor(), monitor_id)
    limit, offset = page_args()
    items, total = services.list_outages(actor(), {"monitor": monitor.id}, limit=limit,
                                         offset=offset)
    return page([outage_json(o) for o in items], total, limit, offset)


@route("/monitors/<int:monitor_id>/windows", ["POST"], "Add a maintenance window", tag=TAG,
       params=ID, status=201, body={"$ref": "#/components/schemas/MaintenanceWindowInput"},
       response={"$ref": "#/components/schemas/MaintenanceWindow"})
def monitors_window_add(monitor_id: int):
    """POST /monitors/<id>/windows."""
    return window_json(services.add_window(actor(), monitor_id, json_body())), 201


@route("/monitors/<int:monitor_id>/windows/<int:window_id>", ["DELETE"],
       "Remove a maintenance window", tag=TAG, status=204,
       params=ID + [{"name": "window_id", "in": "path", "required": True, "schema": INT}])
def monitors_window_delete(monitor_id: int, window_id: int):
    """DELETE /monitors/<id>/windows/<window_id>."""
    services.delete_window(actor(), monitor_id, window_id)
    return "", 204
