"""Asynchronous calls to Moisson's JSON API through QGIS's network manager.

Every request goes through QgsNetworkAccessManager (so QGIS's proxy, SSL and timeout
settings apply) and answers through a callback when the reply arrives: nothing waits on the
UI thread. Each request belongs to a channel ("search", "themes", "suggest"); a new request
on a channel aborts the one still running, so a slow old answer never overwrites a newer one.
Errors reach `on_error` as one readable sentence (Moisson's JSON error message when there is
one), never as an exception; an answer over MAX_BYTES is abandoned.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import quote, urlencode

from qgis.core import QgsNetworkAccessManager
from qgis.PyQt.QtCore import QObject, QUrl
from qgis.PyQt.QtNetwork import QNetworkReply, QNetworkRequest

from .settings import Connection, read_token

__all__ = ["MoissonClient"]

Params = list[tuple[str, str]]
# The largest answer read: a page of 100 hits with facets is well under 2 MB.
MAX_BYTES = 20_000_000


class MoissonClient(QObject):
    def __init__(self, connection: Connection, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: dict[str, QNetworkReply] = {}
        self.connection = connection

    @property
    def connection(self) -> Connection:
        return self._connection

    @connection.setter
    def connection(self, connection: Connection) -> None:
        """A new connection (settings saved): its token is read again on the next request."""
        self._connection = connection
        self._token: str | None = None

    def _bearer(self) -> str:
        """The token, read from the auth database once per connection (reading may ask
        for the master password: not at every request)."""
        if self._token is None:
            self._token = read_token(self._connection.authcfg)
        return self._token

    def url(self, path: str, params: Params | None = None) -> QUrl:
        query = f"?{urlencode(params)}" if params else ""
        return QUrl(self.connection.url + path + query)

    def record_url(self, record_id: str) -> QUrl:
        """Where "open record" points: the record's web page (links, provenance, themes)."""
        return QUrl(self.connection.url + "/records/" + quote(record_id, safe=""))

    def get(
        self,
        channel: str,
        path: str,
        params: Params,
        on_done: Callable[[dict], None],
        on_error: Callable[[str], None],
    ) -> None:
        previous = self._running.pop(channel, None)
        if previous is not None:
            previous.abort()
        request = QNetworkRequest(self.url(path, params))
        request.setRawHeader(b"Accept", b"application/json")
        token = self._bearer()
        if token:
            request.setRawHeader(b"Authorization", f"Bearer {token}".encode())
        reply = QgsNetworkAccessManager.instance().get(request)
        self._running[channel] = reply
        reply.downloadProgress.connect(lambda received, _total: self._cap(reply, received))
        reply.finished.connect(lambda: self._finished(channel, reply, on_done, on_error))

    @staticmethod
    def _cap(reply: QNetworkReply, received: int) -> None:
        """Stop reading an answer far larger than any Moisson page (a wrong URL, a file)."""
        if received > MAX_BYTES and not reply.property("too_big"):
            reply.setProperty("too_big", True)
            reply.abort()

    def abort_all(self) -> None:
        for reply in list(self._running.values()):
            reply.abort()
        self._running.clear()

    def _finished(
        self,
        channel: str,
        reply: QNetworkReply,
        on_done: Callable[[dict], None],
        on_error: Callable[[str], None],
    ) -> None:
        if self._running.get(channel) is reply:
            del self._running[channel]
        reply.deleteLater()
        if reply.property("too_big"):
            on_error(f"Moisson's answer to {reply.url().path()} is over {MAX_BYTES} bytes: refused")
            return
        if reply.error() == QNetworkReply.OperationCanceledError:
            return  # replaced by a newer request
        status = reply.attribute(QNetworkRequest.HttpStatusCodeAttribute)
        body = bytes(reply.readAll())
        try:
            data = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            message = data["error"].get("message") or "error"
            on_error(f"Moisson answered {status}: {message}")
        elif status is None:  # no HTTP answer at all
            on_error(
                f"Moisson could not be reached at {self.connection.url}: {reply.errorString()}"
            )
        elif not isinstance(data, dict):
            on_error(
                f"{self.connection.url} answered {status} without Moisson's JSON "
                "(is it the address of a Moisson server?)"
            )
        elif reply.error() != QNetworkReply.NoError:
            on_error(f"Moisson answered {status}: {reply.errorString()}")
        else:
            on_done(data)
