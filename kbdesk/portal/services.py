"""Portal rules: customer-only access, self-service search, votes, filing, announcements.

Every function takes the acting user; anything another customer owns answers NotFound.
Services add and flush, never commit.
"""

from __future__ import annotations

from typing import BinaryIO

from sqlalchemy import or_, select

from kbdesk.errors import NotFound, ValidationError
from kbdesk.extensions import db
from kbdesk.kb import services as kb
from kbdesk.portal.models import Announcement, ArticleVote, SuggestionEvent
from kbdesk.search import services as search_service
from kbdesk.tickets import attachments as ticket_files
from kbdesk.tickets import services as tickets
from kbdesk.tickets.models import OPEN_STATUSES, Message, Ticket
from kbdesk.validation import Checker

MAX_SUGGESTIONS = 5
MIN_QUERY = 3


def require_customer(actor) -> None:
    """The portal is for customer users; to anyone else it does not exist."""
    if actor is None or actor.is_staff or actor.customer_id is None:
        raise NotFound("No such page.")


def open_tickets(actor, limit: int = 20) -> list[Ticket]:
    """The actor's visible open tickets, newest first."""
    require_customer(actor)
    rows, _total = tickets.list_tickets(actor, {"status": "open_any"}, limit=limit)
    return rows


def announcements(actor, language: str) -> list[Announcement]:
    """Active announcements for everyone or for the actor's customer, in the language first."""
    require_customer(actor)
    rows = db.session.scalars(
        select(Announcement).where(
            Announcement.active.is_(True),
            or_(Announcement.customer_id.is_(None),
                Announcement.customer_id == actor.customer_id))
        .order_by(Announcement.created_at.desc(), Announcement.id.desc()))
    rows = list(rows)
    same = [a for a in rows if a.language == language]
    return same or rows


def create_announcement(actor, data: dict) -> Announcement:
    """Staff post an announcement (optionally for one customer)."""
    from kbdesk.accounts.permissions import require_staff
    from kbdesk.customers.models import Customer

    require_staff(actor)
    c = Checker(data)
    text = c.text("text", required=True, max_len=2000)
    language = c.choice("language", ("cs", "en"), default="cs")
    customer = None
    if slug := c.text("customer", max_len=80):
        customer = db.session.scalar(select(Customer).where(Customer.slug == slug))
        if customer is None:
            c.error("customer", "No such customer.")
    c.done()
    row = Announcement(text=text, language=language, customer=customer,
                       active=bool(data.get("active", True)))
    db.session.add(row)
    db.session.flush()
    return row


def status_of(actor) -> dict:
    """The monitor status panel data for the actor's customer."""
    from kbdesk.monitor import status

    require_customer(actor)
    return status.build(actor.customer, public=False)


# --- self-service ----------------------------------------------------------------------------

def search_articles(actor, query: str, *, limit: int = 20, offset: int = 0):
    """Articles the customer may read (public and their own customer's), ranked."""
    require_customer(actor)
    page = search_service.search(actor, query, {"kind": "article"}, limit=limit, offset=offset)
    # The engine already scopes; this is the belt to its braces.
    page.hits = [h for h in page.hits if h.kind == "article" and kb.can_read(actor, h.obj)]
    return page


def get_article(actor, article_id: int):
    """One article the customer may read; anything else NotFound."""
    require_customer(actor)
    return kb.get_article(actor, article_id)


def my_vote(actor, article_id: int) -> ArticleVote | None:
    """The actor's vote on an article, if any."""
    return db.session.scalar(select(ArticleVote).where(
        ArticleVote.user_id == actor.id, ArticleVote.article_id == article_id))


def vote(actor, article_id: int, helpful) -> ArticleVote:
    """Record (or change) the actor's "was this helpful?" answer (staff vote the same way)."""
    from kbdesk.feedback.services import vote as record_vote

    require_customer(actor)
    return record_vote(actor, article_id, helpful)


def vote_counts(article_id: int) -> dict:
    """How many found the article helpful and how many did not."""
    rows = list(db.session.scalars(select(ArticleVote.helpful).where(
        ArticleVote.article_id == article_id)))
    return {"yes": sum(1 for r in rows if r), "no": sum(1 for r in rows if not r)}


# --- filing with suggestions -----------------------------------------------------------------

def suggest(actor, text: str, session_key: str) -> list:
    """Up to five articles matching what the customer typed; each one shown is recorded."""
    require_customer(actor)
    text = (text or "").strip()
    if len(text) < MIN_QUERY:
        return []
    page = search_articles(actor, _as_query(text), limit=MAX_SUGGESTIONS)
    hits = page.hits[:MAX_SUGGESTIONS]
    seen = set(db.session.scalars(select(SuggestionEvent.article_id).where(
        SuggestionEvent.user_id == actor.id, SuggestionEvent.session_key == session_key,
        SuggestionEvent.kind == "shown")))
    for pos, hit in enumerate(hits):
        # One "shown" per article per filing session: typing refreshes the list many times.
        if hit.id not in seen:
            db.session.add(SuggestionEvent(user_id=actor.id, customer_id=actor.customer_id,
                                           session_key=session_key, article_id=hit.id,
                                           kind="shown", position=pos))
    db.session.flush()
    return hits


def _as_query(text: str) -> str:
    """People type sentences: keep the meaningful words (the engine falls back to any word)."""
    words = [w for w in "".join(ch if ch.isalnum() else " " for ch in text).split() if len(w) > 2]
    if not words:
        return text
    return " ".join(words[:12])


def record_opened(actor, article_id: int, session_key: str) -> SuggestionEvent | None:
    """A suggestion was opened (only articles the actor may read count)."""
    article = get_article(actor, article_id)
    if not session_key:
        return None
    row = SuggestionEvent(user_id=actor.id, customer_id=actor.customer_id,
                          session_key=session_key, article_id=article.id, kind="opened")
    db.session.add(row)
    db.session.flush()
    return row


def my_suggestions(actor, session_key: str) -> list[SuggestionEvent]:
    """The actor's suggestion events of one filing session (never anyone else's)."""
    require_customer(actor)
    return list(db.session.scalars(select(SuggestionEvent).where(
        SuggestionEvent.user_id == actor.id, SuggestionEvent.session_key == session_key)
        .order_by(SuggestionEvent.id)))


def file_ticket(actor, data: dict, files: list[tuple[BinaryIO, str]], session_key: str) -> Ticket:
    """Open a ticket from the portal with its attachments; link the session's suggestions."""
    require_customer(actor)
    fields = {"subject": data.get("subject", ""), "description": data.get("description", "")}
    if data.get("severity"):
        fields["severity"] = data["severity"]
    if data.get("application"):
        fields["application"] = data["application"]
    ticket = tickets.open_ticket(actor, fields, channel="portal")
    for stream, name in files:
        ticket_files.add_attachment(actor, ticket, stream, name)
    if session_key:
        for event in db.session.scalars(select(SuggestionEvent).where(
                SuggestionEvent.user_id == actor.id, SuggestionEvent.session_key == session_key,
                SuggestionEvent.ticket_id.is_(None))):
            event.ticket_id = ticket.id
    db.session.flush()
    return ticket


# --- own tickets -----------------------------------------------------------------------------

def my_tickets(actor, status: str = "", *, limit: int = 50, offset: int = 0):
    """The tickets the customer user may see (all of the customer's or only own)."""
    require_customer(actor)
    filters = {"status": "open_any"} if status == "open" else (
        {"status": "resolved,closed"} if status == "closed" else {})
    return tickets.list_tickets(actor, filters, limit=limit, offset=offset)


def get_ticket(actor, number: str) -> Ticket:
    """One visible ticket by number."""
    require_customer(actor)
    return tickets.get_ticket_by_number(actor, number)


def public_messages(ticket: Ticket) -> list[Message]:
    """Messages a customer may read: never internal notes."""
    return [m for m in ticket.messages if not m.internal]


def reply(actor, number: str, body: str, files: list[tuple[BinaryIO, str]]) -> Message:
    """A customer's reply, with attachments on the message."""
    ticket = get_ticket(actor, number)
    message = tickets.add_message(actor, ticket, body, via="portal")
    for stream, name in files:
        ticket_files.add_attachment(actor, ticket, stream, name, message=message)
    return message


def set_status(actor, number: str, status: str) -> Ticket:
    """Close or reopen one's ticket."""
    ticket = get_ticket(actor, number)
    if status not in ("open", "closed"):
        raise ValidationError({"status": "Must be one of: open, closed."})
    return tickets.update_ticket(actor, ticket.id, {"status": status})


def get_attachment(actor, number: str, attachment_id: int):
    """An attachment of a visible ticket (never an internal one)."""
    ticket = get_ticket(actor, number)
    return ticket_files.get_attachment(actor, ticket, attachment_id)


def is_open(ticket: Ticket) -> bool:
    """Whether the customer sees the ticket as still open."""
    return ticket.status in OPEN_STATUSES


def all_announcements(actor) -> list[Announcement]:
    """Staff: every announcement, newest first."""
    from kbdesk.accounts.permissions import require_staff

    require_staff(actor)
    return list(db.session.scalars(select(Announcement).order_by(Announcement.id.desc())))


def deactivate_announcement(actor, announcement_id: int) -> Announcement:
    """Staff switch an announcement off."""
    from kbdesk.accounts.permissions import require_staff

    require_staff(actor)
    row = db.session.get(Announcement, announcement_id)
    if row is None:
        raise NotFound("No such announcement.")
    row.active = False
    db.session.flush()
    return row
