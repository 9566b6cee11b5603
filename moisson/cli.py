"""The `moisson` command: harvest, serve, search, sources, parse, reindex, scheduler, runs,
duplicates, tokens.

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
    search.add_argument(
        "--as-role",
        action="append",
        metavar="ROLE",
        help="see what a caller with these roles sees (repeatable; default: every record)",
    )
    search.add_argument(
        "--anonymous", action="store_true", help="see what an anonymous caller sees"
    )

    sub.add_parser("sources", help="list configured sources and record counts")

    parse = sub.add_parser("parse", help="parse a metadata file (or stdin) into Record JSON")
    parse.add_argument("file", nargs="?", help="XML file; '-' or nothing reads stdin")
    parse.add_argument("--source", default="cli", help="source id to stamp on records")

    sub.add_parser("reindex", help="rebuild the search index from the store (no harvest)")

    sub.add_parser("scheduler", help="run scheduled harvests in the foreground (Ctrl-C stops)")

    thesaurus = sub.add_parser("thesaurus", help="check the theme thesaurus and its mapping")
    actions = thesaurus.add_subparsers(dest="action", required=True)
    validate = actions.add_parser("validate", help="check thesaurus and rules (exit 1 if bad)")
    validate.add_argument("path", nargs="?", help="Turtle file (default: [themes] thesaurus)")
    validate.add_argument("--rules", help="rules YAML (default: [themes] rules)")
    coverage = actions.add_parser("coverage", help="per source: share of records with a theme")
    coverage.add_argument("--top", type=int, default=20, help="unmapped keywords to list")
    explain = actions.add_parser("explain", help="a record's themes and why")
    explain.add_argument("record_id")

    runs = sub.add_parser("runs", help="list recent harvest runs")
    runs.add_argument("source", nargs="?", help="only this source")
    runs.add_argument("--limit", type=int, default=20)

    dups = sub.add_parser("duplicates", help="list duplicate clusters and overlap per source pair")
    dups.add_argument("--source", help="only clusters with a record of this source")
    dups.add_argument(
        "--rebuild", action="store_true", help="recompute all fingerprints and clusters first"
    )
    tokens = sub.add_parser("tokens", help="API tokens for auth.mode = token")
    token_actions = tokens.add_subparsers(dest="action", required=True)
    create = token_actions.add_parser("create", help="create a token (printed once)")
    create.add_argument("name", help="who or what the token is for")
    create.add_argument("--role", action="append", default=[], help="a role (repeatable)")
    token_actions.add_parser("list", help="list tokens (never their secret)")
    revoke = token_actions.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("id", type=int)
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
            "scheduler": _scheduler,
            "runs": _runs,
            "thesaurus": _thesaurus,
            "duplicates": _duplicates,
            "tokens": _tokens,
        }[args.command]
        return handler(settings, args)
    except MoissonError as exc:
        print(f"moisson: {exc.message}", file=sys.stderr)
        if exc.detail:
            logger.info("detail: %s", exc.detail)
        return 2 if isinstance(exc, ConfigError | BadQuery) else 1


def _harvest(settings: Settings, args: argparse.Namespace) -> int:
    from harvester.http import HttpClient
    from harvester.runs import RunStatus
    from indexer.backends import build_backend
    from indexer.harvesting import harvest_source
    from indexer.store import Store

    chosen = [settings.source(s) for s in args.sources] or [
        s for s in settings.sources if s.enabled
    ]
    failed = False
    backend = build_backend(settings.index.url)
    with Store(settings.store.url) as store, HttpClient(settings.harvest) as http:
        backend.open()
        try:
            for options in chosen:
                with _progress(options.id) as progress:
                    result = harvest_source(
                        settings, options, store, backend, http, full=args.full, progress=progress
                    )
                print(result.summary())
                failed |= result.report.status not in (RunStatus.COMPLETE, RunStatus.UNCHANGED)
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

    logging.getLogger("moisson.access").setLevel(logging.INFO)  # one JSON line per request
    serve(
        settings,
        host=args.host or settings.api.host,
        port=args.port if args.port is not None else settings.api.port,
        workers=args.workers,
    )
    return 0


def _tokens(settings: Settings, args: argparse.Namespace) -> int:
    """Only the hash is stored: `create` prints the secret once, nothing prints it again."""
    from indexer.store import Store
    from indexer.tokens import Tokens

    with Store(settings.store.url) as store:
        tokens = Tokens(store)
        if args.action == "create":
            row, secret = tokens.create(args.name, args.role)
            print(f"token {row.id} ({row.name}; roles: {', '.join(row.roles) or 'none'}):")
            print(secret)
            if settings.auth.mode != "token":
                print("note: auth.mode is not `token`; the API ignores tokens", file=sys.stderr)
            return 0
        if args.action == "revoke":
            row = tokens.revoke(args.id)
            print(f"token {row.id} ({row.name}) revoked")
            return 0
        for row in tokens.list():
            state = f"revoked {row.revoked:%Y-%m-%d}" if row.revoked else "active"
            print(f"{row.id}\t{row.name}\t{','.join(row.roles)}\t{row.created:%Y-%m-%d}\t{state}")
    return 0


def _search(settings: Settings, args: argparse.Namespace) -> int:
    from indexer.backends import build_backend
    from indexer.themes import load_themer
    from search_api.params import parse_search_args
    from search_api.serialise import search_response, source_names
    from search_api.themes import themed_search

    params: dict[str, list[str]] = {"q": [args.query], "size": [str(args.size)]}
    if args.bbox:
        params["bbox"] = [args.bbox]
    for item in args.filter:
        name, _, value = item.partition("=")
        params.setdefault(name, []).append(value)
    query = parse_search_args(params, settings)
    # The operator at the terminal can read the store anyway: every record unless asked.
    roles = [] if args.anonymous else args.as_role
    query = query.model_copy(update={"roles": roles})
    themer = load_themer(settings.themes)
    backend = build_backend(settings.index.url)
    backend.open()
    try:  # as GET /api/search does: thesaurus expansion, theme labels
        query, results = themed_search(query, backend, themer, settings.themes.languages)
    finally:
        backend.close()
    if args.json:
        body = search_response(results, query, params, source_names(settings))
        print(json.dumps(body, ensure_ascii=False, indent=2))
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


def _scheduler(settings: Settings, args: argparse.Namespace) -> int:
    import signal
    import threading

    from harvester.scheduler import build_scheduler, sync_jobs

    # A background scheduler, so the job store can be synced with the config while paused;
    # the main thread only waits for Ctrl-C or SIGTERM.
    scheduler = build_scheduler(settings, blocking=False)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    scheduler.start(paused=True)
    try:
        scheduled = sync_jobs(scheduler, settings)
        print(f"scheduler: {len(scheduled)} sources scheduled: {', '.join(scheduled) or 'none'}")
        sys.stdout.flush()
        scheduler.resume()
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        # Runs in progress finish before the process exits; a kill -9 meanwhile is safe:
        # the next run resumes from the last written page.
        scheduler.shutdown(wait=True)
    return 0


def _duplicates(settings: Settings, args: argparse.Namespace) -> int:
    from indexer.access import AccessPolicy
    from indexer.backends import build_backend
    from indexer.cluster_store import ClusterStore
    from indexer.collapse import Collapser
    from indexer.duplicates_report import render
    from indexer.store import Store

    with Store(settings.store.url) as store:
        clusters = ClusterStore(store, settings.duplicates).open()
        if args.rebuild:
            done = clusters.rebuild(store.iter_records())
            print(f"rebuilt: {done.fingerprinted} records, {done.pairs} pairs")
            backend = build_backend(settings.index.url)  # search follows the new clusters
            backend.open()
            try:
                collapser = Collapser(store, clusters, AccessPolicy(settings.sources))
                print(f"re-indexed {collapser.follow(backend)} records")
            finally:
                backend.close()
        for line in render(store, clusters, args.source):
            print(line)
    return 0


def _runs(settings: Settings, args: argparse.Namespace) -> int:
    from indexer.store import Store

    with Store(settings.store.url) as store:
        rows = store.runs(args.source, limit=args.limit)
    for run in rows:
        ended = run.ended.isoformat(timespec="seconds") if run.ended else "-"
        started = run.started.isoformat(timespec="seconds")
        declared = "?" if run.declared_total is None else run.declared_total
        print(
            f"{run.id}\t{run.source_id}\t{run.status}\t{started}"
            f"\t{ended}\tseen {run.seen}/{declared}"
            f"\tnew {run.new} updated {run.updated} quarantined {run.quarantined}"
            f" retired {run.retired}\t{run.message or ''}"
        )
    return 0


def _reindex(settings: Settings, args: argparse.Namespace) -> int:
    from indexer.access import AccessPolicy
    from indexer.backends import build_backend
    from indexer.cluster_store import ClusterStore
    from indexer.ingest import reindex_all
    from indexer.store import Store
    from indexer.themes import load_themer

    backend = build_backend(settings.index.url)
    with Store(settings.store.url) as store:
        backend.open()
        try:
            access = AccessPolicy(settings.sources)  # re-stamped from the current config
            clusters = (
                ClusterStore(store, settings.duplicates).open()
                if settings.duplicates.enabled
                else None
            )
            themer = load_themer(settings.themes)
            count = reindex_all(store, backend, themer, access, clusters)
        finally:
            backend.close()
    print(f"reindexed {count} records")
    return 0


def _thesaurus(settings: Settings, args: argparse.Namespace) -> int:
    """`moisson thesaurus validate | coverage | explain` (indexer/thesaurus_check.py and
    indexer/retheme.py do the work; this prints)."""
    from indexer.retheme import coverage, unmapped
    from indexer.store import Store
    from indexer.themes import load_themer
    from indexer.thesaurus_check import validate

    themes = settings.themes
    if args.action == "validate":
        thesaurus = Path(args.path) if args.path else themes.thesaurus_path
        rules = Path(args.rules) if args.rules else themes.rules_path
        problems = validate(thesaurus, rules, themes.languages)
        for problem in problems:
            print(problem)
        if problems:
            print(f"{len(problems)} problem(s)", file=sys.stderr)
            return 1
        print(f"ok: {thesaurus} and {rules}")
        return 0
    themer = load_themer(themes)
    with Store(settings.store.url) as store:
        if args.action == "explain":
            record = store.get(args.record_id)
            print(f"{record.id}  {record.title}  [{record.provenance.source_id}]")
            for theme in themer.assign(record):
                print(f"- {theme.id} ({theme.labels.get(themes.languages[0], theme.id)})")
                for item in theme.evidence:
                    rule = f" rule {item.rule}" if item.rule else ""
                    print(f"    {item.step}{rule}: {item.field} {item.matched!r} -> {item.target}")
            for label in themer.unmatched_keywords(record):
                print(f"  unmapped keyword: {label!r}")
            return 0
        for entry in sorted(
            coverage(store.iter_records(), themer).values(), key=lambda c: c.source_id
        ):
            print(f"{entry.source_id}\t{entry.themed}/{entry.records}\t{entry.share:.1%}")
        print("top unmapped keywords (records, of which without any theme):")
        for item in unmapped(store, themer, limit=args.top):
            print(f"  {item['records']}\t{item['unthemed']}\t{item['keyword']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
