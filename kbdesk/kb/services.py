"""Rules for articles, configuration notes, revisions and attachments; add and flush, never commit.

Who reads what: staff read everything. A customer user reads published articles (never
configuration notes) that are public or have `customer` visibility for their own customer;
anything else answers NotFound. Every staff role may write; customers never.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from kbdesk.accounts.permissions import require_roles, require_staff
from kbdesk.customers.models import Application, Customer
from kbdesk.db_types import utcnow
from kbdesk.errors import Conflict, NotFound
from kbdesk.extensions import db
from kbdesk.kb.models import (
    KINDS,
    LANGUAGES,
    STATUSES,
    VISIBILITIES,
    Article,
    ArticleRevision,
    ArticleTag,
)
from kbdesk.validation import SLUG_RE, Checker, slugify

EDIT_ROLES = ("admin", "specialist", "developer", "tester")
CONTENT_FIELDS = ("title", "body", "tags", "kind", "visibility", "language", "status",
                  "customer_id", "application_id")
MAX_BODY = 1_000_000
MAX_TAGS = 30
MAX_TAG_LEN = 60
DEFAULT_ATTACHMENT_MAX = 25 * 1024 * 1024
# Served inline only when the bytes really are one of these (checked, not trusted).
INLINE_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


# --- reading ---------------------------------------------------------------------------------

def readable_clause(actor):
    """The SQL condition for articles the actor may read (None: everything, for staff)."""
    if actor.is_staff:
        return None
    return and_(
        Article.status == "published",
        Article.kind == "article",
        or_(Article.visibility == "public",
            and_(Article.visibility == "customer", Article.customer_id == actor.customer_id,
                 Article.customer_id.is_not(None))),
    )


def can_read(actor, article: Article) -> bool:
    """Whether the actor may read this article (the Python twin of readable_clause)."""
    if actor.is_staff:
        return True
    if article.status != "published" or article.kind != "article":
        return False
    if article.visibility == "public":
        return True
    return (article.visibility == "customer" and article.customer_id is not None
            and article.customer_id == actor.customer_id)


def can_edit(actor) -> bool:
    """Whether the actor's role may write articles."""
    return actor is not None and actor.role in EDIT_ROLES


def get_article(actor, article_id: int) -> Article:
    """One article the actor may read; anything else is NotFound."""
    article = db.session.get(Article, article_id)
    if article is None or not can_read(actor, article):
        raise NotFound("No such article.")
    return article


def get_article_by_slug(actor, slug: str) -> Article:
    """One article by slug, scoped like get_article."""
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    if article is None or not can_read(actor, article):
        raise NotFound("No such article.")
    return article


def _filtered(actor, filters: dict):
    c = Checker(filters)
    stmt = select(Article)
    if (clause := readable_clause(actor)) is not None:
        stmt = stmt.where(clause)
    for key, choices, column in (("kind", KINDS, Article.kind),
                                 ("status", STATUSES, Article.status),
                                 ("language", LANGUAGES, Article.language),
                                 ("visibility", VISIBILITIES, Article.visibility)):
        if filters.get(key):
            stmt = stmt.where(column == c.choice(key, choices))
    if customer := filters.get("customer"):
        stmt = stmt.where(Article.customer_id == _customer_id_for_filter(customer))
    if application := filters.get("application"):
        try:
            stmt = stmt.where(Article.application_id == int(application))
        except (TypeError, ValueError):
            c.error("application", "Must be an application id.")
    if tag := filters.get("tag"):
        tag = normalise_tag(str(tag))
        stmt = stmt.where(Article.id.in_(select(ArticleTag.article_id)
                                         .where(ArticleTag.tag == tag)))
    if q := str(filters.get("q") or "").strip():
        stmt = stmt.where(Article.title.ilike(f"%{q}%") | Article.slug.ilike(f"%{q}%"))
    c.done()
    return stmt


def _customer_id_for_filter(value) -> int:
    """A filter names a customer by slug or id; an unknown one simply matches nothing."""
    if isinstance(value, int) or str(value).isdigit():
        return int(value)
    found = db.session.scalar(select(Customer.id).where(Customer.slug == str(value)))
    return found if found is not None else -1


def list_articles(actor, filters: dict | None = None, *, limit: int = 50,
                  offset: int = 0) -> tuple[list[Article], int]:
    """Articles the actor may read, filtered (kind, status, language, visibility, customer,
    application, tag, q), newest change first, with the total count."""
    stmt = _filtered(actor, filters or {})
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = db.session.scalars(
        stmt.options(selectinload(Article.tag_rows), selectinload(Article.customer),
                     selectinload(Article.author))
        .order_by(Article.updated_at.desc(), Article.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(items), total


def tag_facets(actor, filters: dict | None = None, *, limit: int = 40) -> list[tuple[str, int]]:
    """The most used tags among the articles the filters select, with counts."""
    ids = _filtered(actor, filters or {}).with_only_columns(Article.id).subquery()
    count = func.count(ArticleTag.id)
    rows = db.session.execute(
        select(ArticleTag.tag, count).where(ArticleTag.article_id.in_(select(ids.c.id)))
        .group_by(ArticleTag.tag).order_by(count.desc(), ArticleTag.tag).limit(limit))
    return [(tag, n) for tag, n in rows]


# --- writing ---------------------------------------------------------------------------------

def normalise_tag(tag: str) -> str:
    """Tags compare lower-case with single spaces: `App  Service` is `app service`."""
    return re.sub(r"\s+", " ", tag.strip().lower())


def parse_tags(value) -> list[str] | None:
    """A list of tags, or one comma-separated string; None when it is neither."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    out: list[str] = []
    for raw in value:
        tag = normalise_tag(raw)
        if tag and tag not in out:
            out.append(tag)
    return out


def normalise_body(body: str) -> str:
    """Unix newlines, no trailing whitespace at the end, no blank lines at the start."""
    body = body.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    return body.lstrip("\n")


def content_hash(fields: dict) -> str:
    """SHA-256 over the content fields: equal hashes mean nothing worth a revision changed."""
    canonical = json.dumps({k: fields.get(k) for k in CONTENT_FIELDS}, sort_keys=True,
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def current_fields(article: Article) -> dict:
    """An article's content fields as a dict (the shape content_hash takes)."""
    return {"title": article.title, "body": article.body, "tags": article.tags,
            "kind": article.kind, "visibility": article.visibility,
            "language": article.language, "status": article.status,
            "customer_id": article.customer_id, "application_id": article.application_id}


def _resolve_customer(c: Checker, value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        customer = db.session.get(Customer, value)
    elif isinstance(value, str):
        value = value.strip()
        customer = db.session.scalar(select(Customer).where(Customer.slug == value))
        if customer is None and value.isdigit():
            customer = db.session.get(Customer, int(value))
    else:
        c.error("customer", "Give the customer's slug or id.")
        return None
    if customer is None:
        c.error("customer", "No such customer.")
        return None
    return customer.id


def _resolve_application(c: Checker, value) -> Application | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        c.error("application", "Give the application's id.")
        return None
    application = db.session.get(Application, value)
    if application is None:
        c.error("application", "No such application.")
    return application


def _input_fields(c: Checker, partial: bool) -> dict:
    """Read the given fields (all of them when creating) into model values."""
    out: dict = {}
    if not partial or c.has("title"):
        title = c.text("title", required=True, max_len=300)
        if "\n" in title or "\r" in title:
            c.error("title", "One line only.")
        out["title"] = title
    if c.has("slug") and c.data.get("slug") not in (None, ""):
        slug = c.text("slug", max_len=200)
        if not SLUG_RE.match(slug):
            c.error("slug", "Use lower-case letters, digits and hyphens.")
        out["slug"] = slug
    if not partial or c.has("body"):
        body = c.data.get("body", "")
        if body is None:
            body = ""
        if not isinstance(body, str):
            c.error("body", "Must be a string.")
            body = ""
        elif len(body) > MAX_BODY:
            c.error("body", f"At most {MAX_BODY} characters.")
        out["body"] = normalise_body(body)
    for key, choices, default in (("kind", KINDS, "article"),
                                  ("visibility", VISIBILITIES, "internal"),
                                  ("status", STATUSES, "draft"),
                                  ("language", LANGUAGES, "cs")):
        if not partial or c.has(key):
            out[key] = c.choice(key, choices, default=default)
    if not partial or c.has("customer"):
        out["customer_id"] = _resolve_customer(c, c.data.get("customer"))
    if not partial or c.has("application"):
        application = _resolve_application(c, c.data.get("application"))
        out["application_id"] = application.id if application is not None else None
    if not partial or c.has("tags"):
        tags = parse_tags(c.data.get("tags"))
        if tags is None:
            c.error("tags", "A list of tags or a comma-separated string.")
            tags = []
        if len(tags) > MAX_TAGS:
            c.error("tags", f"At most {MAX_TAGS} tags.")
        if any(len(t) > MAX_TAG_LEN for t in tags):
            c.error("tags", f"A tag has at most {MAX_TAG_LEN} characters.")
        out["tags"] = tags
    return out


def _check_rules(c: Checker, merged: dict) -> None:
    """Rules across fields, checked on the article as it would be after the change."""
    if merged["kind"] == "config" and merged["visibility"] == "public":
        c.error("visibility", "A configuration note is never public.")
    if merged["customer_id"] is None:
        if merged["kind"] == "config":
            c.error("customer", "A configuration note belongs to a customer.")
        elif merged["visibility"] == "customer":
            c.error("customer", "Customer visibility needs a customer.")
    if merged["application_id"] is not None:
        application = db.session.get(Application, merged["application_id"])
        if application is not None and application.customer_id != merged["customer_id"]:
            c.error("application", "Not an application of the chosen customer.")


def _note(c: Checker) -> str:
    return c.text("note", max_len=500) if c.has("note") else ""


def _slug_taken(slug: str, article: Article | None) -> bool:
    other = db.session.scalar(select(Article.id).where(Article.slug == slug))
    return other is not None and (article is None or other != article.id)


def _free_slug(title: str) -> str:
    base = slugify(title)[:190] or "article"
    slug, n = base, 2
    while _slug_taken(slug, None):
        slug, n = f"{base}-{n}", n + 1
    return slug


def _set_tags(article: Article, tags: list[str]) -> None:
    # Keep rows whose tag stays (a delete and insert of one (article, tag) in one flush
    # would trip the unique constraint), drop the rest, add the new ones.
    existing = {t.tag: t for t in article.tag_rows}
    rows = []
    for position, tag in enumerate(tags):
        row = existing.pop(tag, None) or ArticleTag(tag=tag)
        row.position = position
        rows.append(row)
    article.tag_rows = rows


def _add_revision(article: Article, actor, note: str) -> ArticleRevision:
    article.revision = (article.revision or 0) + 1
    rev = ArticleRevision(
        article=article, number=article.revision, title=article.title, body=article.body,
        tags=list(article.tags), kind=article.kind, status=article.status,
        visibility=article.visibility, language=article.language,
        customer_id=article.customer_id, application_id=article.application_id,
        author=actor, note=note, created_at=article.updated_at)
    db.session.add(rev)
    return rev


def _apply(article: Article, fields: dict) -> None:
    for key in CONTENT_FIELDS:
        if key in fields and key != "tags":
            setattr(article, key, fields[key])
    if "tags" in fields:
        _set_tags(article, fields["tags"])


def create_article(actor, data: dict, *, source_path: str | None = None) -> Article:
    """Create an article or configuration note with its first revision (staff)."""
    require_roles(actor, *EDIT_ROLES)
    c = Checker(data)
    fields = _input_fields(c, partial=False)
    note = _note(c)
    _check_rules(c, fields)
    due = _review_due_input(c)
    if source_path is None:  # imports keep the status their file names
        _check_publishing(c, actor, None, fields)
    c.done()
    if "slug" in fields:
        if _slug_taken(fields["slug"], None):
            raise Conflict("An article with this slug already exists.", {"slug": "Already taken."})
        slug = fields["slug"]
    else:
        slug = _free_slug(fields["title"])
    now = utcnow()
    article = Article(slug=slug, author=actor, created_at=now, updated_at=now,
                      source_path=source_path, revision=0)
    _apply(article, fields)
    article.content_hash = content_hash({**fields})
    db.session.add(article)
    _add_revision(article, actor, note or "Created.")
    _status_changed(article, actor, None, due)
    db.session.flush()
    return article


def update_article(actor, article_id: int, data: dict, *,
                   source_path: str | None = None) -> Article:
    """Change the given fields; a real change makes one revision, no change makes none.

    `base_revision` (optional) is the revision the editor started from: when someone else
    saved in between, the save is refused with Conflict instead of silently overwriting.
    """
    article = get_article(actor, article_id)
    require_roles(actor, *EDIT_ROLES)
    c = Checker(data)
    fields = _input_fields(c, partial=True)
    note = _note(c)
    base = data.get("base_revision") if isinstance(data, dict) else None
    if base not in (None, ""):
        try:
            base = int(base)
        except (TypeError, ValueError):
            c.error("base_revision", "Must be a revision number.")
            base = None
    else:
        base = None
    merged = {**current_fields(article), **{k: v for k, v in fields.items() if k != "slug"}}
    _check_rules(c, merged)
    due = _review_due_input(c)
    if source_path is None:  # imports keep the status their file names
        _check_publishing(c, actor, article.status, merged)
    c.done()
    if due is not _UNSET:
        article.review_due = due  # a date, not content: no revision
    if "slug" in fields and fields["slug"] != article.slug:
        if _slug_taken(fields["slug"], article):
            raise Conflict("An article with this slug already exists.", {"slug": "Already taken."})
        article.slug = fields["slug"]  # an address, not content: no revision
    new_hash = content_hash(merged)
    if new_hash == content_hash(current_fields(article)):
        db.session.flush()
        return article
    if base is not None and base != article.revision:
        raise Conflict(f"Someone saved revision {article.revision} after you started editing "
                       f"revision {base}. Reload and apply your change again.")
    before = article.status
    _apply(article, merged)
    article.content_hash = new_hash
    article.updated_at = utcnow()
    if source_path is not None:
        article.source_path = source_path
    _add_revision(article, actor, note)
    _status_changed(article, actor, before, due)
    db.session.flush()
    return article


# --- review hooks (the workflow itself lives in kbdesk.kb.review) ---------------------------

_UNSET = object()


def _review_due_input(c: Checker):
    """`review_due` as a date (None clears it); _UNSET when not given."""
    from kbdesk.kb import review

    return review.parse_review_due(c) if c.has("review_due") else _UNSET


def _check_publishing(c: Checker, actor, old_status: str | None, merged: dict) -> None:
    from kbdesk.kb import review

    if not review.may_publish_directly(actor, old_status, merged):
        c.error("status", "Only an administrator publishes an article directly; "
                          "submit it for review instead.")


def _status_changed(article: Article, actor, old_status: str | None, due) -> None:
    from kbdesk.kb import review

    review.after_save(article, actor, old_status, None if due is _UNSET else due,
                      due_given=due is not _UNSET)


# --- revisions -------------------------------------------------------------------------------

def list_revisions(actor, article_id: int) -> list[ArticleRevision]:
    """An article's revisions, newest first (staff: old revisions may hold internal text)."""
    article = get_article(actor, article_id)
    require_staff(actor)
    return list(article.revisions)


def get_revision(actor, article_id: int, number: int) -> ArticleRevision:
    """One revision of an article (staff)."""
    article = get_article(actor, article_id)
    require_staff(actor)
    rev = db.session.scalar(select(ArticleRevision).where(
        ArticleRevision.article_id == article.id, ArticleRevision.number == number))
    if rev is None:
        raise NotFound("No such revision.")
    return rev


def _revision_fields(rev: ArticleRevision) -> dict:
    return {"title": rev.title, "body": rev.body, "tags": list(rev.tags or []), "kind": rev.kind,
            "visibility": rev.visibility, "language": rev.language, "status": rev.status,
            "customer_id": rev.customer_id, "application_id": rev.application_id}


def _display(key: str, value) -> str:
    if value is None:
        return ""
    if key == "customer_id":
        customer = db.session.get(Customer, value)
        return customer.slug if customer is not None else f"#{value}"
    if key == "application_id":
        app = db.session.get(Application, value)
        return f"{app.name} ({app.environment})" if app is not None else f"#{value}"
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def diff_revisions(actor, article_id: int, a: int, b: int, *, context: int = 3) -> dict:
    """What changed from revision a to revision b: changed fields and a unified body diff.

    Lines come as (kind, text) with kind one of `hunk`, `add`, `del`, `same`; templates
    escape the text, so any Markdown or HTML in an article shows as text.
    """
    old = get_revision(actor, article_id, a)
    new = get_revision(actor, article_id, b)
    old_f, new_f = _revision_fields(old), _revision_fields(new)
    names = {"customer_id": "customer", "application_id": "application"}
    fields = [(names.get(k, k), _display(k, old_f[k]), _display(k, new_f[k]))
              for k in CONTENT_FIELDS if k != "body" and old_f[k] != new_f[k]]
    lines: list[tuple[str, str]] = []
    diff = list(difflib.unified_diff(old.body.splitlines(), new.body.splitlines(),
                                     fromfile=f"r{a}", tofile=f"r{b}", lineterm="", n=context))
    for line in diff[2:]:  # after the ---/+++ header lines
        if line.startswith("@@"):
            lines.append(("hunk", line))
        elif line.startswith("+"):
            lines.append(("add", line[1:]))
        elif line.startswith("-"):
            lines.append(("del", line[1:]))
        else:
            lines.append(("same", line[1:]))
    return {"old": old, "new": new, "fields": fields, "lines": lines,
            "unified": "\n".join(diff)}


def restore_revision(actor, article_id: int, number: int) -> Article:
    """Make an old revision current again; that is a new revision (history stays whole)."""
    rev = get_revision(actor, article_id, number)
    require_roles(actor, *EDIT_ROLES)
    data = _revision_fields(rev)
    data["customer"] = data.pop("customer_id")
    data["application"] = data.pop("application_id")
    data["note"] = f"Restored revision {number}."
    return update_article(actor, article_id, data)
