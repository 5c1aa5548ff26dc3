"""Parsing what a monitor aims at: URLs, host:port pairs, host names, expected status codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from kbdesk.monitor.ssrf import is_ip_literal

HOST_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*"
                     r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?$")
STATUS_RE = re.compile(r"^\s*(\d{3})\s*(?:-\s*(\d{3}))?\s*$")


class BadTarget(ValueError):
    """The text is not a target of this kind."""


@dataclass(frozen=True)
class Target:
    """Where a probe goes: scheme (http/https/tcp/tls/dns), host, port and HTTP path."""

    scheme: str
    host: str
    port: int
    path: str = "/"

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = {"http": 80, "https": 443}.get(self.scheme)
        return host if self.port == default else f"{host}:{self.port}"


def _host(host: str) -> str:
    host = (host or "").strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if is_ip_literal(host):
        return host
    if not HOST_RE.match(host):
        raise BadTarget("Not a valid host name.")
    return host.lower().rstrip(".")


def _port(raw, default: int | None) -> int:
    if raw in (None, ""):
        if default is None:
            raise BadTarget("Give the port (host:port).")
        return default
    try:
        port = int(raw)
    except (TypeError, ValueError):
        raise BadTarget("The port must be a number.") from None
    if not 1 <= port <= 65535:
        raise BadTarget("The port must be between 1 and 65535.")
    return port


def parse_url(url: str) -> Target:
    """An http(s) URL without credentials."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise BadTarget("Not a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise BadTarget("The URL must start with http:// or https://.")
    if parts.username or parts.password:
        raise BadTarget("Credentials in the URL are not supported.")
    if not parts.hostname:
        raise BadTarget("The URL has no host.")
    host = _host(parts.hostname)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, _port(port, 443 if parts.scheme == "https" else 80), path)


def parse_host_port(text: str, *, default_port: int | None, scheme: str) -> Target:
    """host:port, [v6]:port, or a bare host where a default port exists."""
    text = (text or "").strip()
    if "://" in text:
        raise BadTarget("Give host:port, not a URL.")
    m = re.match(r"^\[([^\]]+)\](?::(\d+))?$", text)
    if m:
        host, port = m.group(1), m.group(2)
    elif text.count(":") == 1:
        host, port = text.split(":")
    elif text.count(":") > 1:  # a bare IPv6 address
        host, port = text, None
    else:
        host, port = text, None
    return Target(scheme, _host(host), _port(port, default_port))


def parse_target(kind: str, text: str) -> Target:
    """A monitor's target for its kind; BadTarget says what is wrong."""
    if kind == "http":
        return parse_url(text)
    if kind == "tcp":
        return parse_host_port(text, default_port=None, scheme="tcp")
    if kind == "tls":
        return parse_host_port(text, default_port=443, scheme="tls")
    if kind == "dns":
        if ":" in (text or "").strip("[]") or "/" in (text or ""):
            raise BadTarget("Give a host name.")
        host = _host(text)
        if is_ip_literal(host):
            raise BadTarget("Give a host name, not an address.")
        return Target("dns", host, 0)
    raise BadTarget("Unknown kind.")


def parse_statuses(spec: str) -> list[tuple[int, int]]:
    """'200-299, 301' as ranges; BadTarget when malformed."""
    ranges = []
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        m = STATUS_RE.match(part)
        if not m:
            raise BadTarget("Use codes and ranges such as 200-299, 301.")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if not 100 <= lo <= hi <= 599:
            raise BadTarget("Status codes run from 100 to 599.")
        ranges.append((lo, hi))
    if not ranges:
        raise BadTarget("Give at least one status code.")
    return ranges


def status_expected(code: int, spec: str) -> bool:
    """Whether a status code is among the expected ones."""
    return any(lo <= code <= hi for lo, hi in parse_statuses(spec))
