"""Probes: plain network checks with no database, run concurrently with a bound.

Each probe stops at the first layer that fails (dns, tcp_connect, tls_handshake, tls_expiry,
http_status, keyword, latency, timeout, blocked) — the first hint at a cause outside the
application.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta

from kbdesk.db_types import utcnow
from kbdesk.monitor import ssrf, tlsinfo
from kbdesk.monitor.targets import BadTarget, parse_target

log = logging.getLogger("kbdesk.monitor.probes")
X509_V_ERR_CERT_HAS_EXPIRED = 10


@dataclass(frozen=True)
class ProbeSpec:
    """Everything a probe needs, detached from the database session."""

    monitor_id: int
    kind: str
    target: str
    method: str = "GET"
    expected_status: str = "200-399"
    keyword: str = ""
    keyword_absent: bool = False
    timeout_ms: int = 10_000
    latency_threshold_ms: int | None = None
    max_redirects: int = 5
    verify_tls: bool = True
    tls_warn_days: int = 14
    internal: bool = False
    allowed: tuple[str, ...] = ()

    @classmethod
    def from_monitor(cls, m, allowed: tuple[str, ...] = ()) -> ProbeSpec:
        """The spec of a Monitor row."""
        return cls(m.id, m.kind, m.target, m.method, m.expected_status, m.keyword,
                   m.keyword_absent, m.timeout_ms, m.latency_threshold_ms, m.max_redirects,
                   m.verify_tls, m.tls_warn_days, m.internal, tuple(allowed))


@dataclass
class Outcome:
    """What one probe found."""

    ok: bool
    latency_ms: int | None = None
    layer: str = ""
    detail: str = ""
    status_code: int | None = None
    started_at: datetime | None = None


class Failure(Exception):
    """The probe stopped at a layer."""

    def __init__(self, layer: str, detail: str, status_code: int | None = None):
        super().__init__(f"{layer}: {detail}")
        self.layer = layer
        self.detail = detail[:300]
        self.status_code = status_code


class Deadline:
    """One time budget for the whole probe, redirects included."""

    def __init__(self, timeout_ms: int):
        self.timeout_ms = timeout_ms
        self.end = time.monotonic() + timeout_ms / 1000

    def remaining(self, layer: str) -> float:
        """Seconds left; Failure at the given layer when none are."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise Failure(layer, f"timed out after {self.timeout_ms} ms")
        return left


_resolver_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="kbdesk-dns")


def resolve(spec: ProbeSpec, host: str, port: int, deadline: Deadline) -> list[str]:
    """Resolve once and vet every address (SSRF guard); Failure at dns or blocked."""
    try:
        if ssrf.is_ip_literal(host):
            return ssrf.resolve_and_vet(host, port, internal=spec.internal, allowed=spec.allowed)
        # getaddrinfo has no timeout of its own: wait for it within the probe's budget.
        future = _resolver_pool.submit(ssrf.resolve_and_vet, host, port,
                                       internal=spec.internal, allowed=spec.allowed)
        return future.result(timeout=deadline.remaining("dns"))
    except FuturesTimeout:
        raise Failure("dns", f"no answer for {host} within {deadline.timeout_ms} ms") from None
    except ssrf.Refused as exc:
        raise Failure("blocked", f"refused: {exc}") from None
    except (socket.gaierror, UnicodeError) as exc:
        raise Failure("dns", f"{host}: {getattr(exc, 'strerror', None) or exc}") from None


def connect(addresses: list[str], port: int, deadline: Deadline) -> socket.socket:
    """A TCP connection to the first vetted address that answers (never a second lookup)."""
    last: Exception | None = None
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(deadline.remaining("tcp_connect"))
            sock.connect((address, port))
            return sock
        except Failure:
            sock.close()
            raise
        except TimeoutError:
            sock.close()
            last = TimeoutError(f"{address}:{port} timed out")
        except OSError as exc:
            sock.close()
            last = OSError(f"{address}:{port} {exc.strerror or exc}")
    raise Failure("tcp_connect", str(last) if last else "no address")


_contexts: dict[bool, ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def _context(verify: bool) -> ssl.SSLContext:
    with _contexts_lock:
        if verify not in _contexts:
            ctx = ssl.create_default_context()
            if not verify:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            _contexts[verify] = ctx
        return _contexts[verify]


def tls_wrap(sock: socket.socket, host: str, verify: bool, deadline: Deadline) -> ssl.SSLSocket:
    """The TLS handshake, with the name checked against the certificate when verifying."""
    try:
        sock.settimeout(deadline.remaining("tls_handshake"))
        return _context(verify).wrap_socket(sock, server_hostname=host)
    except ssl.SSLCertVerificationError as exc:
        sock.close()
        if exc.verify_code == X509_V_ERR_CERT_HAS_EXPIRED:
            raise Failure("tls_expiry", "certificate has expired") from None
        raise Failure("tls_handshake", exc.verify_message or str(exc)) from None
    except TimeoutError:
        sock.close()
        raise Failure("tls_handshake", "handshake timed out") from None
    except (ssl.SSLError, OSError) as exc:
        sock.close()
        raise Failure("tls_handshake", getattr(exc, "reason", None) or str(exc)) from None


def check_expiry(ssock: ssl.SSLSocket, warn_days: int, now: datetime) -> datetime:
    """When the peer's certificate expires; Failure(tls_expiry) if expired or due soon."""
    der = ssock.getpeercert(binary_form=True)
    try:
        expires = tlsinfo.not_after(der or b"")
    except (tlsinfo.BadCertificate, ValueError):
        raise Failure("tls_handshake", "unreadable certificate") from None
    left = expires - now
    if left <= timedelta(0):
        raise Failure("tls_expiry", f"certificate expired on {expires:%Y-%m-%d %H:%M} UTC")
    if warn_days and left < timedelta(days=warn_days):
        raise Failure("tls_expiry", f"certificate expires on {expires:%Y-%m-%d %H:%M} UTC "
                                    f"(in {left.days} days)")
    return expires


def probe_tcp(spec: ProbeSpec, deadline: Deadline, now: datetime) -> str:
    """Connect and close."""
    t = parse_target("tcp", spec.target)
    connect(resolve(spec, t.host, t.port, deadline), t.port, deadline).close()
    return f"connected to {t.netloc}"


def probe_tls(spec: ProbeSpec, deadline: Deadline, now: datetime) -> str:
    """Handshake and read the certificate's expiry."""
    t = parse_target("tls", spec.target)
    sock = connect(resolve(spec, t.host, t.port, deadline), t.port, deadline)
    ssock = tls_wrap(sock, t.host, spec.verify_tls, deadline)
    try:
        expires = check_expiry(ssock, spec.tls_warn_days, now)
    finally:
        ssock.close()
    return f"certificate valid until {expires:%Y-%m-%d} ({(expires - now).days} days)"


def probe_dns(spec: ProbeSpec, deadline: Deadline, now: datetime) -> str:
    """Resolve; with a keyword, that address must be among the answers."""
    t = parse_target("dns", spec.target)
    addresses = resolve(spec, t.host, 0, deadline)
    if spec.keyword and spec.keyword not in addresses:
        raise Failure("dns", f"{spec.keyword} not among {', '.join(addresses)}")
    return ", ".join(addresses)[:300]


def _kinds():
    from kbdesk.monitor.httpprobe import probe_http

    return {"http": probe_http, "tcp": probe_tcp, "tls": probe_tls, "dns": probe_dns}


def run_probe(spec: ProbeSpec, now: datetime | None = None) -> Outcome:
    """Probe once; never raises for the target's faults."""
    started = utcnow()
    now = now or started
    t0 = time.perf_counter()
    deadline = Deadline(spec.timeout_ms)
    status_code = None
    try:
        result = _kinds()[spec.kind](spec, deadline, now)
        if isinstance(result, tuple):
            status_code, detail = result
        else:
            detail = result
    except Failure as exc:
        latency = round((time.perf_counter() - t0) * 1000)
        return Outcome(False, latency, exc.layer, exc.detail, exc.status_code, started)
    except BadTarget as exc:
        return Outcome(False, None, "dns", f"bad target: {exc}", None, started)
    latency = round((time.perf_counter() - t0) * 1000)
    if spec.latency_threshold_ms and latency > spec.latency_threshold_ms:
        return Outcome(False, latency, "latency",
                       f"answered in {latency} ms, over {spec.latency_threshold_ms} ms",
                       status_code, started)
    return Outcome(True, latency, "", detail[:300], status_code, started)


class ProbePool:
    """A process-wide bound on how many probes run at once."""

    def __init__(self, size: int):
        self.size = size
        self.executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="kbdesk-probe")


_pool: ProbePool | None = None
_pool_lock = threading.Lock()


def pool(size: int) -> ProbePool:
    """The shared probe pool (resized when the setting changes)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.size != size:
            _pool = ProbePool(size)
        return _pool


def _safe_probe(spec: ProbeSpec, now: datetime | None) -> Outcome | None:
    try:
        return run_probe(spec, now)
    except Exception:  # a bug in a probe must not look like the customer's outage
        log.exception("probe of monitor %s crashed", spec.monitor_id)
        return None


def probe_many(specs: list[ProbeSpec], *, concurrency: int = 32,
               now: datetime | None = None) -> list[Outcome | None]:
    """Run probes concurrently, at most `concurrency` at a time in this process."""
    if not specs:
        return []
    executor = pool(concurrency).executor
    futures = [executor.submit(_safe_probe, spec, now) for spec in specs]
    return [f.result() for f in futures]
