"""Server URLs shared by IMAP and SMTP settings: scheme, host, port, credentials, TLS options."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit


def parse_server_url(url: str, schemes: tuple[str, str], ports: tuple[int, int],
                     example: str) -> tuple[dict, dict, str]:
    """(common settings, query options, path) of plain://… or secure://… (schemes, ports)."""
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(example)
    query = parse_qs(parts.query)
    use_ssl = parts.scheme == schemes[1]
    common = {
        "host": parts.hostname, "port": parts.port or ports[use_ssl], "ssl": use_ssl,
        "starttls": query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes"),
        "user": unquote(parts.username or ""), "password": unquote(parts.password or ""),
        "cafile": query.get("cafile", [""])[0],
    }
    return common, query, parts.path
