"""API: knowledge-base articles and configuration notes, and their revisions."""

from __future__ import annotations

from flask import request, url_for

from kbdesk.api.blueprint import actor, bp, iso, json_body, page, page_args, route
from kbdesk.customers.models import Customer
from kbdesk.extensions import db
from kbdesk.feedback.services import record_view
from kbdesk.kb import services
from kbdesk.kb.render import render_markdown

S, INT, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NULLABLE_S = {"type": "string", "nullable": True}


def _obj(props: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": props, **({"required": required} if required else {})}


def _page(ref: str) -> dict:
    return _obj({"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}},
                 "total": INT, "limit": INT, "offset": INT, "next": NULLABLE_S})


ARTICLE_ID = [{"name": "article_id", "in": "path", "required": True, "schema": INT}]
PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
]
FILTERS = [
    {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["article", "config"]}},
    {"name": "status", "in": "query",
     "schema": {"type": "string", "enum": ["draft", "in_review", "published", "archived"]}},
    {"name": "visibility", "in": "query",
     "schema": {"type": "string", "enum": ["public", "customer", "internal"]}},
    {"name": "language", "in": "query", "schema": {"type": "string", "enum": ["cs", "en"]}},
    {"name": "customer", "in": "query", "schema": S, "description": "Customer slug"},
    {"name": "application", "in": "query", "schema": INT},
    {"name": "tag", "in": "query", "schema": S},
    {"name": "q", "in": "query", "schema": S, "description": "Words in the title"},
]
FILTER_KEYS = ("kind", "status", "visibility", "language", "customer", "application", "tag", "q")

STRINGS = {"type": "array", "items": S}
ARTICLE_SCHEMAS = {
    "Article": _obj({
        "id": INT, "slug": S, "title": S, "body": S,
        "html": {"type": "string", "description": "The body rendered and sanitised"},
        "kind": {"type": "string", "enum": ["article", "config"]},
        "visibility": {"type": "string", "enum": ["public", "customer", "internal"]},
        "status": {"type": "string", "enum": ["draft", "in_review", "published", "archived"]},
        "language": {"type": "string", "enum": ["cs", "en"]},
        "customer": NULLABLE_S, "application": {"type": "integer", "nullable": True},
        "tags": STRINGS, "author": NULLABLE_S, "revision": INT,
        "created_at": S, "updated_at": S, "url": S,
        "review_due": {"type": "string", "format": "date", "nullable": True,
                       "description": "Next review date (staff only)"},
        "reviewed_at": {"type": "string", "nullable": True, "description": "Staff only"},
        "attachments": {"type": "array", "items": _obj({
            "id": INT, "filename": S, "content_type": S, "size": INT, "url": S})},
    }),
    "ArticleInput": _obj({
        "title": S, "body": S, "slug": S,
        "kind": {"type": "string", "enum": ["article", "config"]},
        "visibility": {"type": "string", "enum": ["public", "customer", "internal"]},
        "status": {"type": "string", "enum": ["draft", "in_review", "published", "archived"]},
        "language": {"type": "string", "enum": ["cs", "en"]},
        "customer": {"type": "string", "nullable": True, "description": "Customer slug"},
        "application": {"type": "integer", "nullable": True},
        "tags": {"oneOf": [STRINGS, S], "description": "A list or a comma-separated string"},
        "note": {"type": "string", "description": "What changed (kept with the revision)"},
        "review_due": {"type": "string", "format": "date", "nullable": True,
                       "description": "Next review date; empty clears it"},
        "base_revision": {"type": "integer",
                          "description": "The revision the change starts from; 409 if stale"},
    }, ["title"]),
    "ArticleRevision": _obj({
        "number": INT, "title": S, "body": S, "tags": STRINGS, "kind": S, "status": S,
        "visibility": S, "language": S, "customer": NULLABLE_S,
        "application": {"type": "integer", "nullable": True}, "author": NULLABLE_S,
        "note": S, "created_at": S, "current": B,
    }),
    "ArticlePage": _page("Article"),
    "ArticleRevisionPage": _page("ArticleRevision"),
}


@bp.record_once
def _document_schemas(_state) -> None:
    # At registration, not import: kbdesk.api.openapi may still be half-imported here
    # (it imports the blueprint, which imports the route modules).
    from kbdesk.api.openapi import SCHEMAS

    SCHEMAS.update(ARTICLE_SCHEMAS)


def article_json(a, *, full: bool = True) -> dict:
    """An article as the API shows it (the customer only to staff or that customer)."""
    user = actor()
    show_customer = a.customer is not None and (user.is_staff or a.customer_id == user.customer_id)
    out = {
        "id": a.id, "slug": a.slug, "title": a.title, "kind": a.kind,
        "visibility": a.visibility, "status": a.status, "language": a.language,
        "customer": a.customer.slug if show_customer else None,
        "application": a.application_id if show_customer else None,
        "tags": a.tags, "author": a.author.name if a.author and user.is_staff else None,
        "revision": a.revision, "created_at": iso(a.created_at), "updated_at": iso(a.updated_at),
        "url": url_for("kb.article", article_id=a.id),
        # Review dates are internal bookkeeping: staff only.
        "review_due": a.review_due.isoformat() if a.review_due and user.is_staff else None,
        "reviewed_at": iso(a.reviewed_at) if user.is_staff else None,
    }
    if full:
        out["body"] = a.body
        out["html"] = str(render_markdown(a.body))
        out["attachments"] = [
            {"id": f.id, "filename": f.filename, "content_type": f.content_type, "size": f.size,
             "url": url_for("kb.attachment", attachment_id=f.id, name=f.filename)}
            for f in a.attachments]
    return out


def _customer_slug(customer_id: int | None) -> str | None:
    customer = db.session.get(Customer, customer_id) if customer_id else None
    return customer.slug if customer is not None else None


def revision_json(r, current: int) -> dict:
    """A revision as the API shows it (staff only reach it)."""
    return {
        "number": r.number, "title": r.title, "body": r.body, "tags": list(r.tags or []),
        "kind": r.kind, "status": r.status, "visibility": r.visibility, "language": r.language,
        "customer": _customer_slug(r.customer_id),
        "application": r.application_id, "author": r.author.name if r.author else None,
        "note": r.note, "created_at": iso(r.created_at), "current": r.number == current,
    }


@route("/articles", ["GET"], "List articles and configuration notes the caller may read",
       tag="articles", params=PAGING + FILTERS,
       response={"$ref": "#/components/schemas/ArticlePage"})
def articles_list():
    """GET /articles."""
    limit, offset = page_args()
    filters = {k: request.args.get(k, "").strip() for k in FILTER_KEYS}
    items, total = services.list_articles(actor(), {k: v for k, v in filters.items() if v},
                                          limit=limit, offset=offset)
    return page([article_json(a, full=False) for a in items], total, limit, offset)


@route("/articles", ["POST"], "Create an article or configuration note (staff)", tag="articles",
       status=201, body={"$ref": "#/components/schemas/ArticleInput"},
       response={"$ref": "#/components/schemas/Article"})
def articles_create():
    """POST /articles."""
    return article_json(services.create_article(actor(), json_body())), 201


@route("/articles/<int:article_id>", ["GET"], "One article", tag="articles", params=ARTICLE_ID,
       response={"$ref": "#/components/schemas/Article"})
def articles_get(article_id: int):
    """GET /articles/<id>."""
    article = services.get_article(actor(), article_id)
    record_view(article.id)
    return article_json(article)


@route("/articles/<int:article_id>", ["PATCH"],
       "Change an article (staff); a real change makes a revision", tag="articles",
       params=ARTICLE_ID, body={"$ref": "#/components/schemas/ArticleInput"},
       response={"$ref": "#/components/schemas/Article"})
def articles_patch(article_id: int):
    """PATCH /articles/<id>."""
    return article_json(services.update_article(actor(), article_id, json_body()))


@route("/articles/<int:article_id>/revisions", ["GET"], "An article's revisions, newest first (staff)",
       tag="articles", params=ARTICLE_ID + PAGING,
       response={"$ref": "#/components/schemas/ArticleRevisionPage"})
def articles_revisions(article_id: int):
    """GET /articles/<id>/revisions."""
    limit, offset = page_args()
    revisions = services.list_revisions(actor(), article_id)
    current = revisions[0].number if revisions else 0
    return page([revision_json(r, current) for r in revisions[offset:offset + limit]],
                len(revisions), limit, offset)
