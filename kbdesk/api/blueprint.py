"""The JSON API blueprint: bearer auth, JSON errors, pagination, route registry."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from flask import Blueprint, g, request, url_for
from flask_login import current_user
from werkzeug.exceptions import BadRequest, Unauthorized

from kbdesk.accounts.services import user_for_token
from kbdesk.errors import ValidationError
from kbdesk.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PUBLIC_ENDPOINTS = {"api.openapi"}
# Route modules add themselves to bp; listed here so they load with the blueprint.
ROUTE_MODULES = [
    "kbdesk.api.openapi",
    "kbdesk.api.accounts",
    "kbdesk.api.customers",
    "kbdesk.api.tickets",
    "kbdesk.api.articles",
    "kbdesk.kb.review_api",
    "kbdesk.api.search",
    "kbdesk.sla.api",
    "kbdesk.monitor.api",
    "kbdesk.releases.api",
    "kbdesk.authoring.api",
    "kbdesk.feedback.api",
    "kbdesk.problems.api",
    "kbdesk.gaps.api",
]


@dataclass
class Operation:
    """What the OpenAPI document says about one method of one route."""

    summary: str
    tags: list[str]
    body: dict | None = None
    response: dict | None = None
    params: list[dict] = field(default_factory=list)
    status: int = 200


REGISTRY: dict[tuple[str, str], Operation] = {}


def route(rule: str, methods: list[str], summary: str, *, tag: str, body: dict | None = None,
          response: dict | None = None, params: list[dict] | None = None, status: int = 200):
    """Register an API route and its description for the OpenAPI document."""

    def decorate(fn):
        for method in methods:
            REGISTRY[(bp.url_prefix + rule, method.upper())] = Operation(
                summary, [tag], body, response, params or [], status)
        return bp.route(rule, methods=methods)(fn)

    return decorate


@bp.before_request
def authenticate():
    """Bearer token first; a signed-in browser session may use the API with a CSRF header."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = user_for_token(header[7:].strip())
        if user is None:
            raise Unauthorized("Invalid or revoked token.")
        g.api_user = user
        return None
    if current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
        g.api_user = current_user._get_current_object()
        return None
    raise Unauthorized("Send 'Authorization: Bearer <token>'.")


def actor():
    """The user the API request acts as."""
    return g.api_user


def json_body() -> dict:
    """The request's JSON object; malformed JSON is a 400, a non-object a 422."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    data = request.get_json(force=True, silent=True)
    if data is None:
        raise BadRequest("Malformed JSON body.")
    if not isinstance(data, dict):
        raise ValidationError({"_": "Expected a JSON object."})
    return data


def page_args(default: int = 50) -> tuple[int, int]:
    """limit and offset from the query string, checked."""
    from flask import current_app

    errors = {}
    try:
        limit = int(request.args.get("limit", default))
        if not 1 <= limit <= current_app.config["API_PAGE_LIMIT_MAX"]:
            raise ValueError
    except ValueError:
        errors["limit"] = f"An integer from 1 to {current_app.config['API_PAGE_LIMIT_MAX']}."
        limit = default
    try:
        offset = int(request.args.get("offset", 0))
        if offset < 0:
            raise ValueError
    except ValueError:
        errors["offset"] = "A non-negative integer."
        offset = 0
    if errors:
        raise ValidationError(errors)
    return limit, offset


def page(items: list, total: int, limit: int, offset: int) -> dict:
    """The list envelope: items, total, limit, offset and the next page's URL."""
    nxt = None
    if offset + limit < total:
        args = {**request.args.to_dict(), "limit": limit, "offset": offset + limit}
        nxt = url_for(request.endpoint, **(request.view_args or {}), **args)
    return {"items": items, "total": total, "limit": limit, "offset": offset, "next": nxt}


def iso(dt) -> str | None:
    """ISO 8601 or None."""
    return dt.isoformat() if dt is not None else None


for _name in ROUTE_MODULES:
    importlib.import_module(_name)
