"""Small input checks shared by services; they collect field errors, then raise once."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from kbdesk.errors import ValidationError

EMAIL_RE = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def slugify(text: str) -> str:
    """ASCII slug from any text: `Městská nemocnice` -> `mestska-nemocnice`."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:80]


class Checker:
    """Reads fields from a mapping and remembers what was wrong with them."""

    def __init__(self, data: dict[str, Any] | None):
        self.data = data if isinstance(data, dict) else {}
        self.errors: dict[str, str] = {}
        if data is not None and not isinstance(data, dict):
            self.errors["_"] = "Expected an object."

    def has(self, key: str) -> bool:
        return key in self.data

    def text(self, key: str, *, required: bool = False, max_len: int = 200, default: str = "") -> str:
        """A stripped string; required means present and not blank."""
        value = self.data.get(key, default)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.errors[key] = "Must be a string."
            return default
        value = value.strip()
        if required and not value:
            self.errors[key] = "This field is required."
        elif len(value) > max_len:
            self.errors[key] = f"At most {max_len} characters."
        return value

    def choice(self, key: str, choices: tuple[str, ...], *, default: str | None = None) -> str:
        """One of the given values."""
        value = self.data.get(key, default)
        if value not in choices:
            self.errors[key] = "Must be one of: " + ", ".join(choices) + "."
            return default or choices[0]
        return value

    def boolean(self, key: str, *, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if isinstance(value, str) and value.lower() in ("1", "true", "on", "yes", "y"):
            return True
        if isinstance(value, str) and value.lower() in ("0", "false", "off", "no", "n", ""):
            return False
        if not isinstance(value, bool):
            self.errors[key] = "Must be true or false."
            return default
        return value

    def email(self, key: str, *, required: bool = False) -> str:
        value = self.text(key, required=required, max_len=254).lower()
        if value and not EMAIL_RE.match(value):
            self.errors[key] = "Not a valid e-mail address."
        return value

    def string_list(self, key: str) -> list[str]:
        """A list of strings, or one comma/space-separated string."""
        value = self.data.get(key, [])
        if isinstance(value, str):
            value = [v for v in re.split(r"[,\s]+", value) if v]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.errors[key] = "Must be a list of strings."
            return []
        return [v.strip() for v in value if v.strip()]

    def error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)

    def done(self) -> None:
        """Raise one ValidationError naming every failing field."""
        if self.errors:
            raise ValidationError(self.errors)
