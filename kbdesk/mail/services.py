"""Staff rules over the mail rows: the quarantine list, one mail, retry."""

from __future__ import annotations

from sqlalchemy import func, select

from kbdesk.accounts.models import User
from kbdesk.accounts.permissions import require_staff
from kbdesk.errors import Conflict, NotFound
from kbdesk.extensions import db
from kbdesk.mail.models import INBOUND_STATES, OUTBOUND_STATES, InboundMail, OutboundMail
from kbdesk.tasks import after_commit


def list_inbound(actor: User, state: str = "failed", *, limit: int = 50,
                 offset: int = 0) -> tuple[list[InboundMail], int]:
    """Inbound mails in a state (all when state is 'all'), newest first, with the total."""
    require_staff(actor)
    stmt = select(InboundMail)
    if state in INBOUND_STATES:
        stmt = stmt.where(InboundMail.state == state)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(stmt.order_by(InboundMail.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def inbound_counts(actor: User) -> dict[str, int]:
    """How many inbound mails are in each state."""
    require_staff(actor)
    rows = db.session.execute(select(InboundMail.state, func.count()).group_by(InboundMail.state))
    counts = dict.fromkeys(INBOUND_STATES, 0)
    counts.update({state: n for state, n in rows})
    return counts


def get_inbound(actor: User, mail_id: int) -> InboundMail:
    """One inbound mail (staff)."""
    require_staff(actor)
    mail = db.session.get(InboundMail, mail_id)
    if mail is None:
        raise NotFound("No such mail.")
    return mail


def retry_inbound(actor: User, mail_id: int) -> InboundMail:
    """Put a failed mail back in line for parsing (after the commit)."""
    return requeue(get_inbound(actor, mail_id))


def requeue(mail: InboundMail) -> InboundMail:
    """A failed mail goes back to new and is parsed after the commit (staff or the CLI)."""
    from kbdesk.mail.store import queue_parse

    if mail.state != "failed":
        raise Conflict("Only a failed mail can be retried.")
    mail.state, mail.error = "new", ""
    db.session.flush()
    after_commit(queue_parse, mail.id)
    return mail


def list_outbound(actor: User, state: str = "all", *, limit: int = 50,
                  offset: int = 0) -> tuple[list[OutboundMail], int]:
    """Outbound mails, newest first, with the total."""
    require_staff(actor)
    stmt = select(OutboundMail)
    if state in OUTBOUND_STATES:
        stmt = stmt.where(OutboundMail.state == state)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(stmt.order_by(OutboundMail.id.desc()).limit(limit).offset(offset))
    return list(rows), total
