"""Role checks used by services (never by templates alone)."""

from __future__ import annotations

from kbdesk.errors import Forbidden


def require_staff(actor) -> None:
    """Staff of the support company only."""
    if actor is None or not actor.is_staff:
        raise Forbidden("Only staff may do this.")


def require_admin(actor) -> None:
    """Administrators only."""
    if actor is None or not actor.is_admin:
        raise Forbidden("Only administrators may do this.")


def require_roles(actor, *roles: str) -> None:
    """One of the named roles."""
    if actor is None or actor.role not in roles:
        raise Forbidden("Your role may not do this.")


def customer_scope(actor) -> int | None:
    """The customer id a customer user is confined to; None for staff."""
    return None if actor.is_staff else actor.customer_id
