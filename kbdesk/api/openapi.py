"""The OpenAPI 3 document, built from the route registry."""

from __future__ import annotations

import re

from kbdesk.api.blueprint import REGISTRY, route

S, INT, B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NULLABLE_S = {"type": "string", "nullable": True}


def _obj(props: dict, required: list[str] | None = None) -> dict:
    out = {"type": "object", "properties": props}
    if required:
        out["required"] = required
    return out


def _page(ref: str) -> dict:
    return _obj({"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}},
                 "total": INT, "limit": INT, "offset": INT, "next": NULLABLE_S})


SCHEMAS: dict[str, dict] = {
    "Error": _obj({"error": _obj({"code": S, "message": S,
                                  "fields": {"type": "object", "additionalProperties": S}},
                                 ["code", "message"])}, ["error"]),
    "User": _obj({"id": INT, "email": S, "name": S, "role": S, "customer": NULLABLE_S,
                  "locale": S, "active": B}),
    "Customer": _obj({"id": INT, "name": S, "slug": S, "timezone": S, "language": S,
                      "allowed_domains": {"type": "array", "items": S}, "portal_sees_all": B,
                      "active": B, "created_at": S}),
    "CustomerInput": _obj({"name": S, "slug": S, "timezone": S,
                           "language": {"type": "string", "enum": ["cs", "en"]},
                           "allowed_domains": {"type": "array", "items": S},
                           "portal_sees_all": B, "active": B}, ["name"]),
    "Application": _obj({"id": INT, "customer": S, "name": S, "environment": S, "platform": S,
                         "version": S, "url": S, "notes": S}),
    "ApplicationInput": _obj({"name": S, "environment": {"type": "string",
                                                         "enum": ["prod", "test", "dev"]},
                              "platform": S, "version": S, "url": S, "notes": S}, ["name"]),
    "Contact": _obj({"id": INT, "customer": S, "name": S, "email": S, "phone": S, "role": S,
                     "language": S}),
    "ContactInput": _obj({"name": S, "email": S, "phone": S, "role": S, "language": S}, ["name"]),
    "CustomerPage": _page("Customer"),
    "ApplicationPage": _page("Application"),
    "ContactPage": _page("Contact"),
}

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
