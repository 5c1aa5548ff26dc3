"""How articles and configuration notes become search documents."""

from __future__ import annotations

from flask import url_for
from sqlalchemy.orm import selectinload

from kbdesk.kb.models import Article
from kbdesk.search import indexing


def article_docid(article: Article) -> str:
    """`article:12` or `config:12`: the kind is part of the id, so a kind change re-files it."""
    return f"{article.kind}:{article.id}"


def article_document(article: Article) -> dict:
    """The fields the index keeps for one article (see kbdesk.search.schema.to_fields)."""
    return {
        "kind": article.kind,
        "obj_id": article.id,
        "title": article.title,
        "body": article.body,
        "tags": article.tags,
        "customer": str(article.customer_id) if article.customer_id else "",
        "application": str(article.application_id) if article.application_id else "",
        "visibility": article.visibility,
        "language": article.language,
        "status": article.status,
        "created": article.created_at,
        "updated": article.updated_at,
    }


def article_url(article: Article) -> str:
    """The staff page of an article."""
    try:
        return url_for("kb.article", article_id=article.id)
    except RuntimeError:  # no request (a task): the plain path is still right
        return f"/kb/{article.id}"


def _can_read(actor, article: Article) -> bool:
    from kbdesk.kb.services import can_read

    return can_read(actor, article)


indexing.register(Article, kinds=("article", "config"), docid=article_docid,
                  document=article_document, url=article_url,
                  load_options=(selectinload(Article.tag_rows),), visible=_can_read)
