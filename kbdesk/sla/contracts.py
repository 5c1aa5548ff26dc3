"""Rules for calendars, policies and contracts; add and flush, never commit.

Administrators manage them; staff read them; a customer user reads only its own contracts
and the policies and calendars those contracts use.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import select

from kbdesk.accounts.permissions import customer_scope, require_admin
from kbdesk.customers.models import Customer
from kbdesk.errors import Conflict, NotFound
from kbdesk.extensions import db
from kbdesk.sla.calendar import normalise_hours, parse_hours
from kbdesk.sla.models import (
    CALENDAR_KINDS,
    ESCALATE_ON,
    Calendar,
    CalendarHoliday,
    Contract,
    Policy,
    PolicyTarget,
)
from kbdesk.tickets.models import SEVERITIES
from kbdesk.validation import Checker

_DURATION_RE = re.compile(r"^\s*(?:(\d+(?:[.,]\d+)?)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$", re.I)


# --- helpers ----------------------------------------------------------------------------


def parse_minutes(value) -> int | None:
    """Minutes from 90, '90', '4h', '1h 30m', '1.5h' or '45m'; None when not a duration."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    m = _DURATION_RE.match(text)
    if not m or not (m[1] or m[2]):
        return None
    return round(float((m[1] or "0").replace(",", ".")) * 60) + int(m[2] or 0)


def format_minutes(minutes: int | None) -> str:
    """90 -> '1h 30m' (the form parse_minutes reads back)."""
    if minutes is None:
        return ""
    h, m = divmod(int(minutes), 60)
    return " ".join(p for p in (f"{h}h" if h else "", f"{m}m" if m else "") if p) or "0m"


def _date(c: Checker, key: str, *, required: bool = False) -> date | None:
    raw = c.data.get(key)
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if raw in (None, ""):
        if required:
            c.error(key, "This field is required.")
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        c.error(key, "A date as YYYY-MM-DD.")
        return None


def _by_id_or_name(model, raw):
    if isinstance(raw, model):
        return raw
    if raw in (None, ""):
        return None
    if isinstance(raw, int) or str(raw).isdigit():
        return db.session.get(model, int(raw))
    return db.session.scalar(select(model).where(model.name == str(raw)))


def _unique_name(model, name: str, obj) -> None:
    other = db.session.scalar(select(model).where(model.name == name))
    if other is not None and other is not obj:
        raise Conflict("This name is already taken.", {"name": "Already taken."})


# --- calendars --------------------------------------------------------------------------


def _own_policy_ids(actor) -> set[int] | None:
    """Policy ids a customer user may read (None: all, for staff)."""
    scope = customer_scope(actor)
    if scope is None:
        return None
    return set(db.session.scalars(select(Contract.policy_id).where(Contract.customer_id == scope)))


def list_calendars(actor) -> list[Calendar]:
    """Calendars the actor may read."""
    stmt = select(Calendar).order_by(Calendar.name)
    if (ids := _own_policy_ids(actor)) is not None:
        stmt = stmt.where(Calendar.id.in_(
            select(PolicyTarget.calendar_id).where(PolicyTarget.policy_id.in_(ids or [0]))))
    return list(db.session.scalars(stmt))


def get_calendar(actor, calendar_id: int) -> Calendar:
    """One calendar the actor may read."""
    cal = next((c for c in list_calendars(actor) if c.id == calendar_id), None)
    if cal is None:
        raise NotFound("No such calendar.")
    return cal


def _holidays(c: Checker) -> list[tuple[date, str]]:
    raw = c.data.get("holidays", [])
    items: list = []
    if isinstance(raw, str):
        for line in raw.splitlines():
            if line.strip():
                day, _, name = line.strip().partition(" ")
                items.append({"day": day, "name": name.strip()})
    elif isinstance(raw, list):
        items = [{"day": x} if isinstance(x, str) else x for x in raw]
    else:
        c.error("holidays", "A list of dates.")
        return []
    out: dict[date, str] = {}
    for item in items:
        try:
            out[date.fromisoformat(str(item.get("day", "")).strip())] = str(item.get("name") or "")[:100]
        except (AttributeError, ValueError):
            c.error("holidays", "Each holiday is a date as YYYY-MM-DD, optionally followed by a name.")
    return sorted(out.items())


def _calendar_fields(c: Checker, cal: Calendar | None) -> dict:
    partial = cal is not None
    out: dict = {}
    if not partial or c.has("name"):
        out["name"] = c.text("name", required=True, max_len=100)
    if not partial or c.has("kind"):
        out["kind"] = c.choice("kind", CALENDAR_KINDS, default="business")
    kind = out.get("kind", cal.kind if cal else "business")
    if not partial or c.has("timezone"):
        tz = c.text("timezone", max_len=64, default="Europe/Prague") or "Europe/Prague"
        if tz not in available_timezones():
            c.error("timezone", "Unknown time zone.")
        out["timezone"] = tz
    needs_hours = kind == "business" and not (cal is not None and cal.hours)
    if kind == "business" and (not partial or c.has("hours") or needs_hours):
        raw = c.data.get("hours") or ""
        try:
            parsed = parse_hours(raw) if isinstance(raw, str) else {
                int(k): [tuple(r) for r in v] for k, v in dict(raw).items()}
            hours = normalise_hours(parsed)
            out["hours"] = {str(d): [list(r) for r in rs] for d, rs in enumerate(hours) if rs}
        except (ValueError, TypeError) as exc:
            c.error("hours", str(exc) if isinstance(exc, ValueError) and str(exc) else
                    "Opening hours like 'Mon-Fri 08:00-17:00'.")
    elif kind == "24x7" and (not partial or c.has("kind")):
        out["hours"] = {}
    if not partial or c.has("czech_holidays"):
        out["czech_holidays"] = c.boolean("czech_holidays", default=True)
    if not partial or c.has("holidays"):
        out["holidays"] = _holidays(c)
    return out


def save_calendar(actor, data: dict, calendar_id: int | None = None) -> Calendar:
    """Create a calendar, or change the given fields of one (administrators)."""
    require_admin(actor)
    cal = get_calendar(actor, calendar_id) if calendar_id else None
    c = Checker(data)
    fields = _calendar_fields(c, cal)
    c.done()
    if "name" in fields:
        _unique_name(Calendar, fields["name"], cal)
    holidays = fields.pop("holidays", None)
    if cal is None:
        cal = Calendar(**fields)
        db.session.add(cal)
    else:
        for key, value in fields.items():
            setattr(cal, key, value)
    if holidays is not None:
        cal.holidays = [CalendarHoliday(day=d, name=n) for d, n in holidays]
    db.session.flush()
    return cal


# --- policies ---------------------------------------------------------------------------


def list_policies(actor) -> list[Policy]:
    """Policies the actor may read."""
    stmt = select(Policy).order_by(Policy.name)
    if (ids := _own_policy_ids(actor)) is not None:
        stmt = stmt.where(Policy.id.in_(ids or [0]))
    return list(db.session.scalars(stmt))


def get_policy(actor, policy_id: int) -> Policy:
    """One policy the actor may read."""
    policy = db.session.get(Policy, policy_id)
    ids = _own_policy_ids(actor)
    if policy is None or (ids is not None and policy.id not in ids):
        raise NotFound("No such policy.")
    return policy


def _targets(c: Checker, required: bool) -> dict[str, dict] | None:
    raw = c.data.get("targets")
    if raw is None and not required:
        return None
    if not isinstance(raw, dict):
        c.error("targets", "Targets for each severity: " + ", ".join(SEVERITIES) + ".")
        return None
    out: dict[str, dict] = {}
    for sev in SEVERITIES:
        spec = raw.get(sev)
        if not isinstance(spec, dict):
            c.error(f"targets.{sev}", "Set first response, resolution and calendar.")
            continue
        fr, res = parse_minutes(spec.get("first_response")), parse_minutes(spec.get("resolution"))
        upd_raw = spec.get("update")
        upd = None if upd_raw in (None, "") else parse_minutes(upd_raw)
        cal = _by_id_or_name(Calendar, spec.get("calendar"))
        if fr is None or fr <= 0:
            c.error(f"targets.{sev}.first_response", "A duration such as 4h or 30m.")
        if res is None or res <= 0:
            c.error(f"targets.{sev}.resolution", "A duration such as 2h 30m.")
        elif fr is not None and res < fr:
            c.error(f"targets.{sev}.resolution", "Resolution cannot come before first response.")
        if upd_raw not in (None, "") and (upd is None or upd <= 0):
            c.error(f"targets.{sev}.update", "A duration, or empty for none.")
        if cal is None:
            c.error(f"targets.{sev}.calendar", "No such calendar.")
        out[sev] = {"first_response_minutes": fr, "resolution_minutes": res,
                    "update_minutes": upd, "calendar": cal}
    if unknown := set(raw) - set(SEVERITIES):
        c.error("targets", "Unknown severity: " + ", ".join(sorted(unknown)) + ".")
    return out


def _policy_fields(c: Checker, policy: Policy | None) -> dict:
    partial = policy is not None
    out: dict = {}
    if not partial or c.has("name"):
        out["name"] = c.text("name", required=True, max_len=100)
    if not partial or c.has("description"):
        out["description"] = c.text("description", max_len=5000)
    if not partial or c.has("warning_percent"):
        raw = c.data.get("warning_percent", 80)
        try:
            pct = int(raw if raw not in (None, "") else 80)
            if not 1 <= pct <= 99 or isinstance(raw, bool):
                raise ValueError
            out["warning_percent"] = pct
        except (TypeError, ValueError):
            c.error("warning_percent", "A whole number from 1 to 99.")
    if not partial or c.has("escalate_on"):
        out["escalate_on"] = c.choice("escalate_on", ESCALATE_ON, default="breach")
    for key in ("escalate_to_lead", "escalate_raise"):
        if not partial or c.has(key):
            out[key] = c.boolean(key, default=True)
    return out


def save_policy(actor, data: dict, policy_id: int | None = None) -> Policy:
    """Create a policy with a target per severity, or change one (administrators).

    Changing a policy does not move tickets already under it: their clocks keep the targets
    they started with (a severity change recomputes from the policy as it is then).
    """
    require_admin(actor)
    policy = get_policy(actor, policy_id) if policy_id else None
    c = Checker(data)
    fields = _policy_fields(c, policy)
    targets = _targets(c, required=policy is None)
    c.done()
    if "name" in fields:
        _unique_name(Policy, fields["name"], policy)
    if policy is None:
        policy = Policy(**fields)
        db.session.add(policy)
    else:
        for key, value in fields.items():
            setattr(policy, key, value)
    if targets is not None:
        for sev, spec in targets.items():
            target = policy.target(sev)
            if target is None:
                target = PolicyTarget(severity=sev)
                policy.targets.append(target)
            target.calendar = spec["calendar"]
            target.first_response_minutes = spec["first_response_minutes"]
            target.resolution_minutes = spec["resolution_minutes"]
            target.update_minutes = spec["update_minutes"]
    db.session.flush()
    return policy


# --- contracts --------------------------------------------------------------------------


def list_contracts(actor, customer: Customer | None = None) -> list[Contract]:
    """Contracts the actor may read, optionally of one (already scoped) customer."""
    stmt = select(Contract).order_by(Contract.valid_from.desc(), Contract.id.desc())
    if (scope := customer_scope(actor)) is not None:
        stmt = stmt.where(Contract.customer_id == scope)
    if customer is not None:
        stmt = stmt.where(Contract.customer_id == customer.id)
    return list(db.session.scalars(stmt))


def get_contract(actor, contract_id: int) -> Contract:
    """One contract; another customer's answers NotFound."""
    contract = db.session.get(Contract, contract_id)
    scope = customer_scope(actor)
    if contract is None or (scope is not None and contract.customer_id != scope):
        raise NotFound("No such contract.")
    return contract


def _contract_fields(c: Checker, contract: Contract | None) -> dict:
    partial = contract is not None
    out: dict = {}
    if not partial or c.has("name"):
        out["name"] = c.text("name", required=True, max_len=200)
    if not partial or c.has("policy"):
        policy = _by_id_or_name(Policy, c.data.get("policy"))
        if policy is None:
            c.error("policy", "No such policy.")
        out["policy"] = policy
    if not partial or c.has("valid_from"):
        out["valid_from"] = _date(c, "valid_from", required=True)
    if not partial or c.has("valid_to"):
        out["valid_to"] = _date(c, "valid_to")
    if not partial or c.has("notes"):
        out["notes"] = c.text("notes", max_len=5000)
    start = out.get("valid_from", contract.valid_from if contract else None)
    end = out.get("valid_to", contract.valid_to if contract else None)
    if start and end and end < start:
        c.error("valid_to", "The contract cannot end before it starts.")
    return out


def _check_overlap(customer: Customer, start: date, end: date | None, contract) -> None:
    """One contract in force per customer and day, so a ticket's SLA is never ambiguous."""
    for other in db.session.scalars(select(Contract).where(Contract.customer_id == customer.id)):
        if other is contract:
            continue
        if start <= (other.valid_to or date.max) and other.valid_from <= (end or date.max):
            raise Conflict("The dates overlap another contract of this customer: "
                           f"{other.name}.", {"valid_from": "Overlaps " + other.name + "."})


def save_contract(actor, customer: Customer | None, data: dict,
                  contract_id: int | None = None) -> Contract:
    """Create a customer's contract, or change one (administrators)."""
    contract = get_contract(actor, contract_id) if contract_id else None
    require_admin(actor)
    c = Checker(data)
    fields = _contract_fields(c, contract)
    c.done()
    customer = contract.customer if contract is not None else customer
    if customer is None:
        raise NotFound("No such customer.")
    start = fields.get("valid_from", contract.valid_from if contract else None)
    end = fields.get("valid_to", contract.valid_to if contract else None)
    _check_overlap(customer, start, end, contract)
    if contract is None:
        contract = Contract(customer=customer, **fields)
        db.session.add(contract)
    else:
        for key, value in fields.items():
            setattr(contract, key, value)
    db.session.flush()
    return contract


def contract_in_force(customer_id: int | None, at: datetime) -> Contract | None:
    """The contract that covers an instant, in the customer's own time zone."""
    if customer_id is None:
        return None
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        return None
    day = at.astimezone(ZoneInfo(customer.timezone or "Europe/Prague")).date()
    stmt = select(Contract).where(
        Contract.customer_id == customer_id, Contract.valid_from <= day,
        (Contract.valid_to.is_(None)) | (Contract.valid_to >= day),
    ).order_by(Contract.valid_from.desc())
    return db.session.scalars(stmt).first()
