"""Compliance per customer and month: tickets, met, breached, % met, mean times; CSV; chart."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kbdesk.accounts.permissions import customer_scope
from kbdesk.customers.models import Customer
from kbdesk.errors import NotFound, ValidationError
from kbdesk.extensions import db
from kbdesk.sla.calendar import business_seconds_between
from kbdesk.sla.clocks import calendar_of
from kbdesk.sla.models import Contract, TicketSla
from kbdesk.tickets.models import Ticket


@dataclass
class Row:
    """One line of the report: a customer in a month."""

    customer: str
    customer_name: str
    month: str
    tickets: int = 0
    met: int = 0
    breached: int = 0
    open: int = 0
    percent_met: float | None = None
    mean_first_response_seconds: int | None = None
    mean_resolution_seconds: int | None = None
    mean_first_response_wall_seconds: int | None = None
    mean_resolution_wall_seconds: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def parse_month(text: str | None, today: date) -> date:
    """'2026-04' -> date(2026, 4, 1); empty means this month."""
    if not text:
        return today.replace(day=1)
    try:
        year, month = (int(p) for p in str(text).split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ValidationError({"month": "A month as YYYY-MM."}) from None


def add_months(month: date, n: int) -> date:
    """The first day of the month n months later (or earlier)."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _bounds(month: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(month, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(add_months(month, 1), datetime.min.time(), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _mean(values: list[float]) -> int | None:
    return round(sum(values) / len(values)) if values else None


def _elapsed(sla: TicketSla, kind: str) -> float | None:
    clock = sla.clock(kind)
    if clock is None or clock.state != "met" or clock.met_at is None:
        return None
    bc = calendar_of(sla)
    return max(0.0, business_seconds_between(bc, clock.started_at, clock.met_at)
               - (clock.paused_seconds or 0))


def compute(customer: Customer, month: date) -> Row:
    """The report line of one customer and month (tickets filed in it, in its time zone)."""
    start, end = _bounds(month, ZoneInfo(customer.timezone or "Europe/Prague"))
    stmt = (select(Ticket, TicketSla).join(TicketSla, TicketSla.ticket_id == Ticket.id)
            .where(Ticket.customer_id == customer.id, TicketSla.state == "active",
                   Ticket.created_at >= start, Ticket.created_at < end)
            .options(selectinload(TicketSla.clocks)))
    row = Row(customer=customer.slug, customer_name=customer.name, month=month.strftime("%Y-%m"))
    first, resolution, first_wall, resolution_wall = [], [], [], []
    for ticket, sla in db.session.execute(stmt).all():
        row.tickets += 1
        main = [c for c in sla.clocks if c.kind in ("first_response", "resolution")]
        if any(c.breached_at is not None for c in sla.clocks):
            row.breached += 1
        elif main and all(c.state == "met" for c in main):
            row.met += 1
        else:
            row.open += 1
        if (value := _elapsed(sla, "first_response")) is not None:
            first.append(value)
        if (value := _elapsed(sla, "resolution")) is not None:
            resolution.append(value)
        if ticket.first_response_at is not None:
            first_wall.append((ticket.first_response_at - ticket.created_at).total_seconds())
        if ticket.resolved_at is not None:
            resolution_wall.append((ticket.resolved_at - ticket.created_at).total_seconds())
    decided = row.met + row.breached
    row.percent_met = round(100 * row.met / decided, 1) if decided else None
    row.mean_first_response_seconds = _mean(first)
    row.mean_resolution_seconds = _mean(resolution)
    row.mean_first_response_wall_seconds = _mean(first_wall)
    row.mean_resolution_wall_seconds = _mean(resolution_wall)
    return row


def report_customers(actor) -> list[Customer]:
    """Customers the actor may report on: those with a contract (a customer: itself)."""
    stmt = select(Customer).where(Customer.id.in_(select(Contract.customer_id))).order_by(
        Customer.name)
    if (scope := customer_scope(actor)) is not None:
        stmt = stmt.where(Customer.id == scope)
    return list(db.session.scalars(stmt))


def find_customer(actor, slug: str) -> Customer:
    """A customer by slug, scoped: another customer's answers NotFound."""
    customer = db.session.scalar(select(Customer).where(Customer.slug == slug))
    scope = customer_scope(actor)
    if customer is None or (scope is not None and customer.id != scope):
        raise NotFound("No such customer.")
    return customer


def build(actor, month: date, customer_slug: str | None = None, months: int = 12) -> list[Row]:
    """One customer over the months up to `month`, or every customer in `month`."""
    if customer_slug:
        customer = find_customer(actor, customer_slug)
        return [compute(customer, add_months(month, -i)) for i in range(months - 1, -1, -1)]
    return [compute(c, month) for c in report_customers(actor)]


CSV_FIELDS = ["customer", "customer_name", "month", "tickets", "met", "breached", "open",
              "percent_met", "mean_first_response_seconds", "mean_resolution_seconds",
              "mean_first_response_wall_seconds", "mean_resolution_wall_seconds"]


def to_csv(rows: list[Row]) -> str:
    """The report as CSV (comma-separated, a header line, UTF-8)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.as_dict().items()})
    return out.getvalue()


def bar_chart(rows: list[Row], labels: list[str], title: str) -> Markup:
    """% met per row as an inline SVG bar chart (drawn here: no scripts, no CDN)."""
    bar_h, gap, left, width = 20, 6, 180, 360
    height = len(rows) * (bar_h + gap) + 30
    parts = [f'<svg class="sla-chart" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {left + width + 60} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (row, label) in enumerate(zip(rows, labels, strict=True)):
        y = 10 + i * (bar_h + gap)
        pct = row.percent_met
        w = 0 if pct is None else round(width * pct / 100, 1)
        cls = "none" if pct is None else ("ok" if pct >= 95 else "warn" if pct >= 80 else "bad")
        value = "–" if pct is None else f"{pct:g} %"
        parts.append(
            f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="track" x="{left}" y="{y}" width="{width}" height="{bar_h}"/>'
            f'<rect class="bar {cls}" x="{left}" y="{y}" width="{w}" height="{bar_h}">'
            f'<title>{escape(label)}: {escape(value)}</title></rect>'
            f'<text x="{left + width + 6}" y="{y + 14}">{escape(value)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
