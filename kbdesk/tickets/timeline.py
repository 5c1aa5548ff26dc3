"""A ticket's history for people: events and messages in one ordered list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from kbdesk.accounts.models import User
from kbdesk.tickets.models import Message, Ticket, TicketEvent


def N_(message: str) -> str:  # noqa: N802 - Babel's marker: extract now, translate at render
    """Mark a string for extraction without translating it yet."""
    return message


# Labels of the codes stored in events and columns (translated at render time).
STATUS_LABELS = {
    "new": N_("New"), "open": N_("Open"), "waiting_customer": N_("Waiting on customer"),
    "waiting_third_party": N_("Waiting on third party"), "resolved": N_("Resolved"),
    "closed": N_("Closed"),
}
SEVERITY_LABELS = {"critical": N_("Critical"), "high": N_("High"), "normal": N_("Normal"),
                   "low": N_("Low")}
LINK_LABELS = {
    "duplicate_of": N_("duplicate of"), "has_duplicate": N_("has duplicate"),
    "related_to": N_("related to"), "caused_by": N_("caused by"), "causes": N_("causes"),
}
CHANNEL_LABELS = {"email": N_("e-mail"), "phone": N_("phone"), "portal": N_("portal"),
                  "web": N_("web form"), "api": N_("API"), "monitor": N_("monitor")}


def status_label(code: str) -> str:
    """The translated name of a status."""
    return _(STATUS_LABELS.get(code, code)) if code else "—"


def severity_label(code: str) -> str:
    """The translated name of a severity."""
    return _(SEVERITY_LABELS.get(code, code)) if code else "—"


def link_label(code: str) -> str:
    """The translated name of a link kind as seen from one ticket."""
    return _(LINK_LABELS.get(code, code))


@dataclass
class Entry:
    """One line of the timeline: an event or a message."""

    at: datetime
    kind: str  # "event" or "message"
    event: TicketEvent | None = None
    message: Message | None = None
    text: str = ""
    links: list = field(default_factory=list)


def visible_messages(actor: User, ticket: Ticket) -> list[Message]:
    """Messages the actor may read (customers never internal notes)."""
    return [m for m in ticket.messages if actor.is_staff or not m.internal]


def visible_events(actor: User, ticket: Ticket) -> list[TicketEvent]:
    """Events the actor may read (customers only public ones)."""
    return [e for e in ticket.events if actor.is_staff or e.public]


def _ref_name(value) -> str:
    if isinstance(value, dict):
        return value.get("name") or "—"
    return "—" if value in (None, "") else str(value)


def describe(event: TicketEvent) -> str:
    """What an event changed, in a sentence."""
    d = event.data or {}
    k = event.kind
    if k == "created":
        return _("opened the ticket via %(channel)s",
                 channel=_(CHANNEL_LABELS.get(d.get("channel"), d.get("channel") or "?")))
    if k == "status":
        return _("changed status from %(old)s to %(new)s",
                 old=status_label(d.get("old")), new=status_label(d.get("new")))
    if k == "severity":
        return _("changed severity from %(old)s to %(new)s",
                 old=severity_label(d.get("old")), new=severity_label(d.get("new")))
    if k == "subject":
        return _("changed the subject to “%(new)s”", new=d.get("new", ""))
    if k == "description":
        return _("edited the description")
    if k == "assignee":
        return _("assigned to %(new)s", new=_ref_name(d.get("new"))) if d.get("new") else \
            _("removed the assignee %(old)s", old=_ref_name(d.get("old")))
    if k == "team":
        return _("moved to team %(new)s", new=_ref_name(d.get("new"))) if d.get("new") else \
            _("removed the team %(old)s", old=_ref_name(d.get("old")))
    if k == "application":
        return _("set the application to %(new)s", new=_ref_name(d.get("new")))
    if k == "attachment":
        return _("attached %(name)s", name=d.get("filename", "?"))
    if k == "link":
        return _("linked: %(kind)s %(number)s", kind=link_label(d.get("link", "")),
                 number=d.get("number", "?"))
    if k == "unlink":
        return _("removed the link: %(kind)s %(number)s", kind=link_label(d.get("link", "")),
                 number=d.get("number", "?"))
    if k == "merged_into":
        return _("merged this ticket into %(number)s", number=d.get("number", "?"))
    if k == "merged_from":
        return _("merged %(number)s into this ticket (%(messages)s messages, "
                 "%(attachments)s attachments)", number=d.get("number", "?"),
                 messages=d.get("messages", 0), attachments=d.get("attachments", 0))
    if k == "watcher_added":
        return _("added watcher %(name)s", name=d.get("name", "?"))
    if k == "watcher_removed":
        return _("removed watcher %(name)s", name=d.get("name", "?"))
    if k == "visit":
        return _("recorded an on-site visit on %(date)s (%(minutes)s min, confirmed by "
                 "%(who)s)", date=d.get("date", "?"), minutes=d.get("minutes", "?"),
                 who=d.get("confirmed_by") or "—")
    if k == "documented":
        return _("documented in the article “%(title)s”", title=d.get("title", ""))
    if k == "undocumented":
        return _("removed the article “%(title)s” from the documentation",
                 title=d.get("title", ""))
    if k == "problem_linked":
        return _("linked to problem %(number)s “%(title)s”", number=d.get("number", "?"),
                 title=d.get("title", ""))
    if k == "problem_unlinked":
        return _("unlinked from problem %(number)s", number=d.get("number", "?"))
    return k.replace("_", " ")


def timeline(actor: User, ticket: Ticket) -> list[Entry]:
    """Events and messages the actor may see, oldest first (messages stand for their events)."""
    entries = [Entry(m.created_at, "message", message=m) for m in visible_messages(actor, ticket)]
    for event in visible_events(actor, ticket):
        if event.kind == "message":
            continue
        entries.append(Entry(event.at, "event", event=event, text=describe(event)))
    # Stable: same instant keeps events before the message they accompany, then by id.
    entries.sort(key=lambda e: (e.at, 0 if e.kind == "event" else 1,
                                (e.event or e.message).id))
    return entries
