"""The address of the client behind the proxies we trust, for the anonymous rate limit.

Behind nginx or the geOrchestra gateway every request comes from the proxy's address, so
keying the rate limit on the connecting address puts every user in one bucket. Proxies
say who they forwarded for in `Forwarded` (RFC 7239: `for=...`) or `X-Forwarded-For`; each
proxy appends the address it received the request from. Anyone can send those headers, so
they are read only when the connection comes from one of `auth.trusted_proxies`, and only
from the right: the nearest address that is not itself a trusted proxy is the client
(what a client wrote further left is not believed). A hop that is not an IP address
(`unknown`, an obfuscated `_name`) is kept as is: still one bucket per such client.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence

__all__ = ["client_address", "is_trusted"]


# How a header is read: `request.headers.get`, or a dict's `get` in tests.
HeaderLookup = Callable[[str], str | None]


_FOR = re.compile(r'(?:^|;)\s*for\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*)', re.IGNORECASE)


def is_trusted(address: str | None, proxies: Sequence[str]) -> bool:
    """Whether `address` is in one of the `proxies` addresses or CIDR networks."""
    if not address or not proxies:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(p, strict=False) for p in proxies)


def _node(value: str) -> str:
    """An address out of a Forwarded node: '"[2001:db8::1]:4711"' -> '2001:db8::1',
    '192.0.2.60:80' -> '192.0.2.60'; anything else as written."""
    value = value.strip().strip('"').strip()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:  # IPv4 with a port (IPv6 without brackets has several)
        return value.split(":", 1)[0]
    return value


def _forwarded_chain(header: HeaderLookup) -> list[str]:
    forwarded = header("Forwarded")
    if forwarded:
        chain = []
        for element in forwarded.split(","):
            match = _FOR.search(element.strip())
            if match:
                chain.append(_node(match.group(1)))
        return chain
    listed = header("X-Forwarded-For") or ""
    return [_node(part) for part in listed.split(",") if part.strip()]


def client_address(remote: str | None, header: HeaderLookup, trusted_proxies: Sequence[str]) -> str:
    """The client's address: the connecting one, unless it is a trusted proxy; then the
    nearest untrusted hop its forwarding header names (the leftmost when all are trusted)."""
    if not is_trusted(remote, trusted_proxies):
        return remote or "unknown"
    chain = _forwarded_chain(header)
    for hop in reversed(chain):
        if hop and not is_trusted(hop, trusted_proxies):
            return hop
    return chain[0] if chain and chain[0] else (remote or "unknown")
