"""API: SLA calendars, policies, contracts, a ticket's clocks, the compliance report, notices."""

from __future__ import annotations

from flask import request

from kbdesk.accounts.permissions import require_staff
from kbdesk.api.blueprint import actor, iso, json_body, route
from kbdesk.api.openapi import INT, SCHEMAS, B, S, _obj
from kbdesk.customers import services as customers
from kbdesk.sla import clock, contracts, notify, panels, report, services
from kbdesk.sla.calendar import format_hours
from kbdesk.sla.clocks import clock_state
from kbdesk.tickets import services as tickets

NULL_S = {"type": "string", "nullable": True}
NULL_I = {"type": "integer", "nullable": True}
TARGET = _obj({"first_response": S, "resolution": S, "update": NULL_S, "calendar": S})
CLOCK = _obj({"state": {"type": "string", "enum": ["running", "paused", "met", "breached"]},
              "running": B, "paused": B, "at_risk": B, "due_at": NULL_S, "warn_at": NULL_S,
              "met_at": NULL_S, "breached_at": NULL_S, "target_seconds": INT,
              "paused_seconds": INT, "paused_since": NULL_S, "remaining_seconds": NULL_I,
              "cycle": INT}, )
CLOCK["nullable"] = True

SCHEMAS.update({
    "SlaCalendar": _obj({"id": INT, "name": S, "kind": {"type": "string", "enum": ["24x7", "business"]},
                         "timezone": S, "hours": S, "czech_holidays": B,
                         "holidays": {"type": "array", "items": _obj({"day": S, "name": S})}}),
    "SlaCalendarInput": _obj({"name": S, "kind": S, "timezone": S, "hours": S, "czech_holidays": B,
                              "holidays": {"type": "array", "items": _obj({"day": S, "name": S})}},
                             ["name"]),
    "SlaPolicy": _obj({"id": INT, "name": S, "description": S, "warning_percent": INT,
                       "escalate_on": S, "escalate_to_lead": B, "escalate_raise": B,
                       "targets": {"type": "object", "additionalProperties": _obj({
                           "first_response_minutes": INT, "resolution_minutes": INT,
                           "update_minutes": NULL_I, "calendar": S})}}),
    "SlaPolicyInput": _obj({"name": S, "description": S, "warning_percent": INT,
                            "escalate_on": {"type": "string", "enum": ["breach", "warning", "never"]},
                            "escalate_to_lead": B, "escalate_raise": B,
                            "targets": {"type": "object", "additionalProperties": TARGET}},
                           ["name", "targets"]),
    "SlaContract": _obj({"id": INT, "customer": S, "name": S, "policy": S, "policy_id": INT,
                         "valid_from": S, "valid_to": NULL_S, "notes": S}),
    "SlaContractInput": _obj({"name": S, "policy": S, "valid_from": S, "valid_to": NULL_S,
                              "notes": S}, ["name", "policy", "valid_from"]),
    "SlaClock": CLOCK,
    "TicketSla": _obj({"state": {"type": "string", "enum": ["active", "none"]}, "reason": S,
                       "message": S, "policy": NULL_S, "calendar": NULL_S, "severity": S,
                       "paused": B, "escalated": B, "next_due_at": NULL_S,
                       "first_response": {"$ref": "#/components/schemas/SlaClock"},
                       "resolution": {"$ref": "#/components/schemas/SlaClock"},
                       "update": {"$ref": "#/components/schemas/SlaClock"}}),
    "SlaReportRow": _obj({"customer": S, "customer_name": S, "month": S, "tickets": INT,
                          "met": INT, "breached": INT, "open": INT,
                          "percent_met": {"type": "number", "nullable": True},
                          "mean_first_response_seconds": NULL_I,
                          "mean_resolution_seconds": NULL_I,
                          "mean_first_response_wall_seconds": NULL_I,
                          "mean_resolution_wall_seconds": NULL_I}),
    "SlaAtRisk": _obj({"id": INT, "number": S, "subject": S, "customer": NULL_S, "clock": S,
                       "state": S, "due_at": S, "escalated": B}),
    "Notification": _obj({"id": INT, "ticket_id": NULL_I, "kind": S, "text": S,
                          "created_at": S, "read_at": NULL_S}),
})


def _list(ref: str) -> dict:
    return _obj({"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}}})


def _path(name: str, kind: str = "integer") -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": kind}}]


def calendar_json(cal) -> dict:
    """A calendar as the API shows it."""
    return {"id": cal.id, "name": cal.name, "kind": cal.kind, "timezone": cal.timezone,
            "hours": format_hours(cal.business().hours), "czech_holidays": cal.czech_holidays,
            "holidays": [{"day": h.day.isoformat(), "name": h.name} for h in cal.holidays]}


def policy_json(policy) -> dict:
    """A policy as the API shows it."""
    return {"id": policy.id, "name": policy.name, "description": policy.description,
            "warning_percent": policy.warning_percent, "escalate_on": policy.escalate_on,
            "escalate_to_lead": policy.escalate_to_lead, "escalate_raise": policy.escalate_raise,
            "targets": {t.severity: {"first_response_minutes": t.first_response_minutes,
                                     "resolution_minutes": t.resolution_minutes,
                                     "update_minutes": t.update_minutes,
                                     "calendar": t.calendar.name} for t in policy.targets}}


def contract_json(contract) -> dict:
    """A contract as the API shows it."""
    return {"id": contract.id, "customer": contract.customer.slug, "name": contract.name,
            "policy": contract.policy.name, "policy_id": contract.policy_id,
            "valid_from": contract.valid_from.isoformat(),
            "valid_to": contract.valid_to.isoformat() if contract.valid_to else None,
            "notes": contract.notes}


@route("/sla/calendars", ["GET"], "Business calendars (a customer token: those its contracts use)",
       tag="sla", response=_list("SlaCalendar"))
def calendars_list():
    """GET /sla/calendars."""
    return {"items": [calendar_json(c) for c in contracts.list_calendars(actor())]}


@route("/sla/calendars", ["POST"], "Create a calendar (admin)", tag="sla", status=201,
       body={"$ref": "#/components/schemas/SlaCalendarInput"},
       response={"$ref": "#/components/schemas/SlaCalendar"})
def calendars_create():
    """POST /sla/calendars."""
    return calendar_json(contracts.save_calendar(actor(), json_body())), 201


@route("/sla/calendars/<int:calendar_id>", ["GET"], "One calendar", tag="sla",
       params=_path("calendar_id"), response={"$ref": "#/components/schemas/SlaCalendar"})
def calendars_get(calendar_id: int):
    """GET /sla/calendars/<id>."""
    return calendar_json(contracts.get_calendar(actor(), calendar_id))


@route("/sla/calendars/<int:calendar_id>", ["PATCH"], "Change a calendar (admin)", tag="sla",
       params=_path("calendar_id"), body={"$ref": "#/components/schemas/SlaCalendarInput"},
       response={"$ref": "#/components/schemas/SlaCalendar"})
def calendars_patch(calendar_id: int):
    """PATCH /sla/calendars/<id>."""
    return calendar_json(contracts.save_calendar(actor(), json_body(), calendar_id))


@route("/sla/policies", ["GET"], "SLA policies (a customer token: those of its contracts)",
       tag="sla", response=_list("SlaPolicy"))
def policies_list():
    """GET /sla/policies."""
    return {"items": [policy_json(p) for p in contracts.list_policies(actor())]}


@route("/sla/policies", ["POST"], "Create a policy with a target per severity (admin)", tag="sla",
       status=201, body={"$ref": "#/components/schemas/SlaPolicyInput"},
       response={"$ref": "#/components/schemas/SlaPolicy"})
def policies_create():
    """POST /sla/policies."""
    return policy_json(contracts.save_policy(actor(), json_body())), 201


@route("/sla/policies/<int:policy_id>", ["GET"], "One policy", tag="sla",
       params=_path("policy_id"), response={"$ref": "#/components/schemas/SlaPolicy"})
def policies_get(policy_id: int):
    """GET /sla/policies/<id>."""
    return policy_json(contracts.get_policy(actor(), policy_id))


@route("/sla/policies/<int:policy_id>", ["PATCH"], "Change a policy (admin)", tag="sla",
       params=_path("policy_id"), body={"$ref": "#/components/schemas/SlaPolicyInput"},
       response={"$ref": "#/components/schemas/SlaPolicy"})
def policies_patch(policy_id: int):
    """PATCH /sla/policies/<id>."""
    return policy_json(contracts.save_policy(actor(), json_body(), policy_id))


@route("/customers/<slug>/contracts", ["GET"], "A customer's contracts", tag="sla",
       params=_path("slug", "string"), response=_list("SlaContract"))
def contracts_list(slug: str):
    """GET /customers/<slug>/contracts."""
    customer = customers.get_customer(actor(), slug)
    return {"items": [contract_json(c) for c in contracts.list_contracts(actor(), customer)]}


@route("/customers/<slug>/contracts", ["POST"], "Add a contract (admin)", tag="sla", status=201,
       params=_path("slug", "string"), body={"$ref": "#/components/schemas/SlaContractInput"},
       response={"$ref": "#/components/schemas/SlaContract"})
def contracts_create(slug: str):
    """POST /customers/<slug>/contracts."""
    customer = customers.get_customer(actor(), slug)
    return contract_json(contracts.save_contract(actor(), customer, json_body())), 201


@route("/sla/contracts/<int:contract_id>", ["GET"], "One contract", tag="sla",
       params=_path("contract_id"), response={"$ref": "#/components/schemas/SlaContract"})
def contracts_get(contract_id: int):
    """GET /sla/contracts/<id>."""
    return contract_json(contracts.get_contract(actor(), contract_id))


@route("/sla/contracts/<int:contract_id>", ["PATCH"], "Change a contract, e.g. end it (admin)",
       tag="sla", params=_path("contract_id"),
       body={"$ref": "#/components/schemas/SlaContractInput"},
       response={"$ref": "#/components/schemas/SlaContract"})
def contracts_patch(contract_id: int):
    """PATCH /sla/contracts/<id>."""
    return contract_json(contracts.save_contract(actor(), None, json_body(), contract_id))


@route("/tickets/<int:ticket_id>/sla", ["GET"], "A ticket's SLA: due times, paused, state per clock",
       tag="sla", params=_path("ticket_id"), response={"$ref": "#/components/schemas/TicketSla"})
def ticket_sla(ticket_id: int):
    """GET /tickets/<id>/sla."""
    return services.sla_json(tickets.get_ticket(actor(), ticket_id))


@route("/sla/report", ["GET"], "Compliance per customer and month", tag="sla",
       params=[{"name": "month", "in": "query", "schema": S},
               {"name": "customer", "in": "query", "schema": S}],
       response=_list("SlaReportRow"))
def report_get():
    """GET /sla/report?month=YYYY-MM[&customer=slug]: every customer, or one over 12 months."""
    month = report.parse_month(request.args.get("month"), clock.now().date())
    rows = report.build(actor(), month, request.args.get("customer") or None)
    return {"items": [r.as_dict() for r in rows]}


@route("/sla/at-risk", ["GET"], "Open tickets at risk of a breach or breached (staff)", tag="sla",
       response=_obj({"at_risk": {"type": "array", "items": {"$ref": "#/components/schemas/SlaAtRisk"}},
                      "breached": {"type": "array", "items": {"$ref": "#/components/schemas/SlaAtRisk"}}}))
def at_risk():
    """GET /sla/at-risk."""
    require_staff(actor())
    now = clock.now()
    data = panels.at_risk(now)

    def row(item):
        t = item["ticket"]
        return {"id": t.id, "number": t.number, "subject": t.subject,
                "customer": t.customer.slug if t.customer else None, "clock": item["clock"].kind,
                "state": clock_state(item["clock"], now), "due_at": iso(item["clock"].due_at),
                "escalated": item["escalated"]}

    return {"at_risk": [row(i) for i in data["at_risk"]],
            "breached": [row(i) for i in data["breached"]]}


def notification_json(note) -> dict:
    """A notice as the API shows it."""
    return {"id": note.id, "ticket_id": note.ticket_id, "kind": note.kind, "text": note.text,
            "created_at": iso(note.created_at), "read_at": iso(note.read_at)}


@route("/notifications", ["GET"], "The caller's newest notifications", tag="sla",
       response=_list("Notification"))
def notifications_list():
    """GET /notifications."""
    return {"items": [notification_json(n) for n in notify.recent(actor(), 100)]}


@route("/notifications/<int:notification_id>/read", ["POST"], "Mark a notification read",
       tag="sla", params=_path("notification_id"), response=_obj({"marked": INT}))
def notifications_read(notification_id: int):
    """POST /notifications/<id>/read."""
    return {"marked": notify.mark_read(actor(), notification_id, clock.now())}
