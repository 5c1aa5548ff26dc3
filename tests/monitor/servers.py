"""Real servers on loopback that tests switch into failing: HTTP(S), a closed port, a clock."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

KEYWORD = "kbdesk-alive"


@dataclass
class Behaviour:
    """What the server does now: ok, error (500), slow, nokeyword, redirect."""

    mode: str = "ok"
    delay: float = 0.0
    location: str = ""
    hits: int = 0
    paths: list[str] = field(default_factory=list)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, with_body: bool = True):
        b: Behaviour = self.server.behaviour
        b.hits += 1
        b.paths.append(self.path)
        if b.mode == "slow":
            time.sleep(b.delay)
        status, body, headers = 200, f"<html><body>status: {KEYWORD}</body></html>", {}
        if b.mode == "error":
            status, body = 500, "<html><body>Internal Server Error</body></html>"
        elif b.mode == "nokeyword":
            body = "<html><body>Maintenance page</body></html>"
        elif b.mode == "redirect":
            status, body, headers = 302, "", {"Location": b.location}
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def do_GET(self):  # noqa: N802
        self._answer()

    def do_POST(self):  # noqa: N802
        self._answer()

    def do_HEAD(self):  # noqa: N802
        self._answer(with_body=False)

    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    ssl_context: ssl.SSLContext | None = None

    def finish_request(self, request, client_address):
        # The handshake happens in the request's own thread, so a bare TCP connect or a
        # client that never speaks TLS cannot stall the server.
        if self.ssl_context is not None:
            request.settimeout(5)
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)


class LocalServer:
    """An HTTP(S) server on 127.0.0.1 that can be stopped and started on the same port."""

    def __init__(self, cert: tuple[Path, Path] | None = None):
        self.behaviour = Behaviour()
        self.cert = cert
        self.port = free_port()
        self._server: _Server | None = None
        self.start()

    @property
    def scheme(self) -> str:
        return "https" if self.cert else "http"

    def url(self, path: str = "/health") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        server = _Server(("127.0.0.1", self.port), Handler)
        server.behaviour = self.behaviour
        if self.cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(self.cert[0]), str(self.cert[1]))
            server.ssl_context = ctx
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def use_cert(self, cert: tuple[Path, Path]) -> None:
        """Serve another certificate from now on (e.g. one about to expire)."""
        self.cert = cert
        self.stop()
        self.start()


def free_port() -> int:
    """A port nobody listens on (bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory: Path, days: int, name: str = "cert") -> tuple[Path, Path]:
    """A self-signed certificate for localhost/127.0.0.1 valid for `days` days."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    try:
        _make_with_cryptography(cert, key, days)
    except ImportError:
        if shutil.which("openssl") is None:
            raise RuntimeError("neither the cryptography package nor openssl is available") from None
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key),
                        "-out", str(cert), "-days", str(days), "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True)
    return cert, key


def _make_with_cryptography(cert_path: Path, key_path: Path, days: int) -> None:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .sign(key, hashes.SHA256()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))


class Clock:
    """A fake clock the scheduler and incidents read; tests move it forward."""

    def __init__(self, start: datetime | None = None):
        # An hour before the real time: certificates made for the test expire relative to
        # it, and pages that read the real clock see the ticks as past.
        self.now = start or (datetime.now(UTC).replace(second=0, microsecond=0)
                             - timedelta(hours=1))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now
