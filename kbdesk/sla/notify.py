"""Who hears about SLA events, and how: in-app notifications and an e-mail via the mail feature."""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable

from flask_babel import force_locale
from sqlalchemy import select

from kbdesk.accounts.models import Team, TeamMember, User
from kbdesk.extensions import db
from kbdesk.sla.models import Notification
from kbdesk.tickets.models import Ticket

log = logging.getLogger("kbdesk.sla")


def active_staff(users) -> list[User]:
    """The active staff among users, each once."""
    seen: dict[int, User] = {}
    for user in users:
        if user is not None and user.active and user.is_staff and user.id not in seen:
            seen[user.id] = user
    return list(seen.values())


def team_leads(ticket: Ticket) -> list[User]:
    """The ticket team's leads; without a team, the leads of the support teams."""
    stmt = select(User).join(TeamMember, TeamMember.user_id == User.id).where(
        TeamMember.is_lead.is_(True))
    if ticket.team_id is not None:
        stmt = stmt.where(TeamMember.team_id == ticket.team_id)
    else:
        stmt = stmt.join(Team, Team.id == TeamMember.team_id).where(Team.kind == "support")
    return active_staff(db.session.scalars(stmt.order_by(User.id)))


def watchers(ticket: Ticket) -> list[User]:
    """The assignee and the team; nobody assigned means the support leads hear of it."""
    users = [ticket.assignee]
    if ticket.team is not None:
        users += [m.user for m in ticket.team.members]
    found = active_staff(users)
    return found or team_leads(ticket)


def notify(users: list[User], ticket: Ticket | None, kind: str,
           text: Callable[[], str]) -> list[Notification]:
    """An in-app notice per user (text rendered in the user's language) and an e-mail."""
    out = []
    for user in active_staff(users):
        with force_locale(user.locale or "cs"):
            body = str(text())[:500]
        note = Notification(user_id=user.id, ticket_id=ticket.id if ticket else None,
                            kind=kind, text=body)
        db.session.add(note)
        out.append(note)
        details = f"{body}\n\n{ticket.number} {ticket.subject}" if ticket else body
        send_mail(user.id, body, details, ticket.id if ticket else None)
    db.session.flush()
    return out


def send_mail(user_id: int, subject: str, body: str, ticket_id: int | None = None) -> None:
    """Queue an e-mail through the mail feature when it is installed (in this transaction)."""
    try:
        outbound = importlib.import_module("kbdesk.mail.outbound")
    except ImportError:
        return
    sender = getattr(outbound, "send_notification", None)
    if sender is None:
        return
    kwargs = {"ticket_id": ticket_id} if "ticket_id" in inspect.signature(sender).parameters else {}
    savepoint = db.session.begin_nested()
    try:
        sender(user_id, subject, body, **kwargs)
        savepoint.commit()
    except Exception:  # a mail that cannot be queued must not lose the SLA event
        savepoint.rollback()
        log.exception("SLA notification mail to user %s could not be queued", user_id)


def unread(user: User, limit: int = 10) -> tuple[list[Notification], int]:
    """A user's newest unread notices and how many are unread."""
    from sqlalchemy import func

    base = select(Notification).where(Notification.user_id == user.id,
                                      Notification.read_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    items = db.session.scalars(base.order_by(Notification.id.desc()).limit(limit))
    return list(items), total


def recent(user: User, limit: int = 100) -> list[Notification]:
    """A user's newest notices, read or not."""
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id).order_by(Notification.id.desc()).limit(limit)))


def mark_read(user: User, notification_id: int | None, now) -> int:
    """Mark one of the user's notices (or all, for None) read; another user's is not found."""
    from kbdesk.errors import NotFound

    stmt = select(Notification).where(Notification.user_id == user.id,
                                      Notification.read_at.is_(None))
    if notification_id is not None:
        note = db.session.get(Notification, notification_id)
        if note is None or note.user_id != user.id:
            raise NotFound("No such notification.")
        stmt = stmt.where(Notification.id == notification_id)
    count = 0
    for note in db.session.scalars(stmt):
        note.read_at = now
        count += 1
    db.session.flush()
    return count
