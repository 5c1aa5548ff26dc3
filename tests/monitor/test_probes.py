"""Probes against real loopback servers: each failure stops at the right layer."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from kbdesk.db_types import utcnow
from kbdesk.monitor import ssrf
from kbdesk.monitor.probes import ProbeSpec, probe_many, run_probe
from tests.monitor.servers import LocalServer, free_port


def spec(target: str, kind: str = "http", **kw) -> ProbeSpec:
    return ProbeSpec(monitor_id=1, kind=kind, target=target, internal=True,
                     **{"timeout_ms": 2000, **kw})


def test_http_up_with_keyword(server):
    out = run_probe(spec(server.url(), keyword="kbdesk-alive"))
    assert out.ok and out.status_code == 200 and out.latency_ms is not None
    assert server.behaviour.hits == 1


def test_http_500_fails_at_status(server):
    server.behaviour.mode = "error"
    out = run_probe(spec(server.url()))
    assert not out.ok and out.layer == "http_status" and out.status_code == 500
    assert run_probe(spec(server.url(), expected_status="500")).ok


def test_http_missing_keyword(server):
    server.behaviour.mode = "nokeyword"
    out = run_probe(spec(server.url(), keyword="kbdesk-alive"))
    assert (out.ok, out.layer) == (False, "keyword")
    assert run_probe(spec(server.url(), keyword="Maintenance", keyword_absent=True)).layer == \
        "keyword"
    assert run_probe(spec(server.url(), keyword="kbdesk-alive", keyword_absent=True)).ok


def test_http_timeout(server):
    server.behaviour.mode, server.behaviour.delay = "slow", 1.5
    out = run_probe(spec(server.url(), timeout_ms=300))
    assert (out.ok, out.layer) == (False, "timeout")
    assert out.latency_ms < 1200


def test_latency_threshold(server):
    server.behaviour.mode, server.behaviour.delay = "slow", 0.2
    out = run_probe(spec(server.url(), latency_threshold_ms=50))
    assert (out.ok, out.layer) == (False, "latency") and out.latency_ms >= 200


def test_head_and_post_methods(server):
    assert run_probe(spec(server.url(), method="HEAD")).ok
    assert run_probe(spec(server.url(), method="POST")).ok


def test_redirects_followed_up_to_the_limit(server):
    target = LocalServer()
    try:
        server.behaviour.mode, server.behaviour.location = "redirect", target.url("/landing")
        out = run_probe(spec(server.url(), keyword="kbdesk-alive"))
        assert out.ok and "1 redirects" in out.detail and target.behaviour.paths == ["/landing"]
        out = run_probe(spec(server.url(), max_redirects=0))
        assert out.ok and out.status_code == 302  # 3xx is within the default 200-399
        out = run_probe(spec(server.url(), max_redirects=0, expected_status="200"))
        assert out.layer == "http_status"
        server.behaviour.location = server.url("/again")  # a loop
        out = run_probe(spec(server.url(), max_redirects=3))
        assert out.layer == "http_status" and "more than 3 redirects" in out.detail
    finally:
        target.stop()


def test_closed_port_fails_at_tcp_connect():
    port = free_port()
    assert run_probe(spec(f"http://127.0.0.1:{port}/")).layer == "tcp_connect"
    out = run_probe(spec(f"127.0.0.1:{port}", kind="tcp"))
    assert (out.ok, out.layer) == (False, "tcp_connect")


def test_tcp_connect(server):
    assert run_probe(spec(f"127.0.0.1:{server.port}", kind="tcp")).ok


def test_https_self_signed(tls_server):
    assert run_probe(spec(tls_server.url(), verify_tls=False, keyword="kbdesk-alive")).ok
    out = run_probe(spec(tls_server.url(), verify_tls=True))
    assert (out.ok, out.layer) == (False, "tls_handshake")


def test_tls_expiry_warning(tls_server, certs):
    target = f"127.0.0.1:{tls_server.port}"
    out = run_probe(spec(target, kind="tls", verify_tls=False, tls_warn_days=14))
    assert out.ok and "valid until" in out.detail
    tls_server.use_cert(certs["soon"])  # expires in 3 days
    out = run_probe(spec(target, kind="tls", verify_tls=False, tls_warn_days=14))
    assert (out.ok, out.layer) == (False, "tls_expiry") and "in 2 days" in out.detail
    assert run_probe(spec(target, kind="tls", verify_tls=False, tls_warn_days=2)).ok
    later = run_probe(spec(target, kind="tls", verify_tls=False, tls_warn_days=0),
                      now=utcnow() + timedelta(days=4))
    assert later.layer == "tls_expiry" and "expired" in later.detail
    # An HTTPS monitor may warn too.
    out = run_probe(spec(tls_server.url(), verify_tls=False, tls_warn_days=7))
    assert out.layer == "tls_expiry"


def test_tls_against_plain_http_fails_handshake(server):
    out = run_probe(spec(f"127.0.0.1:{server.port}", kind="tls", verify_tls=False))
    assert (out.ok, out.layer) == (False, "tls_handshake")


def test_dns(monkeypatch):
    assert run_probe(spec("localhost", kind="dns")).ok

    def no_such_host(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(ssrf, "resolve", no_such_host)
    out = run_probe(spec("nowhere.example", kind="dns"))
    assert (out.ok, out.layer) == (False, "dns") and "not known" in out.detail
    out = run_probe(spec("http://nowhere.example/"))
    assert out.layer == "dns"


def test_dns_expected_address(monkeypatch):
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["93.184.216.34"])
    assert run_probe(spec("www.example", kind="dns", keyword="93.184.216.34")).ok
    out = run_probe(spec("www.example", kind="dns", keyword="93.184.216.35"))
    assert out.layer == "dns" and "not among" in out.detail


def test_dns_that_hangs_times_out(monkeypatch):
    import time

    monkeypatch.setattr(ssrf, "resolve", lambda host, port: time.sleep(1) or ["93.184.216.34"])
    out = run_probe(spec("slow.example", kind="dns", timeout_ms=200))
    assert (out.ok, out.layer) == (False, "dns") and out.latency_ms < 900


def test_probes_run_concurrently_with_a_bound(server):
    server.behaviour.mode, server.behaviour.delay = "slow", 0.3
    import time

    t0 = time.perf_counter()
    outcomes = probe_many([spec(server.url()) for _ in range(8)], concurrency=4)
    elapsed = time.perf_counter() - t0
    assert all(o.ok for o in outcomes)
    assert 0.55 < elapsed < 1.5  # two rounds of four, not eight in a row nor all at once


@pytest.mark.parametrize("target", ["http://[::1]:1/", "[::1]:1"])
def test_ipv6_literal_targets_parse(target):
    kind = "http" if target.startswith("http") else "tcp"
    out = run_probe(spec(target, kind=kind, timeout_ms=500))
    assert out.layer in ("tcp_connect",)
