"""The HTTP policy every source shares: timeouts, User-Agent, a size cap, error mapping.

httpx errors are converted here and nowhere else. Bodies are streamed into a size-capped
buffer so a huge or endless response is refused without exhausting memory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import TracebackType

import httpx

from moisson.config import HarvestSettings
from moisson.errors import SourceUnavailable, UnsafeInput

__all__ = ["HttpClient", "Response"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    content_type: str
    body: bytes


class HttpClient:
    def __init__(self, settings: HarvestSettings) -> None:
        self.settings = settings
        self._client: httpx.Client | None = None

    def __enter__(self) -> HttpClient:
        self._client = httpx.Client(
            timeout=self.settings.timeout,
            headers={"User-Agent": self.settings.user_agent},
            follow_redirects=True,
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """One request; raises SourceUnavailable on network errors and HTTP >= 400."""
        if self._client is None:
            raise RuntimeError("HttpClient used outside its `with` block")
        limit = self.settings.max_response_bytes
        try:
            with self._client.stream(
                method, url, params=params, content=content, headers=headers
            ) as resp:
                if resp.status_code >= 400:
                    raise SourceUnavailable(
                        f"{url} answered HTTP {resp.status_code}",
                        detail=resp.read()[:2000].decode("utf-8", "replace"),
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise UnsafeInput(
                            f"{url} sent more than {limit} bytes (harvest.max_response_bytes); "
                            "refused"
                        )
                    chunks.append(chunk)
                return Response(
                    url=str(resp.url),
                    status=resp.status_code,
                    content_type=resp.headers.get("content-type", ""),
                    body=b"".join(chunks),
                )
        except httpx.TimeoutException as exc:
            raise SourceUnavailable(
                f"{url} did not answer within {self.settings.timeout}s"
            ) from exc
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"cannot reach {url}: {exc}") from exc
