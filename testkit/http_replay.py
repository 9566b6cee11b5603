"""A loopback HTTP server that answers from a Python function, for replaying recorded real
responses (the design allows replay for sources that cannot run here) and for bending them
the way misbehaving servers do. Binds 127.0.0.1 on a free port; stops on exit."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlparse


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased
    at: float = 0.0  # time.monotonic() on arrival


@dataclass
class Reply:
    body: bytes
    status: int = 200
    content_type: str = "application/xml"
    headers: dict[str, str] = field(default_factory=dict)
    # Fault injection: wait before answering (client timeouts), close the connection without
    # any answer (a reset), or send only the first `truncate` bytes of a body whose
    # Content-Length announces all of it (a response cut short).
    delay: float = 0.0
    reset: bool = False
    truncate: int | None = None


Handler = Callable[[Request], Reply]


class ReplayServer:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> ReplayServer:
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    parsed.path,
                    parse_qs(parsed.query),
                    self.rfile.read(length),
                    {k.lower(): v for k, v in self.headers.items()},
                    time.monotonic(),
                )
                outer.requests.append(request)
                reply = outer.handler(request)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.reset:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if reply.truncate is not None:
                    self.wfile.write(reply.body[: reply.truncate])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(reply.body)

            def handle(self) -> None:
                # The client went away (timed out, or was killed): not the server's failure.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().handle()

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
