"""Runs inside the pycsw virtualenv, never the project's: only stdlib + pycsw imports here.

`pycsw_server.py` (project side) starts this script with the pycsw venv's interpreter:

- `serve CFG PORT_FILE`: bind 127.0.0.1 on port 0, write the chosen port into the pycsw config
  (pycsw advertises `[server] url` in GetCapabilities and OWSLib posts to those advertised
  URLs, so it must carry the real port), write PORT_FILE, then serve pycsw's WSGI app with
  one thread per request. pycsw reads its config on every request, so the rewrite applies.
- `load CFG DIR`: call pycsw's own loader (`pycsw.core.admin.load_records`, what
  `pycsw-admin.py -c load_records` runs) and print one JSON line with the loaded files and
  the loader's duration, timed around that call only so interpreter and import start-up do
  not count against pycsw in the benchmarks. Refusal reasons go to stderr via pycsw's log.
"""

from __future__ import annotations

import argparse
import configparser
import json
import logging
import os
import sys
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """No access log: a benchmark sends thousands of requests."""

    def log_message(self, format: str, *args: object) -> None:
        pass


def _read_config(path: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    with open(path, encoding="utf-8") as handle:
        parser.read_file(handle)
    return parser


def serve(cfg: str, port_file: str) -> None:
    os.environ["PYCSW_CONFIG"] = cfg
    from pycsw.wsgi import application

    httpd = make_server(
        "127.0.0.1", 0, application, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    port = httpd.server_address[1]
    parser = _read_config(cfg)
    parser.set("server", "url", f"http://127.0.0.1:{port}/csw")
    with open(cfg, "w", encoding="utf-8") as handle:
        parser.write(handle)
    with open(port_file + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(str(port))
    os.replace(port_file + ".tmp", port_file)  # the parent never reads a half-written file
    httpd.serve_forever()


def load(cfg: str, records_dir: str) -> None:
    from pycsw.core import admin, config

    parser = _read_config(cfg)
    context = config.StaticContext()
    start = time.perf_counter()
    loaded = admin.load_records(
        context,
        parser.get("repository", "database"),
        parser.get("repository", "table"),
        records_dir,
    )
    seconds = time.perf_counter() - start
    print(json.dumps({"loaded": sorted(loaded), "seconds": seconds}))


def main() -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_args = commands.add_parser("serve")
    serve_args.add_argument("cfg")
    serve_args.add_argument("port_file")
    load_args = commands.add_parser("load")
    load_args.add_argument("cfg")
    load_args.add_argument("records_dir")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.cfg, args.port_file)
    else:
        load(args.cfg, args.records_dir)


if __name__ == "__main__":
    main()
