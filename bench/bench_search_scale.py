"""Search on the embedded index at 10k, 100k or 1M records, without the harvest pipeline.

    .venv/bin/python -m bench.bench_search_scale build 1000000 /tmp/scale-1m
    .venv/bin/python -m bench.bench_search_scale search /tmp/scale-1m [--http]

`build` streams N generated ISO 19139 records (bench/generate.py) through the real ISO
parser and the theme matcher in a pool of worker processes, and writes them through the
index's bulk path (`SearchBackend.reindex`, batches of 2,000 in one transaction each) into
`DIR/index.db`: the records are never all in memory. It prints records/s, peak RSS and the
index's size on disk. The harvest pipeline (store, fingerprints, checkpoints) is measured by
bench_scale.py; this one isolates the index so 1M records build in minutes, not hours.
`--distinct D` generates only D records and repeats them under new ids up to N.

`search` opens that index and measures the search every protocol runs (the
`SearchService`: expansion, access filter, collapse, labels; text + all facets + 20 hits
with snippets), with and without a bbox, at 1 and 8 client threads in-process: p50/p95,
searches/s, the CPU time of a search (its thread's: what a machine shared with other jobs
cannot inflate, unlike wall-clock time), the open() time and the load average. Once per
match cache size of `--cache-mb` (default `0,256`: off, then the default). With the cache
on, the 16 bench terms are all cached after the warm-up pass, so that run measures repeated
traffic; without it, every search's full cost. `--http`: the same through `moisson serve`
(gunicorn, 2 workers, default cache) over loopback too.

`--backend tantivy` (both commands) does the same on the tantivy backend
(indexer/backends/tantivy_index.py, `DIR/tantivy/`), so the two run side by side on the same
records; it has no match cache, so `search` measures it once. `dump D FILE` writes D parsed,
themed records as JSON lines, and `build --records FILE` repeats those instead of generating
and parsing them again (the same records for both backends, and minutes saved per build).

A benchmark, not a test: the figures depend on the machine's load (printed with them).
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, cast

from bench.bench_csw import QUERIES
from bench.bench_scale import search_request
from bench.generate import generate_iso_records
from bench.http_load import MoissonServer, bench_config, load
from harvester.formats.csw_response import read_document
from indexer.backends import sqlite_postings
from indexer.backends.base import SearchBackend
from indexer.backends.sqlite import SqliteBackend
from indexer.backends.sqlite_query import FIELDS
from indexer.backends.sqlite_tables import SqliteTables
from indexer.backends.tantivy_index import TantivyBackend
from indexer.search_service import SearchService
from indexer.themes import Themer, load_themer
from moisson.config import ThemesSettings
from moisson.query import Query
from moisson.record import BBox, Record, Results

BBOX = BBox(west=-5.5, south=41.0, east=10.0, north=51.5)  # metropolitan France
HTTP_BBOX = "-5.5,41.0,10.0,51.5"
CHUNK = 500  # generated records per worker task
SEARCHES_PER_CLIENT = 64  # --searches

_themer: Themer | None = None


def _parse_chunk(task: tuple[int, int, int]) -> list[Record]:
    """Worker: records [start, stop) of the seed's stream, parsed and themed."""
    global _themer
    start, stop, seed = task
    if _themer is None:
        _themer = load_themer(ThemesSettings())
    found: list[Record] = []
    for number, (_, blob) in enumerate(generate_iso_records(stop, seed=seed)):
        if number < start:
            continue
        for item in read_document(blob, "bench").items:
            if item.record is not None:
                found.append(_themer.themed(item.record))
    return found


def _chunk_seeds(n: int) -> Iterator[tuple[int, int, int]]:
    """Each chunk is its own seed's first CHUNK records, so workers never replay a prefix."""
    for number, start in enumerate(range(0, n, CHUNK)):
        yield 0, min(CHUNK, n - start), number


def stream_records(n: int, workers: int) -> Iterator[Record]:
    """N parsed, themed records in order, produced by `workers` processes, a few chunks
    ahead of the consumer at most (bounded memory)."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending = []
        tasks = _chunk_seeds(n)
        for task in tasks:
            pending.append(pool.submit(_parse_chunk, task))
            if len(pending) >= workers * 3:
                yield from pending.pop(0).result()
        for future in pending:
            yield from future.result()


def index_mib(path: Path) -> float:
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file()]
    else:
        files = [p for p in path.parent.glob(f"{path.name}*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def index_path(folder: Path, kind: str) -> Path:
    return folder / ("tantivy" if kind == "tantivy" else "index.db")


def open_backend(folder: Path, kind: str) -> SqliteBackend | TantivyBackend:
    """The index of `folder` for backend `kind` (not opened yet)."""
    path = index_path(folder, kind)
    return TantivyBackend(path) if kind == "tantivy" else SqliteBackend(path)


def read_records(path: Path) -> Iterator[Record]:
    """Records written by `dump` (one JSON document a line)."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield Record.model_validate_json(line)


def dump(n: int, path: Path, workers: int) -> None:
    began = time.perf_counter()
    with path.open("w", encoding="utf-8") as out:
        for record in stream_records(n, workers):
            out.write(record.model_dump_json() + "\n")
    print(f"dumped {n:,} records to {path} in {time.perf_counter() - began:.1f} s")


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def replicated(
    n: int, distinct: int, workers: int, records: Path | None = None
) -> Iterator[Record]:
    """N records made of `distinct` generated ones (held in memory) repeated under new ids
    (`<id>~<copy>`): the same word, facet and box distributions as N generated records, at
    the parse and theme cost of `distinct` (a 1M build on a loaded 2-core machine otherwise
    takes hours in the ISO parser, which is not what this benchmark measures)."""
    source = read_records(records) if records else stream_records(distinct, workers)
    originals = list(itertools.islice(source, distinct))
    copy = 0
    while True:
        for record in originals:
            if n <= 0:
                return
            n -= 1
            yield record if not copy else record.model_copy(update={"id": f"{record.id}~{copy}"})
        copy += 1


def build(
    n: int, folder: Path, workers: int, distinct: int, kind: str, records: Path | None
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = index_path(folder, kind)
    backend = open_backend(folder, kind)
    backend.open()
    began, cpu_began = time.perf_counter(), time.process_time()
    seen = 0

    def counted() -> Iterator[Record]:
        nonlocal seen
        if records is None and distinct >= n:
            source = stream_records(n, workers)
        else:
            source = replicated(n, distinct, workers, records)
        for record in source:
            seen += 1
            if seen % 100_000 == 0:
                rate = seen / (time.perf_counter() - began)
                print(f"  {seen:,} records, {rate:,.0f}/s, load {load_average()}", flush=True)
            yield record

    try:
        total = backend.reindex(counted())
    finally:
        backend.close()
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu_began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{kind}: built {total:,} records in {seconds:.1f} s ({total / seconds:,.0f} records/s: "
        f"records {'read from ' + str(records) if records else f'generated in {workers} workers'}"
        f", reindex() in this process; CPU of this process {cpu:.1f} s, "
        f"{total / cpu:,.0f} records per CPU second), peak RSS of this process {peak:,.0f} MiB, "
        f"index {index_mib(path):,.0f} MiB, load {load_average()}"
    )


def percentiles(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return statistics.median(latencies), cuts[94]


def run_clients(search: Callable[[str], object], clients: int, searches: int) -> dict[str, float]:
    latencies: list[float] = []
    cpu: list[float] = []
    lock = threading.Lock()
    process_began = time.process_time()

    def client(offset: int) -> None:
        mine, used = [], []
        for number in range(searches):
            term = QUERIES[(offset + number) % len(QUERIES)]
            start, thread_start = time.perf_counter(), time.thread_time()
            search(term)
            mine.append((time.perf_counter() - start) * 1000)
            used.append((time.thread_time() - thread_start) * 1000)
        with lock:
            latencies.extend(mine)
            cpu.extend(used)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    # Every thread of the process (engine threads too) per search: what thread_time misses
    # if a backend searches on threads of its own.
    process_cpu = (time.process_time() - process_began) * 1000 / len(latencies)
    p50, p95 = percentiles(latencies)
    cpu50, cpu95 = percentiles(cpu)
    return {
        "p50": p50,
        "p95": p95,
        "rate": len(latencies) / wall,
        "cpu50": cpu50,
        "cpu95": cpu95,
        "process_cpu": process_cpu,
    }


def search(
    folder: Path, http: bool, caches: list[int], searches: int, kind: str = "sqlite"
) -> None:
    path = index_path(folder, kind)
    backend = open_backend(folder, kind)
    began, cpu_began = time.perf_counter(), time.process_time()
    backend.open()
    opened, opened_cpu = time.perf_counter() - began, time.process_time() - cpu_began
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{kind}: {backend.count():,} records, index {index_mib(path):,.0f} MiB; open() "
        f"{opened:.2f} s ({opened_cpu:.2f} s CPU), peak RSS {rss:,.0f} MiB, "
        f"load {load_average()}",
        flush=True,
    )
    try:
        if isinstance(backend, TantivyBackend):
            measure(backend, searches)
        for cache_mb in caches if isinstance(backend, SqliteBackend) else []:
            backend.resize_cache(cache_mb * 2**20)
            print(f"match cache {cache_mb} MiB", flush=True)
            measure(backend, searches)
    finally:
        backend.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS after the searches {rss:,.0f} MiB", flush=True)
    if http and kind == "sqlite":  # bench_config serves the SQLite index
        search_http(folder)


class TimedBackend:
    """`backend` with the CPU time of each `search` call kept (the calling thread's), so the
    SearchService's own share of a search is the whole minus what `backend.search` took."""

    def __init__(self, backend: SearchBackend) -> None:
        self.backend = backend
        self.spent: list[float] = []

    def search(self, query: Query) -> Results:
        began = time.thread_time()
        try:
            return self.backend.search(query)
        finally:
            self.spent.append(time.thread_time() - began)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)


def split(backend: SearchBackend, themer: Themer, searches: int) -> None:
    """Where a cold 1-client search's CPU goes: the SearchService's own part (expansion,
    identifiers, typos, labels) against `backend.search`, and what the thesaurus expansion
    costs the backend (the same terms searched unexpanded, and the records matched)."""
    timed = TimedBackend(backend)
    service = SearchService(cast(SearchBackend, timed), themer, ["fr", "en"])
    whole: list[float] = []
    plain: list[float] = []
    matched = [0, 0]
    for number in range(max(searches, len(QUERIES))):
        query = Query(q=QUERIES[number % len(QUERIES)], size=20)
        began = time.thread_time()
        found = service.run(query)
        whole.append(time.thread_time() - began)
        began = time.thread_time()
        unexpanded = backend.search(query)
        plain.append(time.thread_time() - began)
        matched[0] += unexpanded.total
        matched[1] += found.results.total
    own = [1000 * (w - b) for w, b in zip(whole, timed.spent, strict=True)]
    print(
        f"  split, 1 client: whole search CPU mean {1000 * statistics.mean(whole):6.1f} ms, "
        f"backend.search {1000 * statistics.mean(timed.spent):6.1f} ms, the service's own "
        f"{statistics.mean(own):5.2f} ms (p95 {percentiles(own)[1]:5.2f}); backend.search "
        f"without expansion {1000 * statistics.mean(plain):6.1f} ms, records matched "
        f"{matched[1] / max(matched[0], 1):.2f}x with it  load {load_average()}",
        flush=True,
    )


def measure(backend: SearchBackend, searches: int) -> None:
    themer = load_themer(ThemesSettings())
    service = SearchService(backend, themer, ["fr", "en"])
    cases: dict[str, Callable[[str], object]] = {
        "text + facets + 20 hits": lambda q: service.run(Query(q=q, size=20)),
        "text + facets + bbox + 20 hits": lambda q: service.run(Query(q=q, bbox=BBOX, size=20)),
    }
    for term in QUERIES:  # warm: first use of each term's stems, caches
        service.run(Query(q=term, size=20))
    split(backend, themer, searches)
    for name, run in cases.items():
        for term in QUERIES:  # warm: first use of each term's stems, caches
            run(term)
        for clients in (1, 8):
            found = run_clients(run, clients, searches)
            print(
                f"  {name:<32} {clients} client(s): p50 {found['p50']:7.1f} ms  "
                f"p95 {found['p95']:7.1f} ms  {found['rate']:7.1f} searches/s  "
                f"CPU p50 {found['cpu50']:6.1f} ms p95 {found['cpu95']:6.1f} ms  "
                f"process CPU/search {found['process_cpu']:6.1f} ms  "
                f"load {load_average()}",
                flush=True,
            )


def search_http(folder: Path) -> None:
    config = bench_config(folder)
    with MoissonServer(config, 2) as server:
        for clients in (1, 8):
            found = load(server.url, search_request, clients, QUERIES, requests_per_client=60)
            print(
                f"  HTTP /api/search + bbox {clients} client(s): p50 {found['p50_ms']:7.1f} ms  "
                f"p95 {found['p95_ms']:7.1f} ms  {found['req_s']:7.1f} req/s  "
                f"errors {found['errors']:.0f}  load {load_average()}",
                flush=True,
            )


def save_postings(folder: Path, drop: bool) -> None:
    """Save the frequent terms' posting sets into an index built before they existed (what
    `reindex()` now does itself, sqlite_postings.py), or with `drop` remove them, so one
    index measures both."""
    tables = SqliteTables(index_path(folder, "sqlite"))
    conn = tables.connect(readonly=False)
    began, cpu_began = time.perf_counter(), time.process_time()
    try:
        conn.execute("BEGIN IMMEDIATE")
        if drop:
            conn.execute("DELETE FROM meta WHERE key = 'postings'")
            conn.execute("DROP TABLE IF EXISTS posting_arrays")
            written = 0
        else:
            epoch, generation = SqliteTables.meta(conn)
            written = sqlite_postings.save(conn, FIELDS, epoch, generation)
        conn.execute("COMMIT")
    finally:
        conn.close()
    print(
        f"posting sets {'dropped' if drop else 'saved'}: {written / 2**20:,.1f} MiB in "
        f"{time.perf_counter() - began:.1f} s ({time.process_time() - cpu_began:.1f} s CPU), "
        f"load {load_average()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    building = commands.add_parser("build", help="generate, parse, theme and index N records")
    building.add_argument("n", type=int)
    building.add_argument("folder", type=Path)
    building.add_argument("--workers", type=int, default=2)
    building.add_argument(
        "--distinct", type=int, default=0, help="generate this many, repeat them to N"
    )
    building.add_argument("--records", type=Path, help="repeat the records of this dump")
    building.add_argument("--backend", choices=("sqlite", "tantivy"), default="sqlite")
    dumping = commands.add_parser("dump", help="write D parsed, themed records as JSON lines")
    dumping.add_argument("n", type=int)
    dumping.add_argument("file", type=Path)
    dumping.add_argument("--workers", type=int, default=2)
    searching = commands.add_parser("search", help="measure searches on a built index")
    searching.add_argument("folder", type=Path)
    searching.add_argument("--http", action="store_true", help="also through moisson serve")
    searching.add_argument("--backend", choices=("sqlite", "tantivy"), default="sqlite")
    searching.add_argument("--searches", type=int, default=SEARCHES_PER_CLIENT, help="per client")
    searching.add_argument(
        "--cache-mb", default="0,256", help="match cache sizes to measure, one run each"
    )
    saving = commands.add_parser("postings", help="save (or --drop) the frequent terms' sets")
    saving.add_argument("folder", type=Path)
    saving.add_argument("--drop", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "postings":
        save_postings(args.folder, args.drop)
    elif args.command == "build":
        distinct = args.distinct or args.n
        build(args.n, args.folder, args.workers, distinct, args.backend, args.records)
    elif args.command == "dump":
        dump(args.n, args.file, args.workers)
    else:
        caches = [int(x) for x in args.cache_mb.split(",")]
        search(args.folder, args.http, caches, args.searches, args.backend)
    return 0


if __name__ == "__main__":
    sys.exit(main())
