"""The SSRF guard: at creation, at probe time after resolution, and at every redirect hop."""

from __future__ import annotations

import socket

import pytest

from kbdesk.monitor import ssrf
from kbdesk.monitor.probes import ProbeSpec, run_probe
from tests.monitor.servers import LocalServer

PUBLIC = "93.184.216.34"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.1.2.3", "169.254.169.254", "10.0.0.8", "172.16.5.4", "192.168.1.1",
    "0.0.0.0", "100.64.0.1", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1",
    "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
    "64:ff9b::7f00:1", "2002:7f00:1::1", "::127.0.0.1", "fec0::1", "fe80::1%eth0"])
def test_blocked_addresses(address):
    assert ssrf.blocked_reason(address)


@pytest.mark.parametrize("address", [PUBLIC, "1.1.1.1", "2606:4700:4700::1111",
                                     "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert ssrf.blocked_reason(address) is None


def test_any_bad_address_refuses_the_name():
    with pytest.raises(ssrf.Refused) as exc:
        ssrf.vet("mixed.example", [PUBLIC, "10.1.1.1"], internal=False)
    assert exc.value.address == "10.1.1.1"
    assert ssrf.vet("mixed.example", [PUBLIC, "10.1.1.1"], internal=True)
    assert ssrf.vet("vpn.example", ["10.1.1.1"], internal=False, allowed=["10.0.0.0/8"])


@pytest.fixture
def tokens(users, make):
    return {n: make.token(users[n]) for n in ("admin", "specialist", "alice")}


@pytest.fixture
def app_id(users, make):
    return make.Application(customer=users["alfa"], name="Portal", environment="prod").id


@pytest.mark.parametrize("kind,target", [
    ("http", "http://127.0.0.1/"), ("http", "http://169.254.169.254/latest/meta-data/"),
    ("http", "http://[::1]:8080/"), ("http", "http://localhost:8080/"),
    ("http", "http://[::ffff:127.0.0.1]/"), ("tcp", "10.0.0.5:5432"),
    ("tls", "192.168.0.10"), ("dns", "localhost")])
def test_creation_refuses_private_targets_unless_internal(client, tokens, app_id, kind, target):
    body = {"application": app_id, "kind": kind, "target": target}
    resp = client.post("/api/v1/monitors", headers=bearer(tokens["admin"]), json=body)
    assert resp.status_code == 422, resp.get_json()
    assert "internal" in resp.get_json()["error"]["fields"]["target"]
    resp = client.post("/api/v1/monitors", headers=bearer(tokens["admin"]),
                       json={**body, "internal": True})
    assert resp.status_code == 201, resp.get_json()


def test_only_admins_mark_monitors_internal(client, tokens, app_id):
    body = {"application": app_id, "kind": "http", "target": "http://127.0.0.1/",
            "internal": True}
    assert client.post("/api/v1/monitors", headers=bearer(tokens["specialist"]),
                       json=body).status_code == 403
    made = client.post("/api/v1/monitors", headers=bearer(tokens["admin"]), json=body).get_json()
    # A specialist may not re-aim an internal monitor, nor set the flag.
    resp = client.patch(f"/api/v1/monitors/{made['id']}", headers=bearer(tokens["specialist"]),
                        json={"target": "http://169.254.169.254/"})
    assert resp.status_code == 403
    resp = client.patch(f"/api/v1/monitors/{made['id']}", headers=bearer(tokens["specialist"]),
                        json={"interval_s": 120})
    assert resp.status_code == 200 and resp.get_json()["interval_s"] == 120
    # Un-marking it makes the guard look again.
    resp = client.patch(f"/api/v1/monitors/{made['id']}", headers=bearer(tokens["admin"]),
                        json={"internal": False})
    assert resp.status_code == 422


def test_hostname_resolving_to_loopback_at_probe_time_is_blocked(monkeypatch, server):
    # DNS rebinding: public when the monitor was made, loopback when probed.
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: ["127.0.0.1"])
    out = run_probe(ProbeSpec(1, "http", f"http://rebind.example:{server.port}/"))
    assert (out.ok, out.layer) == (False, "blocked") and "loopback" in out.detail
    assert server.behaviour.hits == 0  # never connected


def test_probe_connects_to_the_vetted_address_without_a_second_lookup(monkeypatch, server):
    lookups = []
    real = socket.getaddrinfo

    def counting(host, *args, **kwargs):
        if not ssrf.is_ip_literal(str(host)):
            lookups.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    out = run_probe(ProbeSpec(1, "http", f"http://localhost:{server.port}/", internal=True))
    assert out.ok and lookups == ["localhost"]


def test_redirect_to_private_address_is_refused(app, server):
    # The first hop is allowed (as a public address would be); the redirect is not.
    server.behaviour.mode = "redirect"
    allowed = ("127.0.0.1/32",)
    for location in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/",
                     "http://[::1]/", "http://127.0.0.2:1/"):
        server.behaviour.location = location
        out = run_probe(ProbeSpec(1, "http", server.url(), allowed=allowed))
        assert (out.ok, out.layer) == (False, "blocked"), (location, out)
    inner = LocalServer()
    try:
        server.behaviour.location = inner.url()
        assert run_probe(ProbeSpec(1, "http", server.url(), allowed=allowed)).ok
        assert inner.behaviour.hits == 1
    finally:
        inner.stop()


def test_redirect_to_other_scheme_is_refused(server):
    server.behaviour.mode, server.behaviour.location = "redirect", "file:///etc/passwd"
    out = run_probe(ProbeSpec(1, "http", server.url(), internal=True))
    assert out.layer == "http_status" and not out.ok


def test_tcp_and_tls_probes_are_guarded_too(server):
    for kind, target in (("tcp", f"127.0.0.1:{server.port}"), ("tls", "169.254.169.254"),
                         ("dns", "localhost")):
        out = run_probe(ProbeSpec(1, kind, target, timeout_ms=500))
        assert out.layer == "blocked", (kind, out)
