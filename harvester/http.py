"""The HTTP policy every source shares, so no source kind re-invents (or forgets) it:

- connect and read timeouts; a clear User-Agent; gzip/deflate (httpx decodes them);
- retries on timeouts, connection errors (resets, truncated bodies), 5xx and 429, with
  exponential backoff and full jitter, honouring Retry-After (seconds or an HTTP date) up to
  `harvest.retry_after_max`;
- `page`: a paged source's page whose body does not parse (truncated XML, an HTML error page
  sent with 200, a JSON parse error, an error document) is asked again like a 5xx, with
  backoff, up to `harvest.retries` more times, at half the page size from the second failure
  on: proxies in maintenance and overloaded servers fail a page once and serve it the next
  time, and a run that stopped there would stop there again when resumed;
- a per-host rate limit shared by every source using the client;
- a maximum response size, counted on the decoded body while streaming (a gzip bomb or an
  endless response is refused without exhausting memory);
- conditional requests (ETag / Last-Modified) for whole-catalogue documents: pass the
  validators of the previous fetch, get `not_modified=True` back on 304;
- per-source auth (basic, bearer, custom header) through `for_source(options)`, the secret
  read from the environment variable the config names;
- the URL policy of harvester/url_policy.py on every request, redirects included (no
  loopback, link-local or denied host unless allowed).

httpx errors are converted here and nowhere else. Sleeping and the clock are injectable only
so the retry schedule can be observed; tests still talk to a real server.
"""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from harvester.url_policy import check_url
from moisson.config import HarvestSettings, SourceAuth, SourceSettings
from moisson.errors import SourceProtocolError, SourceUnavailable, UnsafeInput

__all__ = ["HostRateLimiter", "HttpClient", "Response", "Validators", "backoff_delay"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 507, 508, 509, 520, 521, 522, 523, 524})


@dataclass(frozen=True)
class Validators:
    """What a server said about a document, to ask next time whether it changed."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    not_modified: bool = False  # 304 to a conditional request: body is empty
    attempts: int = 1  # requests sent, retries included

    @property
    def validators(self) -> Validators:
        return Validators(self.headers.get("etag"), self.headers.get("last-modified"))


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2**attempt)],
    so many clients retrying the same server do not synchronise."""
    return rng.uniform(0, min(cap, base * (2**attempt)))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HostRateLimiter:
    """At most `rate` requests per second to each host, across threads."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class HttpClient:
    """One httpx client per process run, used in a `with` block. `for_source` gives a view
    that shares the connection pool and the rate limiter and adds that source's auth."""

    def __init__(
        self,
        settings: HarvestSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._client: httpx.Client | None = None
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._limiter = HostRateLimiter(settings.rate_limit, sleep=sleep)
        self._auth_headers: dict[str, str] = {}
        self._basic: httpx.BasicAuth | None = None
        self._root: HttpClient = self
        # Conditional requests of one source (see for_source and fetch_document).
        self.known: dict[str, Validators] = {}
        self.fresh: dict[str, Validators] = {}

    def __enter__(self) -> HttpClient:
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.settings.timeout, connect=self.settings.connect_timeout),
            headers={"User-Agent": self.settings.user_agent},
            follow_redirects=True,
            # Every request, redirects included, goes through the URL policy first.
            event_hooks={"request": [self._allowed]},
        )
        return self

    def _allowed(self, request: httpx.Request) -> None:
        check_url(self.settings, str(request.url))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._root is self and self._client is not None:
            self._client.close()
            self._client = None

    def for_source(
        self, options: SourceSettings, known: dict[str, Validators] | None = None
    ) -> HttpClient:
        """A view of this client for one source: its `auth` applied, and `known` the
        validators of documents from its last complete run (for fetch_document). Shares the
        connection pool and rate limiter. Raises ConfigError when the auth secret's
        environment variable is not set."""
        view = HttpClient.__new__(HttpClient)
        view.__dict__.update(self.__dict__)
        if options.auth is not None:
            view._auth_headers, view._basic = _auth(options.auth)
        view.known = dict(known or {})
        view.fresh = {}
        return view

    def fetch_document(
        self,
        url: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """GET a whole-catalogue document (a DCAT dump, a CSW export), conditionally when the
        source's last complete run saw it: `not_modified` is then True on 304. The validators
        of a fresh copy go to `fresh`; the caller saves them only after a complete run."""
        response = self.request(
            "GET", url, params=params, headers=headers, validators=self.known.get(url)
        )
        if not response.not_modified:
            found = response.validators
            if found.etag or found.last_modified:
                self.fresh[url] = found
        return response

    def page(
        self,
        fetch: Callable[[int], tuple[Response, int]],
        parse: Callable[[Response], T],
        *,
        size: int = 0,
        floor: int = 1,
    ) -> tuple[Response, T, int]:
        """(response, parsed page, page size used) of one page of a paged source.

        `fetch(size)` sends the request (under `request`'s own retries) and returns the
        response with the page size it used; `parse` raises SourceProtocolError when the body
        is not a readable page. Such a page is fetched again after a backoff, up to
        `harvest.retries` more times; from the second failure on, `size` is halved (not below
        `floor`; 0 means the source has no page size to change). The last failure is raised,
        saying how many attempts were made; UnsafeInput is never retried."""
        failures = 0
        while True:
            response, used = fetch(size)
            size = used
            try:
                return response, parse(response), size
            except SourceProtocolError as exc:
                failures += 1
                if failures > self.settings.retries:
                    raise SourceProtocolError(
                        f"{exc.message} (page still unreadable after {failures} attempts)",
                        detail=exc.detail,
                    ) from exc
                if failures >= 2 and size > floor:
                    size = max(floor, size // 2)
                delay = backoff_delay(
                    failures - 1, self.settings.backoff_base, self.settings.backoff_max, self._rng
                )
                logger.info(
                    "%s: unreadable page (%s); asking again in %.2fs%s",
                    response.url,
                    exc.message,
                    delay,
                    f" for {size} records" if size else "",
                )
                self._sleep(delay)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        validators: Validators | None = None,
    ) -> Response:
        """One request under the policy. Raises SourceUnavailable when retries run out or on
        a non-retryable HTTP >= 400, UnsafeInput when the body exceeds the size cap."""
        client = self._root._client
        if client is None:
            raise RuntimeError("HttpClient used outside its `with` block")
        sent = {**self._auth_headers, **(headers or {})}
        if validators is not None:
            sent.update(validators.headers())
        host = urlsplit(url).netloc
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            self._limiter.wait(host)
            try:
                response = self._once(client, method, url, params, content, sent)
                return dataclasses.replace(response, attempts=attempt + 1)
            except _Retry as retry:
                if attempt + 1 >= attempts:
                    raise SourceUnavailable(
                        f"{url}: {retry.reason} (gave up after {attempts} attempts)"
                    ) from None
                if retry.retry_after is not None:
                    if retry.retry_after > self.settings.retry_after_max:
                        raise SourceUnavailable(
                            f"{url}: {retry.reason}; the server asks to wait "
                            f"{retry.retry_after:.0f}s, more than harvest.retry_after_max"
                        ) from None
                    delay = retry.retry_after
                else:
                    delay = backoff_delay(
                        attempt, self.settings.backoff_base, self.settings.backoff_max, self._rng
                    )
                logger.info("%s: %s; retry %d in %.2fs", url, retry.reason, attempt + 1, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _once(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        params: dict[str, str] | None,
        content: bytes | None,
        headers: dict[str, str],
    ) -> Response:
        limit = self.settings.max_response_bytes
        try:
            with client.stream(
                method, url, params=params, content=content, headers=headers, auth=self._basic
            ) as resp:
                if resp.status_code in RETRY_STATUSES:
                    raise _Retry(
                        f"HTTP {resp.status_code}",
                        parse_retry_after(resp.headers.get("retry-after")),
                    )
                if resp.status_code >= 400:
                    raise SourceUnavailable(
                        f"{url} answered HTTP {resp.status_code}",
                        detail=resp.read()[:2000].decode("utf-8", "replace"),
                    )
                kept = {k.lower(): v for k, v in resp.headers.items()}
                if resp.status_code == 304:
                    return Response(str(resp.url), 304, "", b"", kept, not_modified=True)
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and "content-encoding" not in kept and int(declared) > limit:
                    raise _too_big(url, limit)
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise _too_big(url, limit)
                    chunks.append(chunk)
                return Response(
                    url=str(resp.url),
                    status=resp.status_code,
                    content_type=resp.headers.get("content-type", ""),
                    body=b"".join(chunks),
                    headers=kept,
                )
        except httpx.TimeoutException as exc:
            raise _Retry(f"no answer within {self.settings.timeout}s") from exc
        except (httpx.TransportError, httpx.DecodingError) as exc:
            # Resets, refused connections, bodies cut short (RemoteProtocolError), bad gzip.
            raise _Retry(f"connection failed: {exc}") from exc
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"cannot reach {url}: {exc}") from exc


def _too_big(url: str, limit: int) -> UnsafeInput:
    return UnsafeInput(f"{url} sent more than {limit} bytes (harvest.max_response_bytes); refused")


def _auth(auth: SourceAuth) -> tuple[dict[str, str], httpx.BasicAuth | None]:
    secret = auth.secret()
    if auth.type == "basic":
        assert auth.username is not None
        return {}, httpx.BasicAuth(auth.username, secret)
    if auth.type == "bearer":
        return {"Authorization": f"Bearer {secret}"}, None
    assert auth.header is not None
    return {auth.header: secret}, None
