"""Ticket → article: drafts with personal data scrubbed, saving, "documented in" links.

Services own the rules and never commit. Only roles that may write articles author them
(kbdesk.kb.services.EDIT_ROLES); another customer's ticket is NotFound, as everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import select

from kbdesk.accounts.models import User
from kbdesk.accounts.permissions import require_roles
from kbdesk.authoring import scrub
from kbdesk.authoring.links import add_source
from kbdesk.errors import Conflict, ValidationError
from kbdesk.extensions import db
from kbdesk.kb import services as kb
from kbdesk.kb.models import Article
from kbdesk.tickets import services as tickets
from kbdesk.tickets.models import Message, Ticket
from kbdesk.validation import Checker

DONE_STATUSES = ("resolved", "closed")
TARGETS = ("public", "customer", "config")
HEADINGS = {"cs": ("Příznaky", "Příčina", "Řešení"), "en": ("Symptoms", "Cause", "Resolution")}


@dataclass
class Draft:
    """A pre-filled article: scrubbed title and body, and every replacement made."""

    title: str
    title_original: str
    body: str
    original: str
    replacements: list[scrub.Replacement]
    cause_ids: list[int] = field(default_factory=list)
    resolution_ids: list[int] = field(default_factory=list)
    language: str = "cs"

    def as_dict(self) -> dict:
        """The API shape."""
        return {"title": self.title, "body": self.body, "original": self.original,
                "replacements": [r.as_dict() for r in self.replacements],
                "cause": self.cause_ids, "resolution": self.resolution_ids,
                "language": self.language}


# --- what is personal ------------------------------------------------------------------------

def _host_of(text: str) -> str:
    text = (text or "").strip()
    if not text:
        return ""
    try:
        host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    except ValueError:
        return ""
    return host.strip("[]").lower()


def _monitor_hosts(customer_id: int) -> list[str]:
    try:  # monitoring is a feature of its own; authoring works without it
        from kbdesk.monitor.models import Monitor
    except ImportError:
        return []
    return [_host_of(t) for t in db.session.scalars(
        select(Monitor.target).where(Monitor.customer_id == customer_id))]


def scrub_context(ticket: Ticket) -> scrub.Context:
    """Names, host names and domains that are personal for this ticket's customer."""
    names = [ticket.reporter_name] if ticket.reporter_name else []
    names += [m.author_contact.name for m in ticket.messages if m.author_contact]
    customer = ticket.customer
    if customer is None:
        return scrub.Context(names=names)
    names += [c.name for c in customer.contacts]
    names += list(db.session.scalars(select(User.name).where(User.customer_id == customer.id)))
    hosts = [_host_of(a.url) for a in customer.applications] + _monitor_hosts(customer.id)
    return scrub.Context(names=sorted(set(filter(None, names))), companies=[customer.name],
                         hosts=sorted(set(filter(None, hosts))),
                         domains=list(customer.allowed_domains or []))


# --- drafts ----------------------------------------------------------------------------------

def authoring_ticket(actor, ticket_id: int) -> Ticket:
    """A resolved or closed ticket the actor may turn into an article."""
    ticket = tickets.get_ticket(actor, ticket_id)
    require_roles(actor, *kb.EDIT_ROLES)
    if ticket.status not in DONE_STATUSES:
        raise Conflict("Only a resolved or closed ticket becomes an article.")
    return ticket


def pickable_messages(ticket: Ticket) -> list[Message]:
    """The replies and internal notes an author can pick from (no automatic mails)."""
    return [m for m in ticket.messages if not m.automatic and m.body.strip()]


def parse_ids(value) -> list[int] | None:
    """Message ids from a list or a comma-separated string; None when malformed."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v for v in value.replace(" ", ",").split(",") if v]
    if not isinstance(value, list):
        return None
    out = []
    for v in value:
        if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, str) and v.isdigit())):
            return None
        out.append(int(v))
    return out


def default_picks(ticket: Ticket) -> tuple[list[int], list[int]]:
    """Internal notes as the cause, the last public staff reply as the resolution."""
    msgs = pickable_messages(ticket)
    cause = [m.id for m in msgs if m.internal]
    public = [m.id for m in msgs if not m.internal and m.author_id is not None]
    return cause, public[-1:]


def compose(ticket: Ticket, cause: list[Message], resolution: list[Message],
            language: str) -> str:
    """The unscrubbed body: symptoms from the description, cause and resolution picked."""
    symptoms, why, fix = HEADINGS.get(language, HEADINGS["en"])
    parts = [f"## {symptoms}", ticket.description.strip(), f"## {why}",
             "\n\n".join(m.body.strip() for m in cause), f"## {fix}",
             "\n\n".join(m.body.strip() for m in resolution)]
    return kb.normalise_body("\n\n".join(p for p in parts if p))


def build_draft(actor, ticket_id: int, *, messages=None, cause=None, resolution=None,
                keep=(), language: str | None = None) -> Draft:
    """The pre-filled, scrubbed draft from the picked messages (defaults when none given).

    `messages` picks by kind: internal notes tell the cause, public replies the resolution;
    `cause` and `resolution` pick explicitly. keep: indexes of replacements not to make.
    """
    ticket = authoring_ticket(actor, ticket_id)
    by_id = {m.id: m for m in pickable_messages(ticket)}
    if messages is None and cause is None and resolution is None:
        cause, resolution = default_picks(ticket)
    cause, resolution = list(cause or []), list(resolution or [])
    for i in messages or []:
        if i in by_id and i not in cause + resolution:
            (cause if by_id[i].internal else resolution).append(i)
    unknown = [i for i in list(messages or []) + cause + resolution if i not in by_id]
    if unknown:
        raise ValidationError({"messages": "Not a message of this ticket: "
                                           + ", ".join(map(str, unknown)) + "."})
    language = language if language in HEADINGS else (
        ticket.customer.language if ticket.customer else "cs")
    cause = sorted(set(cause))
    resolution = sorted(set(resolution) - set(cause))
    original = compose(ticket, [by_id[i] for i in cause], [by_id[i] for i in resolution],
                       language)
    ctx = scrub_context(ticket)
    ctx.language = language
    body = scrub.scrub(original, ctx, keep)
    title = scrub.scrub(ticket.subject, ctx)
    return Draft(title=title.text, title_original=ticket.subject, body=body.text,
                 original=original, replacements=body.replacements, cause_ids=cause,
                 resolution_ids=resolution, language=language)


def config_notes(ticket: Ticket) -> list[Article]:
    """The configuration notes of the ticket's customer (to append to)."""
    if not ticket.customer_id:
        return []
    return list(db.session.scalars(select(Article).where(
        Article.kind == "config", Article.customer_id == ticket.customer_id)
        .order_by(Article.title)))


# --- saving ----------------------------------------------------------------------------------

def _check_left(c: Checker, ticket: Ticket, title: str, body: str, keep: list[str]) -> None:
    """What is saved is what the author saw: refuse personal data they did not choose to keep."""
    ctx = scrub_context(ticket)
    left = scrub.leftovers(title, ctx, keep) + scrub.leftovers(body, ctx, keep)
    if left:
        shown = ", ".join(dict.fromkeys(r.original for r in left))
        c.error("body", f"Still contains personal data: {shown[:300]}. Replace it, or keep it "
                        "on purpose.")


def _keep(c: Checker) -> list[str]:
    """Originals the author chose to keep (whole strings: a name has spaces in it)."""
    value = c.data.get("keep") or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        c.error("keep", "Must be a list of strings.")
        return []
    return value


def create_from_ticket(actor, ticket_id: int, data: dict) -> Article:
    """Save a draft as a new article (draft), a customer article, or into a config note."""
    ticket = authoring_ticket(actor, ticket_id)
    c = Checker(data)
    title = c.text("title", required=True, max_len=300)
    if "\n" in title or "\r" in title:
        c.error("title", "One line only.")  # it becomes a heading when appended to a note
    body = c.data.get("body")
    if not isinstance(body, str) or not body.strip():
        c.error("body", "This field is required.")
        body = ""
    target = c.choice("target", TARGETS)
    keep = _keep(c)
    allow = c.boolean("allow_personal_data")
    config_id = c.data.get("config_id")
    if config_id in ("", "new"):
        config_id = None
    if config_id is not None and (isinstance(config_id, bool) or not str(config_id).isdigit()):
        c.error("config_id", "Give a configuration note's id.")
        config_id = None
    if target in ("customer", "config") and not ticket.customer_id:
        c.error("target", "This ticket has no customer.")
    if not allow and not c.errors:
        _check_left(c, ticket, title, body, keep)
    c.done()
    extra = {k: data[k] for k in ("tags", "language") if data.get(k) not in (None, "")}
    source_note = f"From ticket {ticket.number}."
    if target == "config" and config_id is not None:
        article = _append_to_note(actor, ticket, int(config_id), title, body, extra, source_note)
    else:
        fields = {"title": title, "body": body, "status": "draft", "note": source_note, **extra}
        if target == "public":
            fields.update(kind="article", visibility="public")
        elif target == "customer":
            fields.update(kind="article", visibility="customer", customer=ticket.customer.slug)
        else:
            fields.update(kind="config", visibility="internal", customer=ticket.customer.slug)
        article = kb.create_article(actor, fields)
    add_source(actor, article, ticket)
    return article


def _append_to_note(actor, ticket: Ticket, note_id: int, title: str, body: str, extra: dict,
                    source_note: str) -> Article:
    note = db.session.get(Article, note_id)
    if note is None or note.kind != "config" or note.customer_id != ticket.customer_id:
        raise ValidationError({"config_id": "Not a configuration note of this ticket's customer."})
    fields = {"body": f"{note.body.rstrip()}\n\n## {title}\n\n{body.strip()}",
              "note": source_note}
    if "tags" in extra:
        more = kb.parse_tags(extra["tags"])
        if more is None:
            raise ValidationError({"tags": "A list of tags or a comma-separated string."})
        fields["tags"] = list(dict.fromkeys(note.tags + more))
    return kb.update_article(actor, note.id, fields)


def resolve_article(actor, ref) -> Article:
    """An article by id or slug, as the actor may read it."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        return kb.get_article(actor, ref)
    if isinstance(ref, str) and ref.strip().isdigit():
        return kb.get_article(actor, int(ref.strip()))
    if isinstance(ref, str) and ref.strip():
        slug = ref.strip().rstrip("/").rsplit("/", 1)[-1]
        return kb.get_article_by_slug(actor, slug)
    raise ValidationError({"article": "Give the article's id or slug."})

