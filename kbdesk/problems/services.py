"""Problem rules: staff only (customers get 404/403), history as events; never commit."""

from __future__ import annotations

from sqlalchemy import func, select

from kbdesk.accounts.models import User
from kbdesk.accounts.permissions import require_staff
from kbdesk.customers.models import Application
from kbdesk.errors import Conflict, NotFound, ValidationError
from kbdesk.extensions import db
from kbdesk.problems.models import ACTIVE_STATUSES, STATUSES, Problem, ProblemEvent, ProblemTicket
from kbdesk.releases import services as releases
from kbdesk.releases.models import Release, ReleaseTicket
from kbdesk.releases.signals import release_shipped
from kbdesk.tickets import services as tickets
from kbdesk.tickets.models import Ticket
from kbdesk.validation import Checker

# Where a status may go; proposals are accepted or rejected, and rejected stays rejected
# so that the proposer never offers the same tickets again.
TRANSITIONS = {
    "proposed": ("open", "rejected"),
    "open": ("known_error", "fixed", "closed", "rejected"),
    "known_error": ("open", "fixed", "closed"),
    "fixed": ("open", "closed"),
    "closed": ("open",),
    "rejected": (),
}
MAX_MARKDOWN = 100_000


def record(problem: Problem, actor: User | None, kind: str, **data) -> ProblemEvent:
    """Add one event to a problem's history."""
    event = ProblemEvent(problem=problem, actor=actor, kind=kind, data=data)
    db.session.add(event)
    return event


def get_problem(actor: User, problem_id: int) -> Problem:
    """One problem; problems are internal, so a customer user gets NotFound."""
    problem = db.session.get(Problem, problem_id) if actor.is_staff else None
    if problem is None:
        raise NotFound("No such problem.")
    return problem


def list_problems(actor: User, status: str | None = None, *, limit: int | None = None,
                  offset: int = 0) -> tuple[list[tuple[Problem, int]], int]:
    """((problem, linked ticket count) newest first, total), optionally of one status (staff)."""
    require_staff(actor)
    if status and status not in STATUSES:
        raise ValidationError({"status": f"One of: {', '.join(STATUSES)}."})
    where = [Problem.status == status] if status else []
    total = db.session.scalar(select(func.count(Problem.id)).where(*where)) or 0
    count = (select(func.count(ProblemTicket.id)).where(ProblemTicket.problem_id == Problem.id)
             .correlate(Problem).scalar_subquery())
    stmt = select(Problem, count).where(*where).order_by(Problem.id.desc()).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(p, n) for p, n in db.session.execute(stmt)], total


def status_counts(actor: User) -> dict[str, int]:
    """How many problems are in each status (staff)."""
    require_staff(actor)
    rows = db.session.execute(select(Problem.status, func.count()).group_by(Problem.status))
    return {s: 0 for s in STATUSES} | dict(rows.all())


def linkable_problems(actor: User) -> list[Problem]:
    """Problems a ticket can be linked to (proposed, open, known error)."""
    require_staff(actor)
    return list(db.session.scalars(select(Problem).where(Problem.status.in_(ACTIVE_STATUSES))
                                   .order_by(Problem.title)))


def problems_for_ticket(actor: User, ticket: Ticket) -> list[Problem]:
    """The problems a ticket is linked to (staff; customers never see problems)."""
    if not actor.is_staff:
        return []
    return list(db.session.scalars(select(Problem).join(ProblemTicket).where(
        ProblemTicket.ticket_id == ticket.id).order_by(Problem.id)))


def linked_tickets(problem: Problem) -> list[Ticket]:
    """The problem's tickets, oldest first."""
    return sorted((link.ticket for link in problem.links), key=lambda t: (t.created_at, t.id))


def _ref(c: Checker, data: dict, key: str, model):
    """An optional reference by id: None when empty, else the row or a field error."""
    raw = data.get(key)
    if raw in (None, ""):
        return None
    if isinstance(raw, bool) or not (isinstance(raw, int) or str(raw).isdigit()):
        c.error(key, "Give an id.")
        return None
    row = db.session.get(model, int(raw))
    if row is None or (model is User and not row.is_staff):
        c.error(key, "No such item.")
    return row


def _fields(problem: Problem, data: dict, *, creating: bool) -> dict:
    """Checked changes from data; raises ValidationError with every bad field."""
    c = Checker(data)
    out: dict = {}
    if creating or "title" in data:
        out["title"] = c.text("title", required=True, max_len=300)
    for key in ("root_cause", "workaround"):
        if key in data:
            out[key] = c.text(key, max_len=MAX_MARKDOWN)
    if "application_id" in data:
        out["application"] = _ref(c, data, "application_id", Application)
    if "release_id" in data:
        out["release"] = _ref(c, data, "release_id", Release)
    if "owner_id" in data:
        out["owner"] = _ref(c, data, "owner_id", User)
    if "status" in data:
        out["status"] = c.choice("status", STATUSES)
    c.done()
    app = out.get("application", problem.application)
    release = out.get("release", problem.release)
    if release is not None and app is not None and release.application_id != app.id:
        raise ValidationError({"release_id": "The release belongs to another application."})
    status = out.get("status")
    if status and status != problem.status and status not in TRANSITIONS[problem.status]:
        raise ValidationError({"status": f"A {problem.status} problem cannot become {status}."})
    return out


def create_problem(actor: User, data: dict) -> Problem:
    """Staff open a problem by hand."""
    require_staff(actor)
    data = {"status": "open", **data}
    if data["status"] not in ("open", "known_error"):
        raise ValidationError({"status": "A new problem is open or a known error."})
    problem = Problem(title="", status="open", created_by=actor, owner=actor)
    changes = _fields(problem, data, creating=True)
    db.session.add(problem)
    record(problem, actor, "created", status=changes.get("status", "open"))
    _apply(actor, problem, changes, log=False)
    return problem


def update_problem(actor: User, problem_id: int, data: dict) -> Problem:
    """Staff change a problem; status, release and workaround changes are recorded."""
    problem = get_problem(actor, problem_id)
    require_staff(actor)
    _apply(actor, problem, _fields(problem, data, creating=False))
    return problem


def _apply(actor: User, problem: Problem, changes: dict, *, log: bool = True) -> None:
    old_release = problem.release
    for key, value in changes.items():
        old = getattr(problem, key)
        if old == value:
            continue
        setattr(problem, key, value)
        if not log:  # a new problem: its "created" event says it all
            continue
        if key == "status":
            record(problem, actor, "status", old=old, new=value)
        elif key == "release":
            record(problem, actor, "release", old=old.version if old else None,
                   new=value.version if value else None, release_id=value.id if value else None)
        elif key in ("workaround", "root_cause"):
            record(problem, actor, key)
    db.session.flush()
    if problem.release is not None and problem.release is not old_release:
        for ticket in linked_tickets(problem):
            plan_into_release(actor, problem, ticket, previous=old_release)


def plan_into_release(actor: User, problem: Problem, ticket: Ticket,
                      previous: Release | None = None) -> bool:
    """Plan a linked ticket into the problem's fix release, so its customer sees "planned for".

    Only the release's own customer's tickets fit; a ticket already planned into some other
    release (not this problem's previous one) is left where someone put it.
    """
    release = problem.release
    if release is None or release.state == "released" or \
            ticket.customer_id != release.application.customer_id:
        return False
    current = db.session.scalar(select(ReleaseTicket.release_id).where(
        ReleaseTicket.ticket_id == ticket.id))
    if current == release.id or (current is not None and (previous is None or
                                                          current != previous.id)):
        return False
    releases.plan_ticket(actor, release.id, ticket.id)
    return True


def accept(actor: User, problem_id: int, data: dict | None = None) -> Problem:
    """Accept a proposal: it becomes an open problem (the title may be changed on the way)."""
    problem = get_problem(actor, problem_id)
    require_staff(actor)
    if problem.status != "proposed":
        raise Conflict("Only a proposed problem can be accepted.")
    data = {k: v for k, v in (data or {}).items() if k in ("title", "owner_id")}
    _apply(actor, problem, _fields(problem, {**data, "status": "open"}, creating=False))
    problem.owner = problem.owner or actor
    return problem


def reject(actor: User, problem_id: int) -> Problem:
    """Reject a proposal (or an open problem); it keeps its tickets so it is not proposed again."""
    problem = get_problem(actor, problem_id)
    require_staff(actor)
    if "rejected" not in TRANSITIONS[problem.status]:
        raise Conflict("This problem cannot be rejected.")
    _apply(actor, problem, {"status": "rejected"})
    return problem


def link_ticket(actor: User, problem_id: int, ticket_ref) -> ProblemTicket:
    """Link a ticket to a problem: a ticket event, and a plan into the fix release."""
    problem = get_problem(actor, problem_id)
    require_staff(actor)
    ticket = _find_ticket(actor, ticket_ref)
    if problem.status not in ACTIVE_STATUSES:
        raise Conflict("Tickets are linked to proposed, open or known-error problems only.")
    if any(link.ticket_id == ticket.id for link in problem.links):
        raise Conflict("The ticket is already linked to this problem.")
    link = attach(actor, problem, ticket)
    plan_into_release(actor, problem, ticket)
    return link


def attach(actor: User | None, problem: Problem, ticket: Ticket) -> ProblemTicket:
    """Add the link row and record it on both histories (no checks: callers check)."""
    link = ProblemTicket(problem=problem, ticket=ticket, linked_by=actor)
    db.session.add(link)
    record(problem, actor, "ticket_linked", ticket_id=ticket.id, number=ticket.number)
    tickets.record(ticket, actor, "problem_linked", label="" if actor else "kbdesk",
                   problem_id=problem.id, number=problem.number, title=problem.title)
    db.session.flush()
    return link


def unlink_ticket(actor: User, problem_id: int, ticket_id: int) -> None:
    """Remove a ticket from a problem (its release plan stays: someone may rely on it)."""
    problem = get_problem(actor, problem_id)
    require_staff(actor)
    link = next((x for x in problem.links if x.ticket_id == ticket_id), None)
    if link is None:
        raise NotFound("The ticket is not linked to this problem.")
    ticket = link.ticket
    problem.links.remove(link)
    record(problem, actor, "ticket_unlinked", ticket_id=ticket.id, number=ticket.number)
    tickets.record(ticket, actor, "problem_unlinked", problem_id=problem.id,
                   number=problem.number, title=problem.title)
    db.session.flush()


def _find_ticket(actor: User, ref) -> Ticket:
    if isinstance(ref, int) and not isinstance(ref, bool) or (isinstance(ref, str)
                                                             and ref.strip().isdigit()):
        return tickets.get_ticket(actor, int(ref))
    if isinstance(ref, str) and ref.strip():
        return tickets.get_ticket_by_number(actor, ref.strip())
    raise ValidationError({"ticket_id": "Give the ticket id or number."})


@release_shipped.connect
def mark_fixed(release, actor=None, **_kw) -> None:
    """A shipped fix release closes its problems' known errors: they become fixed."""
    for problem in db.session.scalars(select(Problem).where(
            Problem.release_id == release.id, Problem.status.in_(("open", "known_error")))):
        record(problem, actor, "status", old=problem.status, new="fixed",
               release_id=release.id, version=release.version)
        problem.status = "fixed"
    db.session.flush()
