"""API: article review (submit, approve, return, mark reviewed), the queue and stale articles."""

from __future__ import annotations

from flask import request

from kbdesk.api.articles import ARTICLE_ID, PAGING, _obj, _page, article_json
from kbdesk.api.blueprint import actor, bp, iso, json_body, page, page_args, route
from kbdesk.kb import review

S, INT = {"type": "string"}, {"type": "integer"}
REF_ARTICLE = {"$ref": "#/components/schemas/Article"}
REVIEW_SCHEMAS = {
    "ArticleReview": _obj({
        "id": INT, "action": {"type": "string", "enum": ["submitted", "approved", "returned",
                                                         "reviewed"]},
        "actor": {"type": "string", "nullable": True},
        "reviewer_id": {"type": "integer", "nullable": True},
        "revision": INT, "comment": S, "created_at": S,
    }),
    "ArticleReviewPage": _page("ArticleReview"),
    "ReviewSubmitInput": _obj({"reviewer_id": {"type": "integer", "nullable": True},
                               "comment": S}),
    "ReviewCommentInput": _obj({"comment": S}),
    "ReviewReturnInput": _obj({"comment": S}, ["comment"]),
}
STALE_PARAMS = PAGING + [
    {"name": "customer", "in": "query", "schema": S, "description": "Customer slug or id"},
    {"name": "author", "in": "query", "schema": INT, "description": "Author's user id"},
    {"name": "sort", "in": "query",
     "schema": {"type": "string", "enum": list(review.STALE_SORTS)}},
]


@bp.record_once
def _document_schemas(_state) -> None:
    from kbdesk.api.openapi import SCHEMAS

    SCHEMAS.update(REVIEW_SCHEMAS)


def review_json(r) -> dict:
    """One review step as the API shows it (staff only reach it)."""
    return {"id": r.id, "action": r.action, "actor": r.actor.name if r.actor else None,
            "reviewer_id": r.reviewer_id, "revision": r.revision, "comment": r.comment,
            "created_at": iso(r.created_at)}


@route("/articles/<int:article_id>/submit", ["POST"],
       "Submit a draft for review (staff editors), optionally naming the reviewer",
       tag="articles", params=ARTICLE_ID,
       body={"$ref": "#/components/schemas/ReviewSubmitInput"}, response=REF_ARTICLE)
def articles_submit(article_id: int):
    """POST /articles/<id>/submit."""
    return article_json(review.submit(actor(), article_id, json_body()))


@route("/articles/<int:article_id>/approve", ["POST"],
       "Approve and publish an article in review (not its latest author; admins may)",
       tag="articles", params=ARTICLE_ID,
       body={"$ref": "#/components/schemas/ReviewCommentInput"}, response=REF_ARTICLE)
def articles_approve(article_id: int):
    """POST /articles/<id>/approve."""
    return article_json(review.approve(actor(), article_id, json_body()))


@route("/articles/<int:article_id>/return", ["POST"],
       "Return an article in review to draft; the comment says what must change",
       tag="articles", params=ARTICLE_ID,
       body={"$ref": "#/components/schemas/ReviewReturnInput"}, response=REF_ARTICLE)
def articles_return(article_id: int):
    """POST /articles/<id>/return."""
    return article_json(review.return_to_author(actor(), article_id, json_body()))


@route("/articles/<int:article_id>/reviewed", ["POST"],
       "Mark a published article as still accurate; moves its review date on",
       tag="articles", params=ARTICLE_ID,
       body={"$ref": "#/components/schemas/ReviewCommentInput"}, response=REF_ARTICLE)
def articles_reviewed(article_id: int):
    """POST /articles/<id>/reviewed."""
    return article_json(review.mark_reviewed(actor(), article_id, json_body()))


@route("/articles/<int:article_id>/reviews", ["GET"], "An article's review steps, newest first (staff)",
       tag="articles", params=ARTICLE_ID + PAGING,
       response={"$ref": "#/components/schemas/ArticleReviewPage"})
def articles_reviews(article_id: int):
    """GET /articles/<id>/reviews."""
    limit, offset = page_args()
    rows = review.history(actor(), article_id)
    return page([review_json(r) for r in rows[offset:offset + limit]], len(rows), limit, offset)


@route("/articles/review-queue", ["GET"], "Articles waiting for review, the caller's first (staff)",
       tag="articles", params=PAGING, response={"$ref": "#/components/schemas/ArticlePage"})
def articles_review_queue():
    """GET /articles/review-queue."""
    limit, offset = page_args()
    user = actor()
    items, total = review.review_queue(user, limit=limit, offset=offset)
    return page([{**article_json(a, full=False), "may_review": review.may_review(user, a)}
                 for a in items], total, limit, offset)


@route("/articles/stale", ["GET"], "Published articles past their review date (staff)",
       tag="articles", params=STALE_PARAMS, response={"$ref": "#/components/schemas/ArticlePage"})
def articles_stale():
    """GET /articles/stale."""
    limit, offset = page_args()
    filters = {k: request.args.get(k, "").strip() for k in ("customer", "author", "sort")}
    items, total = review.stale_articles(actor(), {k: v for k, v in filters.items() if v},
                                         limit=limit, offset=offset)
    return page([{**article_json(a, full=False), "days_overdue": review.days_overdue(a)}
                 for a in items], total, limit, offset)
