"""The `moisson` command: harvest, serve, search, sources, parse, reindex.

Settings are loaded once here and passed down; nothing else reads configuration.
Exit codes: 0 success, 1 a source failed or a run was partial, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from moisson.config import Settings, load_settings
from moisson.errors import BadQuery, ConfigError, MoissonError

if TYPE_CHECKING:
    from harvester.runs import RunReport

__all__ = ["main"]

logger = logging.getLogger("moisson")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moisson", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="TOML config file (default: $MOISSON_CONFIG or sample)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", required=True)

    harvest = sub.add_parser("harvest", help="harvest sources into the store and index")
    harvest.add_argument("sources", nargs="*", help="source ids (default: every enabled source)")
    harvest.add_argument("--full", action="store_true", help="ignore incremental mode")

    serve = sub.add_parser("serve", help="serve the search API and web page")
    serve.add_argument("--host", help="bind address (default from config: 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default from config)")
    serve.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")

    search = sub.add_parser("search", help="search the index from the terminal")
    search.add_argument("query", nargs="?", default="")
    search.add_argument("--bbox", help="minx,miny,maxx,maxy in WGS84")
    search.add_argument("--filter", action="append", default=[], metavar="FACET=VALUE")
    search.add_argument("--size", type=int, default=10)
    search.add_argument("--json", action="store_true", help="print the API's search response")

    sub.add_parser("sources", help="list configured sources and record counts")

    parse = sub.add_parser("parse", help="parse a metadata file (or stdin) into Record JSON")
    parse.add_argument("file", nargs="?", help="XML file; '-' or nothing reads stdin")
    parse.add_argument("--source", default="cli", help="source id to stamp on records")

    sub.add_parser("reindex", help="rebuild the search index from the store (no harvest)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "parse":  # needs no configuration
            return _parse(args)
        settings = load_settings(args.config)
        handler = {
            "harvest": _harvest,
            "serve": _serve,
            "search": _search,
            "sources": _sources,
            "reindex": _reindex,
        }[args.command]
        return handler(settings, args)
    except MoissonError as exc:
        print(f"moisson: {exc.message}", file=sys.stderr)
        if exc.detail:
            logger.info("detail: %s", exc.detail)
        return 2 if isinstance(exc, ConfigError | BadQuery) else 1


def _harvest(settings: Settings, args: argparse.Namespace) -> int:
    from harvester.http import HttpClient
    from harvester.registry import source_class
    from harvester.runs import RunStatus, run_source
    from indexer.backends import build_backend
    from indexer.ingest import Ingestor
    from indexer.store import Store

    chosen = [settings.source(s) for s in args.sources] or [
        s for s in settings.sources if s.enabled
    ]
    failed = False
    backend = build_backend(settings.index.url)
    with Store(settings.store.url) as store, HttpClient(settings.harvest) as http:
        backend.open()
        try:
            sink = Ingestor(store, backend)
            for options in chosen:
                since = None
                if not args.full and getattr(options, "incremental", False):
                    last = store.last_complete_run(options.id)
                    since = last.started if last else None
                source = source_class(options.kind)(options, http)
                with _progress(options.id) as progress:
                    report = run_source(source, options.id, sink, since=since, progress=progress)
                print(report.summary())
                failed |= report.status is not RunStatus.COMPLETE
        finally:
            backend.close()
    return 1 if failed else 0


class _progress:
    """A rich progress line on a terminal, nothing when output is piped."""

    def __init__(self, source_id: str) -> None:
        self.source_id = source_id
        self._progress = None
        self._task = None

    def __enter__(self) -> _progress | None:
        if not sys.stderr.isatty():
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True
        )
        self._progress.start()
        self._task = self._progress.add_task(self.source_id, total=None)
        return self

    def __call__(self, report: RunReport) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=report.seen, total=report.declared_total)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from search_api.server import serve

    serve(
        settings,
        host=args.host or settings.api.host,
        port=args.port if args.port is not None else settings.api.port,
        workers=args.workers,
    )
    return 0


def _search(settings: Settings, args: argparse.Namespace) -> int:
    from indexer.backends import build_backend
    from search_api.params import parse_search_args
    from search_api.serialise import search_response

    params: dict[str, list[str]] = {"q": [args.query], "size": [str(args.size)]}
    if args.bbox:
        params["bbox"] = [args.bbox]
    for item in args.filter:
        name, _, value = item.partition("=")
        params.setdefault(name, []).append(value)
    query = parse_search_args(params, settings)
    backend = build_backend(settings.index.url)
    backend.open()
    try:
        results = backend.search(query)
    finally:
        backend.close()
    if args.json:
        print(json.dumps(search_response(results, query, params), ensure_ascii=False, indent=2))
        return 0
    print(f"{results.total} records")
    for hit in results.hits:
        source = hit.sources[0].id if hit.sources else "?"
        print(f"- {hit.title}  [{source}] {hit.id}")
    return 0


def _sources(settings: Settings, args: argparse.Namespace) -> int:
    from indexer.store import Store

    with Store(settings.store.url) as store:
        counts = store.counts_by_source()
    for source in settings.sources:
        state = "" if source.enabled else " (disabled)"
        print(
            f"{source.id}\t{source.kind}\t{counts.get(source.id, 0)} records\t{source.url}{state}"
        )
    return 0


def _parse(args: argparse.Namespace) -> int:
    from harvester.formats.csw_response import read_document

    data = sys.stdin.buffer.read() if args.file in (None, "-") else Path(args.file).read_bytes()
    doc = read_document(data, args.source)
    failed = 0
    for item in doc.items:
        if item.record is not None:
            print(item.record.model_dump_json(indent=2, exclude_none=True))
        else:
            failed += 1
            print(f"quarantined {item.original_id or '?'}: {item.error}", file=sys.stderr)
    return 1 if failed else 0


def _reindex(settings: Settings, args: argparse.Namespace) -> int:
    from indexer.backends import build_backend
    from indexer.ingest import reindex_all
    from indexer.store import Store

    backend = build_backend(settings.index.url)
    with Store(settings.store.url) as store:
        backend.open()
        try:
            count = reindex_all(store, backend)
        finally:
            backend.close()
    print(f"reindexed {count} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
