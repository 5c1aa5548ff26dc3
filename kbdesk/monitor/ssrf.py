"""SSRF guard: monitors reach only public addresses unless an administrator marked them internal.

A target is resolved once; every address it resolves to is vetted; the probe then connects to
a vetted address, never to the name again (a second lookup could be rebound to 127.0.0.1).
Redirects are vetted the same way at every hop.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Prefixes that embed an IPv4 address in an IPv6 one: the embedded address decides.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class Refused(Exception):
    """The target resolves to an address monitors may not reach."""

    def __init__(self, host: str, address: str, reason: str):
        super().__init__(f"{host} resolves to {address} ({reason})")
        self.host = host
        self.address = address
        self.reason = reason


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    # IPv4-compatible (::a.b.c.d, deprecated) still reaches a.b.c.d on some stacks.
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip))
    return None


def blocked_reason(address: str | IPAddress) -> str | None:
    """Why an address is off limits for a monitor that is not internal, or None."""
    try:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and (v4 := _embedded_v4(ip)) is not None:
        reason = blocked_reason(v4)
        return f"embeds {v4}: {reason}" if reason else None
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "site-local"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        # Carrier-grade NAT, documentation, benchmarking and the like: nobody's public service.
        return "not globally routable"
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address a host name resolves to, in the resolver's order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        if sockaddr[0] not in seen:
            seen.append(sockaddr[0])
    return seen


def is_ip_literal(host: str) -> bool:
    """An address written out, not a name to resolve."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def vet(host: str, addresses: Iterable[str], *, internal: bool,
        allowed: Iterable[str] = ()) -> list[str]:
    """The addresses a monitor may connect to; Refused if any of them is off limits.

    Any bad address refuses the whole name: which one a connection would use is not ours
    to choose once a resolver hands back a mix.
    """
    addresses = list(addresses)
    if internal:
        return addresses
    nets = [ipaddress.ip_network(n, strict=False) for n in allowed]
    for address in addresses:
        reason = blocked_reason(address)
        if reason and not any(ipaddress.ip_address(address.split("%", 1)[0]) in n for n in nets):
            raise Refused(host, address, reason)
    return addresses


def resolve_and_vet(host: str, port: int, *, internal: bool, allowed: Iterable[str] = (),
                    resolver=None) -> list[str]:
    """Resolve once and vet; socket.gaierror propagates for the caller to call it DNS."""
    host = host.strip("[]")
    addresses = [host] if is_ip_literal(host) else (resolver or resolve)(host, port)
    return vet(host, addresses, internal=internal, allowed=allowed)
