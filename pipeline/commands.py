"""What each `moisson` command does, given the runtime (pipeline/cli.py parses arguments).

Each handler takes the process's Runtime and the parsed arguments and returns the exit code;
handlers print, the indexer and the pipeline do the work.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from harvester.formats.csw_response import read_document
from indexer.collapse import Collapser
from indexer.duplicates_report import render
from indexer.retheme import coverage, unmapped
from indexer.thesaurus_check import validate
from indexer.tokens import Tokens
from moisson.config import Settings
from moisson.errors import BadQuery
from pipeline.harvest import harvest_source
from pipeline.ingest import reindex_all
from pipeline.progress import Progress
from pipeline.runs import RunStatus
from pipeline.runtime import Runtime
from pipeline.scheduler import build_scheduler, sync_jobs
from publish.qgis.export import export_projects
from qgis_plugin.plugin_zip import build_zip
from search_api.params import parse_search_args
from search_api.serialise import search_response, source_names
from search_api.server import serve as serve_api

__all__ = ["HANDLERS", "parse", "qgis_plugin_zip", "thesaurus_validate"]


def harvest(runtime: Runtime, args: argparse.Namespace) -> int:
    settings = runtime.settings
    chosen = [settings.source(s) for s in args.sources] or [
        s for s in settings.sources if s.enabled
    ]
    failed = False
    for options in chosen:
        with Progress(options.id) as progress:
            result = harvest_source(runtime, options, full=args.full, progress=progress)
        print(result.summary())
        failed |= result.report.status not in (RunStatus.COMPLETE, RunStatus.UNCHANGED)
    return 1 if failed else 0


def serve(runtime: Runtime, args: argparse.Namespace) -> int:
    """Opens nothing here: each gunicorn worker builds its own runtime after fork."""
    settings = runtime.settings
    logging.getLogger("moisson.access").setLevel(logging.INFO)  # one JSON line per request
    serve_api(
        settings,
        host=args.host or settings.api.host,
        port=args.port if args.port is not None else settings.api.port,
        workers=args.workers,
    )
    return 0


def tokens(runtime: Runtime, args: argparse.Namespace) -> int:
    """Only the hash is stored: `create` prints the secret once, nothing prints it again."""
    settings = runtime.settings
    store_tokens = Tokens(runtime.store)
    if args.action == "create":
        row, secret = store_tokens.create(args.name, args.role)
        print(f"token {row.id} ({row.name}; roles: {', '.join(row.roles) or 'none'}):")
        print(secret)
        if settings.auth.mode != "token":
            print(
                "note: the API ignores tokens until auth.mode is `token`: add\n"
                '  [auth]\n  mode = "token"\n'
                "to the config file, or set MOISSON_AUTH__MODE=token",
                file=sys.stderr,
            )
        return 0
    if args.action == "revoke":
        row = store_tokens.revoke(args.id)
        print(f"token {row.id} ({row.name}) revoked")
        return 0
    for row in store_tokens.list():
        state = f"revoked {row.revoked:%Y-%m-%d}" if row.revoked else "active"
        print(f"{row.id}\t{row.name}\t{','.join(row.roles)}\t{row.created:%Y-%m-%d}\t{state}")
    return 0


def search(runtime: Runtime, args: argparse.Namespace) -> int:
    settings = runtime.settings
    params: dict[str, list[str]] = {
        "q": [args.query],
        "size": [str(args.size)],
        "page": [str(args.page)],
    }
    for name, value in (
        ("bbox", args.bbox),
        ("sort", args.sort),
        ("from", args.date_from),
        ("to", args.date_to),
    ):
        if value:
            params[name] = [value]
    for item in args.filter:
        name, equals, value = item.partition("=")
        if not equals or not name or not value:
            raise BadQuery(f"--filter needs FACET=VALUE (e.g. theme=water), got {item!r}")
        params.setdefault(name, []).append(value)
    query = parse_search_args(params, settings)
    # The operator at the terminal can read the store anyway: every record unless asked.
    roles = [] if args.anonymous else args.as_role
    query = query.model_copy(update={"roles": roles})
    # As GET /api/search does: thesaurus expansion, theme labels.
    searched = runtime.search.run(query)
    query, results = searched.query, searched.results
    if args.json:
        body = search_response(results, query, params, source_names(settings))
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return 0
    print(f"{results.total} records")
    for hit in results.hits:
        source = hit.sources[0].id if hit.sources else "?"
        print(f"- {hit.title}  [{source}] {hit.id}")
    return 0


def sources(runtime: Runtime, args: argparse.Namespace) -> int:
    counts = runtime.store.counts_by_source()
    for source in runtime.settings.sources:
        state = "" if source.enabled else " (disabled)"
        print(
            f"{source.id}\t{source.kind}\t{counts.get(source.id, 0)} records\t{source.url}{state}"
        )
    return 0


def parse(args: argparse.Namespace) -> int:
    """`moisson parse FILE`: exit 1 with a message when the file cannot be read."""
    if args.file not in (None, "-"):
        try:
            data = Path(args.file).read_bytes()
        except OSError as exc:
            print(f"moisson: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    else:
        data = sys.stdin.buffer.read()
    doc = read_document(data, args.source)
    failed = 0
    for item in doc.items:
        if item.record is not None:
            print(item.record.model_dump_json(indent=2, exclude_none=True))
        else:
            failed += 1
            print(f"quarantined {item.original_id or '?'}: {item.error}", file=sys.stderr)
    return 1 if failed else 0


def scheduler(runtime: Runtime, args: argparse.Namespace) -> int:
    # A background scheduler, so the job store can be synced with the config while paused;
    # the main thread only waits for Ctrl-C or SIGTERM.
    settings = runtime.settings
    scheduler = build_scheduler(runtime, blocking=False)
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


def duplicates(runtime: Runtime, args: argparse.Namespace) -> int:
    store, clusters = runtime.store, runtime.clusters
    if args.rebuild:
        done = clusters.rebuild(store.iter_records())
        print(f"rebuilt: {done.fingerprinted} records, {done.pairs} pairs")
        collapser = Collapser(store, clusters, runtime.access)  # search follows the clusters
        print(f"re-indexed {collapser.follow(runtime.backend)} records")
    for line in render(store, clusters, args.source):
        print(line)
    return 0


def runs(runtime: Runtime, args: argparse.Namespace) -> int:
    rows = runtime.store.runs(args.source, limit=args.limit)
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


def reindex(runtime: Runtime, args: argparse.Namespace) -> int:
    # Access is re-stamped from the current config, themes from the current thesaurus.
    count = reindex_all(
        runtime.store, runtime.backend, runtime.themer, runtime.access, runtime.clustering
    )
    print(f"reindexed {count} records")
    return 0


def thesaurus_validate(settings: Settings, args: argparse.Namespace) -> int:
    """`moisson thesaurus validate`: the forge check (indexer/thesaurus_check.py)."""
    themes = settings.themes
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


def thesaurus(runtime: Runtime, args: argparse.Namespace) -> int:
    """`moisson thesaurus coverage | explain` (indexer/retheme.py does the work)."""
    themer, store, languages = runtime.themer, runtime.store, runtime.settings.themes.languages
    if args.action == "explain":
        record = store.get(args.record_id)
        print(f"{record.id}  {record.title}  [{record.provenance.source_id}]")
        for theme in themer.assign(record):
            print(f"- {theme.id} ({theme.labels.get(languages[0], theme.id)})")
            for item in theme.evidence:
                rule = f" rule {item.rule}" if item.rule else ""
                print(f"    {item.step}{rule}: {item.field} {item.matched!r} -> {item.target}")
        for label in themer.unmatched_keywords(record):
            print(f"  unmapped keyword: {label!r}")
        return 0
    for entry in sorted(coverage(store.iter_records(), themer).values(), key=lambda c: c.source_id):
        print(f"{entry.source_id}\t{entry.themed}/{entry.records}\t{entry.share:.1%}")
    print("top unmapped keywords (records, of which without any theme):")
    for item in unmapped(store, themer, limit=args.top):
        print(f"  {item['records']}\t{item['unthemed']}\t{item['keyword']}")
    return 0


def qgis_export(runtime: Runtime, args: argparse.Namespace) -> int:
    """`moisson qgis export DIR`: the /qgis files, for a static web server."""
    folder = Path(args.dir)
    projects = export_projects(runtime, folder, args.site_url, args.base_url)
    platforms = projects.platforms()
    print(f"{len(projects.layers)} layers, {len(platforms)} projects written to {folder}")
    for platform in platforms:
        print(f"- {projects.project_url(platform.name)}  {platform.title}")
    return 0


# `moisson qgis ACTION`
QGIS_HANDLERS: dict[str, Callable[[Runtime, argparse.Namespace], int]] = {
    "export": qgis_export,
}


def qgis(runtime: Runtime, args: argparse.Namespace) -> int:
    return QGIS_HANDLERS[args.action](runtime, args)


def qgis_plugin_zip(args: argparse.Namespace) -> int:
    """`moisson qgis plugin-zip [OUT]`: the plugin's installable zip (qgis_plugin/)."""
    print(build_zip(Path(args.out)))
    return 0


HANDLERS: dict[str, Callable[[Runtime, argparse.Namespace], int]] = {
    "harvest": harvest,
    "serve": serve,
    "search": search,
    "sources": sources,
    "reindex": reindex,
    "scheduler": scheduler,
    "runs": runs,
    "thesaurus": thesaurus,
    "duplicates": duplicates,
    "tokens": tokens,
    "qgis": qgis,
}
