"""API: article drafts from tickets, saving them, and the article ↔ ticket links."""

from __future__ import annotations

from flask import request, url_for

from kbdesk.api.articles import article_json
from kbdesk.api.blueprint import actor, bp, iso, json_body, route
from kbdesk.authoring import links, services
from kbdesk.errors import ValidationError
from kbdesk.kb import services as kb
from kbdesk.tickets import services as tickets

S, INT, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
TAG = "authoring"
IDS = {"type": "string", "description": "Comma-separated message ids"}
TICKET_ID = [{"name": "ticket_id", "in": "path", "required": True, "schema": INT}]
ARTICLE_ID = [{"name": "article_id", "in": "path", "required": True, "schema": INT}]
DRAFT_PARAMS = TICKET_ID + [
    {"name": "messages", "in": "query", "schema": IDS,
     "description": "Picked messages: internal notes go to Cause, public replies to Resolution"},
    {"name": "cause", "in": "query", "schema": IDS},
    {"name": "resolution", "in": "query", "schema": IDS},
    {"name": "keep", "in": "query", "schema": IDS,
     "description": "Indexes of replacements not to make (keep the original)"},
    {"name": "language", "in": "query", "schema": {"type": "string", "enum": ["cs", "en"]}},
]
AUTHORING_SCHEMAS = {
    "ArticleDraft": {"type": "object", "properties": {
        "title": S, "body": {"type": "string", "description": "Scrubbed"},
        "original": {"type": "string", "description": "Before scrubbing"},
        "replacements": {"type": "array", "items": {"type": "object", "properties": {
            "kind": {"type": "string", "enum": ["email", "phone", "ip", "host", "name", "customer"]},
            "original": S, "placeholder": S, "start": INT, "end": INT}}},
        "cause": {"type": "array", "items": INT}, "resolution": {"type": "array", "items": INT},
        "language": S}},
    "ArticleFromTicket": {"type": "object", "required": ["title", "body", "target"],
                          "properties": {
        "title": S, "body": S,
        "target": {"type": "string", "enum": list(services.TARGETS)},
        "config_id": {"type": "integer", "nullable": True,
                      "description": "target config: the note to append to (none: a new one)"},
        "tags": {"oneOf": [{"type": "array", "items": S}, S]},
        "language": {"type": "string", "enum": ["cs", "en"]},
        "keep": {"type": "array", "items": S,
                 "description": "Personal data left in on purpose (else 422)"},
        "allow_personal_data": B}},
    "DocumentedIn": {"type": "object", "properties": {"items": {"type": "array", "items": {
        "type": "object", "properties": {"id": INT, "title": S, "slug": S, "kind": S,
                                         "status": S, "visibility": S, "url": S}}}}},
    "ArticleSources": {"type": "object", "properties": {"items": {"type": "array", "items": {
        "type": "object", "properties": {"id": INT, "number": S, "subject": S, "status": S,
                                         "created_at": S}}}}},
    "DocumentedInInput": {"type": "object", "required": ["article"], "properties": {
        "article": {"oneOf": [INT, S], "description": "article id or slug"}}},
}


@bp.record_once
def _document_schemas(_state) -> None:
    from kbdesk.api.openapi import SCHEMAS

    SCHEMAS.update(AUTHORING_SCHEMAS)


def _ids(name: str):
    raw = request.args.get(name)
    if raw is None:
        return None
    ids = services.parse_ids(raw)
    if ids is None:
        raise ValidationError({name: "Comma-separated numbers."})
    return ids


def _documented(ticket) -> dict:
    return {"items": [{"id": a.id, "title": a.title, "slug": a.slug, "kind": a.kind,
                       "status": a.status, "visibility": a.visibility,
                       "url": url_for("kb.article", article_id=a.id)}
                      for a in links.documented_in(actor(), ticket)]}


@route("/tickets/<int:ticket_id>/article-draft", ["GET"],
       "A scrubbed article draft from a resolved ticket (authors)", tag=TAG,
       params=DRAFT_PARAMS, response={"$ref": "#/components/schemas/ArticleDraft"})
def authoring_draft(ticket_id: int):
    """GET /tickets/<id>/article-draft."""
    draft = services.build_draft(actor(), ticket_id, messages=_ids("messages"),
                                 cause=_ids("cause"), resolution=_ids("resolution"),
                                 keep=_ids("keep") or (), language=request.args.get("language"))
    return draft.as_dict()


@route("/tickets/<int:ticket_id>/article", ["POST"],
       "Save a draft as a new article or into the customer's configuration note (authors)",
       tag=TAG, params=TICKET_ID, status=201,
       body={"$ref": "#/components/schemas/ArticleFromTicket"},
       response={"$ref": "#/components/schemas/Article"})
def authoring_create(ticket_id: int):
    """POST /tickets/<id>/article."""
    return article_json(services.create_from_ticket(actor(), ticket_id, json_body())), 201


@route("/tickets/<int:ticket_id>/documented-in", ["GET"],
       "Articles documenting this ticket (customers: published ones they may read)", tag=TAG,
       params=TICKET_ID, response={"$ref": "#/components/schemas/DocumentedIn"})
def authoring_documented_in(ticket_id: int):
    """GET /tickets/<id>/documented-in."""
    return _documented(tickets.get_ticket(actor(), ticket_id))


@route("/tickets/<int:ticket_id>/documented-in", ["POST"],
       "Mark an existing article as documenting this ticket (authors)", tag=TAG,
       params=TICKET_ID, status=201, body={"$ref": "#/components/schemas/DocumentedInInput"},
       response={"$ref": "#/components/schemas/DocumentedIn"})
def authoring_link(ticket_id: int):
    """POST /tickets/<id>/documented-in."""
    link, created = links.link_article(actor(), ticket_id, json_body().get("article"))
    return _documented(link.ticket), (201 if created else 200)


@route("/articles/<int:article_id>/sources", ["GET"],
       "The tickets an article documents (customers: their own tickets only)", tag=TAG,
       params=ARTICLE_ID, response={"$ref": "#/components/schemas/ArticleSources"})
def authoring_sources(article_id: int):
    """GET /articles/<id>/sources."""
    article = kb.get_article(actor(), article_id)
    return {"items": [{"id": t.id, "number": t.number, "subject": t.subject, "status": t.status,
                       "created_at": iso(t.created_at)}
                      for t in links.sources_of(actor(), article)]}
