"""API: who am I."""

from __future__ import annotations

from kbdesk.api.blueprint import actor, route

USER_SCHEMA = {"$ref": "#/components/schemas/User"}


def user_json(user) -> dict:
    """Public fields of a user."""
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "customer": user.customer.slug if user.customer else None,
        "locale": user.locale,
        "active": user.active,
    }


@route("/me", ["GET"], "The user the token belongs to", tag="accounts", response=USER_SCHEMA)
def me():
    """GET /me."""
    return user_json(actor())
