"""The OpenAPI 3 document, built from the route registry."""

from __future__ import annotations

# Schemas first: route modules loaded by the blueprint import these names from here.
# isort: off
import re

from kbdesk.api.schemas import INT, NULLABLE_S, SCHEMAS, B, S, _obj, _page  # noqa: F401
from kbdesk.api.blueprint import REGISTRY, route
# isort: on

ERRORS = {
    "400": "Malformed request", "401": "Missing or invalid token", "403": "Not allowed",
    "404": "Not found", "409": "Conflict", "413": "Too large", "422": "Validation failed",
}


def openapi_path(rule: str) -> str:
    """Flask's /a/<int:id> as OpenAPI's /a/{id}."""
    return re.sub(r"<(?:[a-z]+:)?([a-zA-Z_]+)>", r"{\1}", rule)


def build_document() -> dict:
    """The whole OpenAPI document."""
    paths: dict[str, dict] = {}
    for (rule, method), op in sorted(REGISTRY.items()):
        responses = {str(op.status): {"description": "OK", **(
            {"content": {"application/json": {"schema": op.response}}} if op.response else {})}}
        for code, text in ERRORS.items():
            responses[code] = {"description": text, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        entry: dict = {"summary": op.summary, "tags": op.tags, "parameters": op.params,
                       "responses": responses}
        if op.body:
            entry["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": op.body}}}
        if rule.endswith("/openapi.json"):
            entry["security"] = []
        paths.setdefault(openapi_path(rule), {})[method.lower()] = entry
    return {
        "openapi": "3.0.3",
        "info": {"title": "kbdesk API", "version": "1"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


@route("/openapi.json", ["GET"], "This document", tag="meta")
def openapi():
    """GET /openapi.json (no token needed)."""
    return build_document()
