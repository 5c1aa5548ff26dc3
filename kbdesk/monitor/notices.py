"""Customer-facing texts in the reader's language (cs/en), from templates/monitor/notices/."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

LANGS = ("cs", "en")

LAYER_TEXT = {
    "en": {"dns": "DNS resolution", "tcp_connect": "network connection",
           "tls_handshake": "TLS handshake", "tls_expiry": "TLS certificate expiry",
           "http_status": "HTTP status", "keyword": "expected page content",
           "latency": "slow response", "timeout": "no response in time",
           "blocked": "address refused by the SSRF guard", "": "unknown"},
    "cs": {"dns": "překlad DNS", "tcp_connect": "síťové spojení",
           "tls_handshake": "navázání TLS", "tls_expiry": "platnost certifikátu TLS",
           "http_status": "stav HTTP", "keyword": "očekávaný obsah stránky",
           "latency": "pomalá odpověď", "timeout": "odpověď nepřišla včas",
           "blocked": "adresu odmítla ochrana SSRF", "": "neznámá"},
}
KIND_TEXT = {"en": {"http": "HTTP(S)", "tcp": "TCP connection to", "tls": "TLS certificate of",
                    "dns": "DNS resolution of"},
             "cs": {"http": "HTTP(S)", "tcp": "spojení TCP na", "tls": "certifikát TLS",
                    "dns": "překlad DNS"}}


def lang(code: str | None) -> str:
    """A supported language, Czech by default."""
    return code if code in LANGS else "cs"


def when(dt: datetime | None, tz_name: str | None, language: str) -> str:
    """A moment in the customer's time zone, written the way the reader expects."""
    if dt is None:
        return "—"
    try:
        tz = ZoneInfo(tz_name or "Europe/Prague")
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    local = dt.astimezone(tz)
    text = f"{local.day}. {local.month}. {local.year} {local:%H:%M}" if language == "cs" \
        else f"{local:%Y-%m-%d %H:%M}"
    return f"{text} ({local.tzname()})"


def duration(seconds: int | None, language: str = "en") -> str:
    """1 h 05 min, 3 min, 40 s."""
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h {minutes:02d} min"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min" + (f" {secs} s" if secs and minutes < 10 else "")
    return f"{secs} s"


def render(name: str, language: str, **context) -> tuple[str, str]:
    """(subject, body) of a notice: the template's first line is 'Subject: …'."""
    language = lang(language)
    context.setdefault("layer_text", LAYER_TEXT[language].get(context.get("layer", ""), ""))
    template = current_app.jinja_env.get_template(f"monitor/notices/{name}.{language}.txt")
    text = template.render(**context).strip()
    first, _, body = text.partition("\n")
    return first.removeprefix("Subject:").strip(), body.strip()
