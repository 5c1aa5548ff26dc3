"""Where a `next` parameter may send the browser: only to a path of this site."""

from __future__ import annotations


def local_path(target: str | None) -> str | None:
    """target when it is a path of this site, else None (never another host)."""
    # "//host" and "/\host" (browsers read a backslash as a slash) name another site.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None
