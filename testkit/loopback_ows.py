"""The HTTP side shared by the loopback OGC services (WMS, WMTS, WFS) the QGIS tests render
from: a threaded server on 127.0.0.1 that records every request's key-value parameters and
lets the service decide the answer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol, TypeVar
from urllib.parse import parse_qsl, urlsplit

from testkit.ports import free_port

__all__ = ["Answer", "OwsService", "serve_ows"]

# (HTTP status, content type, body)
Answer = tuple[int, str, bytes]


class OwsService(Protocol):
    url: str
    requests: list[dict[str, str]]

    def answer(self, params: dict[str, str]) -> Answer: ...


ServiceT = TypeVar("ServiceT", bound=OwsService)


def _handler(service: OwsService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            # OGC key-value parameters are case-insensitive by name.
            params = {k.upper(): v for k, v in parse_qsl(urlsplit(self.path).query)}
            service.requests.append(params)
            status, content_type, body = service.answer(params)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the recorded requests are what tests look at."""

    return Handler


@contextmanager
def serve_ows(path: str, make: Callable[[str], ServiceT]) -> Iterator[ServiceT]:
    """Serve `make(url)` at http://127.0.0.1:<free port><path> for the duration of the block."""
    port = free_port()
    service = make(f"http://127.0.0.1:{port}{path}")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(service))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
