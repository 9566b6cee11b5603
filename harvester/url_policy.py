"""Which URLs a harvest may reach (config `[harvest]`: allow_files, allowed_hosts,
denied_hosts).

A source URL comes from config, but a server can redirect anywhere, and a catalogue's
`next` links are the server's words: without a rule, a hostile catalogue could make the
harvester read cloud metadata (169.254.169.254), a service on the harvester's own loopback,
or local files. So, by default:

- `file:` URLs are refused unless `harvest.allow_files` is true;
- only `http` and `https` are fetched;
- a host that is, or resolves to, a loopback, link-local, multicast, reserved or unspecified
  address is refused unless `harvest.allowed_hosts` names it (its name, address or network);
- `harvest.denied_hosts` (names, addresses or networks) is refused whatever it resolves to.

Private networks (10/8, 192.168/16...) are allowed: internal SDIs live there. The check runs
on every request, redirects included (an httpx request hook), on the addresses the name
resolves to at that moment (a DNS answer that changes between the check and the connection
is not covered). Every refusal names the setting to change.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from moisson.config import HarvestSettings
from moisson.errors import UnsafeInput

__all__ = ["check_file_source", "check_url"]


_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _matches(host: str, addresses: list[_Address], entries: list[str]) -> bool:
    for entry in entries:
        if entry.lower() == host:
            return True
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if any(address in network for address in addresses):
            return True
    return False


def _addresses(host: str, port: int) -> list[_Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError:
        return []  # the request itself will fail with a clear connection error
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _internal(address: _Address) -> bool:
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_url(settings: HarvestSettings, url: str) -> None:
    """Raise UnsafeInput when the harvest policy forbids fetching `url`."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        check_file_source(settings, url)
        return
    if parts.scheme not in {"http", "https"}:
        raise UnsafeInput(f"refused {url}: only http and https URLs are harvested")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise UnsafeInput(f"refused {url}: no host")
    addresses = _addresses(host, parts.port or (443 if parts.scheme == "https" else 80))
    if _matches(host, addresses, settings.denied_hosts):
        raise UnsafeInput(f"refused {url}: {host} is in harvest.denied_hosts")
    if _matches(host, addresses, settings.allowed_hosts):
        return
    internal = [str(a) for a in addresses if _internal(a)]
    if internal:
        raise UnsafeInput(
            f"refused {url}: {host} is a loopback, link-local or reserved address "
            f"({', '.join(internal)}); add it to harvest.allowed_hosts to harvest it"
        )


def check_file_source(settings: HarvestSettings, url: str) -> None:
    """Raise UnsafeInput for a `file:` URL unless `harvest.allow_files` is set."""
    if not settings.allow_files:
        raise UnsafeInput(
            f"refused {url}: local files are not harvested unless harvest.allow_files = true"
        )
