"""The client address behind trusted proxies and the rate-limit table shared across
processes (issue 20, item 5)."""

from __future__ import annotations

import multiprocessing

import pytest

from search_api.client_address import client_address
from search_api.rate_limit import RateLimiter

PROXIES = ["10.0.0.0/8", "192.0.2.1"]


@pytest.mark.parametrize(
    ("remote", "headers", "expected"),
    [
        # Not from a trusted proxy: whatever the headers say, the connecting address.
        ("198.51.100.9", {"X-Forwarded-For": "203.0.113.7"}, "198.51.100.9"),
        ("198.51.100.9", {"Forwarded": "for=203.0.113.7"}, "198.51.100.9"),
        # From the gateway: the address it forwarded for.
        ("10.0.0.1", {"X-Forwarded-For": "203.0.113.7"}, "203.0.113.7"),
        ("10.0.0.1", {"X-Forwarded-For": "203.0.113.7, 10.0.0.2"}, "203.0.113.7"),
        # A client writing its own X-Forwarded-For is not believed: the nearest untrusted hop.
        ("10.0.0.1", {"X-Forwarded-For": "1.2.3.4, 203.0.113.7"}, "203.0.113.7"),
        ("192.0.2.1", {"Forwarded": 'for="[2001:db8::17]:4711";proto=https'}, "2001:db8::17"),
        ("10.0.0.1", {"Forwarded": "for=203.0.113.7:8080, for=10.0.0.2"}, "203.0.113.7"),
        ("10.0.0.1", {"Forwarded": "for=unknown"}, "unknown"),
        ("10.0.0.1", {"Forwarded": "proto=https;for=_gateway-hidden"}, "_gateway-hidden"),
        # Forwarded wins over X-Forwarded-For; no header: the proxy itself.
        ("10.0.0.1", {"Forwarded": "for=203.0.113.8", "X-Forwarded-For": "1.2.3.4"}, "203.0.113.8"),
        ("10.0.0.1", {}, "10.0.0.1"),
        ("10.0.0.1", {"X-Forwarded-For": "10.0.0.3, 10.0.0.2"}, "10.0.0.3"),
    ],
)
def test_the_client_behind_trusted_proxies(
    remote: str, headers: dict[str, str], expected: str
) -> None:
    assert client_address(remote, headers.get, PROXIES) == expected


def test_no_trusted_proxy_means_no_header_is_read() -> None:
    headers = {"X-Forwarded-For": "203.0.113.7"}
    assert client_address("10.0.0.1", headers.get, []) == "10.0.0.1"


def _hammer(limiter: RateLimiter, client: str, tries: int, results: object) -> None:
    allowed = sum(1 for _ in range(tries) if limiter.hit(client) is None)
    results.put(allowed)  # type: ignore[attr-defined]


def test_forked_processes_share_one_count() -> None:
    # What gunicorn does: the table is made in the master, the workers are forked from it.
    limiter = RateLimiter(limit=25, window=3600)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [
        context.Process(target=_hammer, args=(limiter, "203.0.113.7", 40, results))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    allowed = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert sum(allowed) == 25  # not 25 per process
    assert limiter.hit("203.0.113.8") is None  # another client has its own window


def test_a_refused_client_gets_the_time_left_and_a_new_window_later() -> None:
    now = [1000.0]
    limiter = RateLimiter(limit=2, window=60, clock=lambda: now[0])
    assert limiter.hit("a") is None and limiter.hit("a") is None
    now[0] += 15
    assert limiter.hit("a") == pytest.approx(45)
    now[0] += 45
    assert limiter.hit("a") is None


def test_a_flood_of_addresses_never_refuses_a_newcomer() -> None:
    # A small table, many more clients than slots: old windows are reused, and a client
    # seen for the first time is always let through.
    limiter = RateLimiter(limit=1, window=3600, slots=64)
    assert all(limiter.hit(f"198.51.100.{n % 250}-{n}") is None for n in range(2000))
