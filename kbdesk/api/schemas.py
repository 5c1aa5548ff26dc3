"""Schema building blocks and the component schemas every API module adds to.

Kept apart from the route registry so route modules can import it without a cycle.
"""

from __future__ import annotations

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
