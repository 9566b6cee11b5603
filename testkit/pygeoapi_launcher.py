"""Runs inside the pygeoapi virtualenv, never the project's: only stdlib + pygeoapi imports.

`pygeoapi_server.py` (project side) starts this script with the pygeoapi venv's interpreter:

- `serve CONFIG PORT_FILE REQUESTS_LOG`: bind 127.0.0.1 on port 0, write the chosen port
  into the config's `server.url` (pygeoapi builds every link, `rel=next` included, from it,
  so it must carry the real port), generate the OpenAPI document pygeoapi refuses to start
  without, write PORT_FILE, then serve pygeoapi's Flask app with one thread per request.
  Each request line is appended to REQUESTS_LOG (one JSON object a line) and flushed
  *before* pygeoapi answers, so a client that has its response can count its request.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import yaml

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """The requests log below replaces the access log on stderr."""

    def log_message(self, format: str, *args: object) -> None:
        pass


def _logging_requests(app: Wsgi, path: str) -> Wsgi:
    lock = threading.Lock()

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        line = {
            "method": environ["REQUEST_METHOD"],
            "path": environ.get("PATH_INFO", ""),
            "query": environ.get("QUERY_STRING", ""),
        }
        with lock, open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps(line) + "\n")
        return app(environ, start_response)

    return logged


def serve(config_path: str, port_file: str, requests_log: str) -> None:
    with open(config_path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    # Bind first, configure pygeoapi with the port, then import it: pygeoapi reads its
    # config and OpenAPI document once, at import.
    httpd = make_server(
        "127.0.0.1", 0, lambda e, s: [], server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    port = httpd.server_address[1]
    config["server"]["url"] = f"http://127.0.0.1:{port}"
    config["server"]["bind"]["port"] = port
    with open(config_path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle, sort_keys=False)

    from pygeoapi.openapi import get_oas

    openapi_path = os.path.join(os.path.dirname(config_path), "openapi.yml")
    with open(openapi_path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(get_oas(config), handle, sort_keys=False)
    os.environ["PYGEOAPI_CONFIG"] = config_path
    os.environ["PYGEOAPI_OPENAPI"] = openapi_path

    from pygeoapi.flask_app import APP

    httpd.set_app(_logging_requests(APP, requests_log))
    with open(port_file + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(str(port))
    os.replace(port_file + ".tmp", port_file)  # the parent never reads a half-written file
    httpd.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_args = commands.add_parser("serve")
    serve_args.add_argument("config")
    serve_args.add_argument("port_file")
    serve_args.add_argument("requests_log")
    args = parser.parse_args()
    serve(args.config, args.port_file, args.requests_log)


if __name__ == "__main__":
    main()
