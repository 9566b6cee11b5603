"""The shared HTTP policy against a real HTTP server on 127.0.0.1 that misbehaves on cue.

Delays are measured from the server's side (monotonic arrival times of the requests), so
the tests assert what the client waited, never how fast anything ran.
"""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Iterator

import pytest

from harvester.http import HttpClient, Validators
from moisson.config import HarvestSettings, SourceAuth, SourceSettings
from moisson.errors import ConfigError, SourceUnavailable, UnsafeInput
from testkit.http_replay import ReplayServer, Reply, Request

FAST = {
    "backoff_base": 0.01,
    "backoff_max": 0.05,
    "rate_limit": 0,
    "allowed_hosts": ["127.0.0.1"],
}


class Script:
    """Replies served in order; the last one repeats."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)

    def __call__(self, request: Request) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


@pytest.fixture
def client() -> Iterator[HttpClient]:
    with HttpClient(HarvestSettings(retries=3, **FAST)) as http:
        yield http


def gaps(server: ReplayServer) -> list[float]:
    times = [r.at for r in server.requests]
    return [b - a for a, b in itertools.pairwise(times)]


def test_5xx_then_success_is_retried(client: HttpClient) -> None:
    script = Script(Reply(b"", status=500), Reply(b"", status=503), Reply(b"<ok/>"))
    with ReplayServer(script) as server:
        response = client.request("GET", server.url)
    assert (response.body, response.attempts, len(server.requests)) == (b"<ok/>", 3, 3)


def test_retries_run_out_with_a_clear_error(client: HttpClient) -> None:
    with (
        ReplayServer(Script(Reply(b"", status=502))) as server,
        pytest.raises(SourceUnavailable, match=r"HTTP 502.*gave up after 4 attempts"),
    ):
        client.request("GET", server.url)
    assert len(server.requests) == 4  # 1 + retries


def test_a_4xx_is_not_retried(client: HttpClient) -> None:
    with (
        ReplayServer(Script(Reply(b"nope", status=404))) as server,
        pytest.raises(SourceUnavailable, match="HTTP 404"),
    ):
        client.request("GET", server.url)
    assert len(server.requests) == 1


def test_429_waits_as_long_as_retry_after_says(client: HttpClient) -> None:
    script = Script(Reply(b"", status=429, headers={"Retry-After": "1"}), Reply(b"<ok/>"))
    with ReplayServer(script) as server:
        response = client.request("GET", server.url)
    assert response.attempts == 2
    [gap] = gaps(server)
    assert gap >= 0.95  # backoff alone would have waited at most 0.01 s


def test_a_retry_after_beyond_the_maximum_fails_at_once() -> None:
    settings = HarvestSettings(retries=3, retry_after_max=5, **FAST)
    script = Script(Reply(b"", status=503, headers={"Retry-After": "3600"}))
    with (
        HttpClient(settings) as http,
        ReplayServer(script) as server,
        pytest.raises(SourceUnavailable, match="asks to wait 3600s"),
    ):
        http.request("GET", server.url)
    assert len(server.requests) == 1


def test_backoff_grows_between_retries() -> None:
    settings = HarvestSettings(
        retries=3, backoff_base=0.2, backoff_max=10, rate_limit=0, allowed_hosts=["127.0.0.1"]
    )

    class NoJitter:
        def uniform(self, low: float, high: float) -> float:
            return high  # the top of each jitter window, to observe the exponential cap

    with (
        HttpClient(settings, rng=NoJitter()) as http,  # type: ignore[arg-type]
        ReplayServer(Script(Reply(b"", status=500))) as server,
        pytest.raises(SourceUnavailable),
    ):
        http.request("GET", server.url)
    waits = gaps(server)
    assert len(waits) == 3
    # Cumulative from the first arrival: 0.2, then 0.2 + 0.4, then 0.2 + 0.4 + 0.8 s at least.
    elapsed = list(itertools.accumulate(waits))
    assert all(t >= e - 0.05 for t, e in zip(elapsed, (0.2, 0.6, 1.4), strict=True))
    assert waits[2] > waits[0]  # it grows


def test_timeouts_are_retried() -> None:
    settings = HarvestSettings(timeout=0.3, retries=2, **FAST)
    script = Script(Reply(b"late", delay=1.0), Reply(b"<ok/>"))
    with HttpClient(settings) as http, ReplayServer(script) as server:
        response = http.request("GET", server.url)
    assert (response.body, response.attempts) == (b"<ok/>", 2)


def test_connection_resets_and_truncated_bodies_are_retried(client: HttpClient) -> None:
    script = Script(Reply(b"", reset=True), Reply(b"<records>...</records>", truncate=5))
    script.replies.append(Reply(b"<records/>"))
    with ReplayServer(script) as server:
        response = client.request("GET", server.url)
    assert (response.body, response.attempts) == (b"<records/>", 3)


def test_rate_limit_spaces_requests_to_one_host() -> None:
    settings = HarvestSettings(rate_limit=5, allowed_hosts=["127.0.0.1"])
    with HttpClient(settings) as http, ReplayServer(Script(Reply(b"<ok/>"))) as server:
        for _ in range(5):
            http.request("GET", server.url)
    # Four intervals of 1/5 s at least; the span is measured on arrival, so only the first
    # request's own delay could shorten it (slack for that).
    assert sum(gaps(server)) >= 0.75


def test_oversized_responses_are_refused() -> None:
    settings = HarvestSettings(max_response_bytes=1000, **FAST)
    with (
        HttpClient(settings) as http,
        ReplayServer(Script(Reply(b"x" * 5000))) as server,
        pytest.raises(UnsafeInput, match="more than 1000 bytes"),
    ):
        http.request("GET", server.url)


def test_gzip_is_decoded_and_a_gzip_bomb_is_refused() -> None:
    small = gzip.compress(b"<ok/>")
    bomb = gzip.compress(b"\0" * 5_000_000)  # ~5 KB on the wire
    settings = HarvestSettings(max_response_bytes=100_000, **FAST)
    script = Script(
        Reply(small, headers={"Content-Encoding": "gzip"}),
        Reply(bomb, headers={"Content-Encoding": "gzip"}),
    )
    with HttpClient(settings) as http, ReplayServer(script) as server:
        assert http.request("GET", server.url).body == b"<ok/>"
        with pytest.raises(UnsafeInput):
            http.request("GET", server.url)
    assert "gzip" in server.requests[0].headers["accept-encoding"]


def test_user_agent_is_sent(client: HttpClient) -> None:
    with ReplayServer(Script(Reply(b"<ok/>"))) as server:
        client.request("GET", server.url)
    assert server.requests[0].headers["user-agent"].startswith("Moisson-harvester/")


def test_conditional_request_gets_not_modified(client: HttpClient) -> None:
    def handler(request: Request) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(b"", status=304)
        return Reply(
            b"<catalogue/>",
            headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"},
        )

    with ReplayServer(handler) as server:
        first = client.request("GET", server.url)
        again = client.request("GET", server.url, validators=first.validators)
    assert first.validators == Validators('"v1"', "Mon, 01 Jan 2024 00:00:00 GMT")
    assert (again.not_modified, again.body) == (True, b"")
    assert server.requests[1].headers["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


def _source(auth: dict[str, str]) -> SourceSettings:
    return SourceSettings(id="s", kind="csw", url="http://x", auth=SourceAuth.model_validate(auth))


@pytest.mark.parametrize(
    ("auth", "header", "expected"),
    [
        (
            {"type": "basic", "username": "moisson", "secret_env": "SRC_PASS"},
            "authorization",
            "Basic bW9pc3NvbjpzM2NyZXQ=",
        ),
        ({"type": "bearer", "secret_env": "SRC_PASS"}, "authorization", "Bearer s3cret"),
        (
            {"type": "header", "header": "X-API-Key", "secret_env": "SRC_PASS"},
            "x-api-key",
            "s3cret",
        ),
    ],
)
def test_per_source_auth_reads_the_secret_from_the_environment(
    client: HttpClient,
    monkeypatch: pytest.MonkeyPatch,
    auth: dict[str, str],
    header: str,
    expected: str,
) -> None:
    monkeypatch.setenv("SRC_PASS", "s3cret")
    with ReplayServer(Script(Reply(b"<ok/>"))) as server:
        client.for_source(_source(auth)).request("GET", server.url)
        client.request("GET", server.url)  # the shared client itself stays anonymous
    assert server.requests[0].headers[header] == expected
    assert header not in server.requests[1].headers


def test_a_missing_secret_is_a_config_error(client: HttpClient) -> None:
    with pytest.raises(ConfigError, match="SRC_PASS"):
        client.for_source(_source({"type": "bearer", "secret_env": "SRC_PASS"}))


def test_fetch_document_is_conditional_once_the_source_has_validators(
    client: HttpClient,
) -> None:
    def handler(request: Request) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(b"", status=304)
        return Reply(b"<catalogue/>", headers={"ETag": '"v1"'})

    options = SourceSettings(id="s", kind="csw", url="http://x")
    with ReplayServer(handler) as server:
        first_run = client.for_source(options)
        assert first_run.fetch_document(server.url).body == b"<catalogue/>"
        assert first_run.fresh == {server.url: Validators('"v1"', None)}
        next_run = client.for_source(options, first_run.fresh)
        again = next_run.fetch_document(server.url)
    assert again.not_modified and next_run.fresh == {}
    assert "if-none-match" not in server.requests[0].headers
