"""API: article uses in tickets, votes, internal comments (staff) and per-article stats."""

from __future__ import annotations

from flask import request

from kbdesk.api.blueprint import actor, bp, iso, json_body, page, page_args, route
from kbdesk.errors import ValidationError
from kbdesk.feedback import services, stats
from kbdesk.kb.render import render_markdown

S, INT, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
TAG = "feedback"
ARTICLE_ID = [{"name": "article_id", "in": "path", "required": True, "schema": INT}]
TICKET_ID = [{"name": "ticket_id", "in": "path", "required": True, "schema": INT}]
COMMENT_ID = [{"name": "comment_id", "in": "path", "required": True, "schema": INT}]
YES_NO = {"type": "object", "properties": {"yes": INT, "no": INT}}
TICKET_REF = {"type": "object", "properties": {"id": INT, "number": S, "subject": S, "status": S}}
ARTICLE_NUMBERS = {"views": INT, "views_30d": INT, "uses": INT, "helped": INT}
FEEDBACK_SCHEMAS = {
    "ArticleUseInput": {"type": "object", "properties": {
        "article_id": INT, "internal": {**B, "description": "link into an internal note"}},
        "required": ["article_id"]},
    "ArticleUse": {"type": "object", "properties": {
        "id": INT, "article_id": INT, "ticket_id": INT, "internal": B, "url": S,
        "markdown": S, "created_at": S}},
    "ArticleVoteInput": {"type": "object", "properties": {"helpful": B},
                         "required": ["helpful"]},
    "ArticleVote": {"type": "object", "properties": {"article_id": INT, "helpful": B}},
    "ArticleCommentInput": {"type": "object", "properties": {"body": S}, "required": ["body"]},
    "ArticleCommentPatch": {"type": "object", "properties": {"resolved": B},
                            "required": ["resolved"]},
    "ArticleComment": {"type": "object", "properties": {
        "id": INT, "article_id": INT, "author": {**S, "nullable": True}, "body": S,
        "html": S, "resolved": B, "created_at": S}},
    "ArticleCommentList": {"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/ArticleComment"}}}},
    "ArticleStats": {"type": "object", "properties": {
        "article_id": INT, "title": S, **ARTICLE_NUMBERS,
        "daily_views": {"type": "array", "items": {"type": "object", "properties": {
            "day": S, "views": INT}}},
        "votes": {"type": "object", "properties": {"portal": YES_NO, "staff": YES_NO}},
        "helped_tickets": {"type": "array", "items": TICKET_REF}}},
    "ArticleStatsRow": {"type": "object", "properties": {
        "article_id": INT, "title": S, "status": S, "visibility": S, **ARTICLE_NUMBERS,
        "helpful_yes": INT, "helpful_no": INT}},
    "ArticleStatsPage": {"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/ArticleStatsRow"}},
        "total": INT, "limit": INT, "offset": INT, "next": {**S, "nullable": True}}},
}


@bp.record_once
def _document_schemas(_state) -> None:
    from kbdesk.api.openapi import SCHEMAS

    SCHEMAS.update(FEEDBACK_SCHEMAS)


def comment_json(c) -> dict:
    """The API shape of an internal comment."""
    return {"id": c.id, "article_id": c.article_id, "author": c.author.name if c.author else None,
            "body": c.body, "html": str(render_markdown(c.body)), "resolved": c.resolved,
            "created_at": iso(c.created_at)}


@route("/tickets/<int:ticket_id>/article-uses", ["POST"],
       "Insert an article link into a reply (staff); counts as a use", tag=TAG,
       params=TICKET_ID, status=201, body={"$ref": "#/components/schemas/ArticleUseInput"},
       response={"$ref": "#/components/schemas/ArticleUse"})
def article_uses_create(ticket_id: int):
    """POST /tickets/<id>/article-uses."""
    use, url, markdown = services.insert_link(actor(), ticket_id, json_body())
    return {"id": use.id, "article_id": use.article_id, "ticket_id": use.ticket_id,
            "internal": use.internal, "url": url, "markdown": markdown,
            "created_at": iso(use.created_at)}, 201


@route("/articles/<int:article_id>/votes", ["POST"],
       "Vote whether an article helped (staff, or customers on articles they may read)",
       tag=TAG, params=ARTICLE_ID, body={"$ref": "#/components/schemas/ArticleVoteInput"},
       response={"$ref": "#/components/schemas/ArticleVote"})
def article_votes_create(article_id: int):
    """POST /articles/<id>/votes."""
    row = services.vote(actor(), article_id, json_body().get("helpful"))
    return {"article_id": row.article_id, "helpful": row.helpful}


@route("/articles/<int:article_id>/comments", ["GET"], "An article's internal comments (staff)",
       tag=TAG, params=ARTICLE_ID, response={"$ref": "#/components/schemas/ArticleCommentList"})
def article_comments_list(article_id: int):
    """GET /articles/<id>/comments."""
    return {"items": [comment_json(c) for c in services.list_comments(actor(), article_id)]}


@route("/articles/<int:article_id>/comments", ["POST"], "Comment on an article (staff)",
       tag=TAG, params=ARTICLE_ID, status=201,
       body={"$ref": "#/components/schemas/ArticleCommentInput"},
       response={"$ref": "#/components/schemas/ArticleComment"})
def article_comments_create(article_id: int):
    """POST /articles/<id>/comments."""
    return comment_json(services.add_comment(actor(), article_id, json_body())), 201


@route("/article-comments/<int:comment_id>", ["PATCH"],
       "Resolve (or reopen) an internal comment (staff)", tag=TAG, params=COMMENT_ID,
       body={"$ref": "#/components/schemas/ArticleCommentPatch"},
       response={"$ref": "#/components/schemas/ArticleComment"})
def article_comments_patch(comment_id: int):
    """PATCH /article-comments/<id>."""
    data = json_body()
    if not isinstance(data.get("resolved"), bool):
        raise ValidationError({"resolved": "Must be true or false."})
    return comment_json(services.set_resolved(actor(), comment_id, data["resolved"]))


@route("/articles/<int:article_id>/stats", ["GET"],
       "An article's views, uses, votes and the tickets it helped resolve (staff)", tag=TAG,
       params=ARTICLE_ID, response={"$ref": "#/components/schemas/ArticleStats"})
def article_stats(article_id: int):
    """GET /articles/<id>/stats."""
    s = stats.article_stats(actor(), article_id)
    return {"article_id": s["article"].id, "title": s["article"].title, "views": s["views"],
            "views_30d": s["views_30d"], "uses": s["uses"], "helped": len(s["helped"]),
            "daily_views": [{"day": d.isoformat(), "views": n} for d, n in s["daily"]],
            "votes": s["votes"],
            "helped_tickets": [{"id": t.id, "number": t.number, "subject": t.subject,
                                "status": t.status} for t in s["helped"]]}


@route("/articles/stats", ["GET"], "Every article's numbers, sorted (staff)", tag=TAG,
       params=[{"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(
           stats.SORTS)}},
               {"name": "limit", "in": "query", "schema": INT},
               {"name": "offset", "in": "query", "schema": INT}],
       response={"$ref": "#/components/schemas/ArticleStatsPage"})
def articles_stats():
    """GET /articles/stats."""
    limit, offset = page_args()
    rows, total = stats.list_stats(actor(), request.args.get("sort", "views"), limit=limit,
                                   offset=offset)
    items = [{"article_id": r["article"].id, "title": r["article"].title,
              "status": r["article"].status, "visibility": r["article"].visibility,
              "views": r["views"], "views_30d": r["views_30d"], "uses": r["uses"],
              "helped": r["helped"], "helpful_yes": r["yes"], "helpful_no": r["no"]}
             for r in rows]
    return page(items, total, limit, offset)
