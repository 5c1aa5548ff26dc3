"""The HTTP(S) probe: status, keyword, redirects — each hop resolved and vetted again."""

from __future__ import annotations

import http.client
import socket
from datetime import datetime
from urllib.parse import urljoin

from kbdesk.monitor.probes import (
    Deadline,
    Failure,
    ProbeSpec,
    check_expiry,
    connect,
    resolve,
    tls_wrap,
)
from kbdesk.monitor.targets import BadTarget, Target, parse_url, status_expected

REDIRECTS = (301, 302, 303, 307, 308)
BODY_LIMIT = 1024 * 1024
USER_AGENT = "kbdesk-monitor/1.0"


def _open(spec: ProbeSpec, t: Target, deadline: Deadline, now: datetime) -> socket.socket:
    sock = connect(resolve(spec, t.host, t.port, deadline), t.port, deadline)
    if t.scheme == "https":
        sock = tls_wrap(sock, t.host, spec.verify_tls, deadline)
        if spec.tls_warn_days:
            check_expiry(sock, spec.tls_warn_days, now)
    return sock


def _exchange(sock: socket.socket, t: Target, method: str, deadline: Deadline,
              want_body: bool) -> tuple[int, str | None, bytes, str]:
    """Send one request on a connected socket: (status, location, body, charset)."""
    conn = http.client.HTTPConnection(t.host, t.port)
    conn.sock = sock  # already connected to a vetted address: no lookup of the name here
    try:
        sock.settimeout(deadline.remaining("timeout"))
        conn.request(method, t.path, headers={
            "Host": t.netloc, "User-Agent": USER_AGENT, "Accept": "*/*",
            "Accept-Encoding": "identity", "Connection": "close"})
        resp = conn.getresponse()
        body = b""
        if want_body and method != "HEAD":
            while len(body) < BODY_LIMIT:
                sock.settimeout(deadline.remaining("timeout"))
                chunk = resp.read(min(65536, BODY_LIMIT - len(body)))
                if not chunk:
                    break
                body += chunk
        charset = resp.headers.get_content_charset() or "utf-8"
        return resp.status, resp.getheader("Location"), body, charset
    except TimeoutError:
        raise Failure("timeout", f"no complete answer within {deadline.timeout_ms} ms") from None
    except (http.client.HTTPException, OSError) as exc:
        raise Failure("http_status", f"bad answer: {exc.__class__.__name__} {exc}") from None
    finally:
        conn.close()


def _keyword(spec: ProbeSpec, body: bytes, charset: str, status: int) -> None:
    try:
        text = body.decode(charset, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    found = spec.keyword in text
    if found and spec.keyword_absent:
        raise Failure("keyword", f"'{spec.keyword}' is on the page", status)
    if not found and not spec.keyword_absent:
        raise Failure("keyword", f"'{spec.keyword}' is missing from the page", status)


def probe_http(spec: ProbeSpec, deadline: Deadline, now: datetime) -> tuple[int, str]:
    """Request the URL, follow redirects up to the limit, check status and keyword."""
    url, method, hops = spec.target, spec.method, 0
    while True:
        try:
            t = parse_url(url)
        except BadTarget as exc:
            raise Failure("http_status", f"redirect to {url[:120]}: {exc}") from None
        sock = _open(spec, t, deadline, now)
        status, location, body, charset = _exchange(
            sock, t, method, deadline, want_body=bool(spec.keyword))
        if status in REDIRECTS and location and spec.max_redirects > 0:
            hops += 1
            if hops > spec.max_redirects:
                raise Failure("http_status", f"more than {spec.max_redirects} redirects", status)
            url = urljoin(url, location)
            if status == 303 or (status in (301, 302) and method == "POST"):
                method = "GET"
            continue
        if not status_expected(status, spec.expected_status):
            raise Failure("http_status", f"HTTP {status} from {t.netloc}{t.path[:80]}", status)
        if spec.keyword:
            _keyword(spec, body, charset, status)
        return status, f"HTTP {status}" + (f" after {hops} redirects" if hops else "")
