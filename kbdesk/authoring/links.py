"""Article ↔ ticket links: an article's source tickets, a ticket's "documented in" articles."""

from __future__ import annotations

from sqlalchemy import select

from kbdesk.accounts.permissions import require_roles
from kbdesk.authoring.models import ArticleSource
from kbdesk.errors import NotFound, ValidationError
from kbdesk.extensions import db
from kbdesk.kb import services as kb
from kbdesk.kb.models import Article
from kbdesk.tickets import services as tickets
from kbdesk.tickets.models import Ticket


def add_source(actor, article: Article, ticket: Ticket) -> tuple[ArticleSource, bool]:
    """Link an article to a ticket it documents (once); the ticket's history records it."""
    found = db.session.scalar(select(ArticleSource).where(
        ArticleSource.article_id == article.id, ArticleSource.ticket_id == ticket.id))
    if found is not None:
        return found, False
    link = ArticleSource(article=article, ticket=ticket, created_by=actor)
    db.session.add(link)
    tickets.record(ticket, actor, "documented", article_id=article.id, title=article.title)
    db.session.flush()
    return link, True


def link_article(actor, ticket_id: int, article_ref) -> tuple[ArticleSource, bool]:
    """Staff mark an existing article as documenting a ticket (any ticket status)."""
    from kbdesk.authoring.services import resolve_article

    ticket = tickets.get_ticket(actor, ticket_id)
    require_roles(actor, *kb.EDIT_ROLES)
    article = resolve_article(actor, article_ref)
    if article.customer_id is not None and article.customer_id != ticket.customer_id:
        raise ValidationError({"article": "The article belongs to another customer."})
    return add_source(actor, article, ticket)


def unlink_article(actor, ticket_id: int, article_id: int) -> None:
    """Remove a "documented in" link."""
    ticket = tickets.get_ticket(actor, ticket_id)
    require_roles(actor, *kb.EDIT_ROLES)
    link = db.session.scalar(select(ArticleSource).where(
        ArticleSource.article_id == article_id, ArticleSource.ticket_id == ticket.id))
    if link is None:
        raise NotFound("No such link.")
    tickets.record(ticket, actor, "undocumented", article_id=article_id,
                   title=link.article.title)
    db.session.delete(link)
    db.session.flush()


def documented_in(actor, ticket: Ticket) -> list[Article]:
    """The articles documenting a ticket that the actor may read (customers: published ones)."""
    stmt = (select(Article).join(ArticleSource, ArticleSource.article_id == Article.id)
            .where(ArticleSource.ticket_id == ticket.id).order_by(ArticleSource.id))
    if (clause := kb.readable_clause(actor)) is not None:
        stmt = stmt.where(clause)
    return list(db.session.scalars(stmt))


def sources_of(actor, article: Article) -> list[Ticket]:
    """The article's source tickets the actor may see (customers: their own only)."""
    return list(db.session.scalars(
        tickets.visible_tickets(actor).join(ArticleSource, ArticleSource.ticket_id == Ticket.id)
        .where(ArticleSource.article_id == article.id).order_by(ArticleSource.id)))
