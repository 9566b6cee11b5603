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

A benchmark, not a test: the figures depend on the machine's load (printed with them).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.bench_csw import QUERIES
from bench.bench_scale import search_request
from bench.generate import generate_iso_records
from bench.http_load import MoissonServer, bench_config, load
from harvester.formats.csw_response import read_document
from indexer.backends.sqlite import SqliteBackend
from indexer.search_service import SearchService
from indexer.themes import Themer, load_themer
from moisson.config import ThemesSettings
from moisson.query import Query
from moisson.record import BBox, Record

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
    files = [p for p in path.parent.glob(f"{path.name}*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def replicated(n: int, distinct: int, workers: int) -> Iterator[Record]:
    """N records made of `distinct` generated ones (held in memory) repeated under new ids
    (`<id>~<copy>`): the same word, facet and box distributions as N generated records, at
    the parse and theme cost of `distinct` (a 1M build on a loaded 2-core machine otherwise
    takes hours in the ISO parser, which is not what this benchmark measures)."""
    originals = list(stream_records(distinct, workers))
    copy = 0
    while True:
        for record in originals:
            if n <= 0:
                return
            n -= 1
            yield record if not copy else record.model_copy(update={"id": f"{record.id}~{copy}"})
        copy += 1


def build(n: int, folder: Path, workers: int, distinct: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.db"
    backend = SqliteBackend(path)
    backend.open()
    began = time.perf_counter()
    seen = 0

    def counted() -> Iterator[Record]:
        nonlocal seen
        source = stream_records(n, workers) if distinct >= n else replicated(n, distinct, workers)
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
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"built {total:,} records in {seconds:.1f} s ({total / seconds:,.0f} records/s: "
        f"generate + parse + themes in {workers} workers, reindex() in this process), "
        f"peak RSS of this process {peak:,.0f} MiB, index {index_mib(path):,.0f} MiB, "
        f"load {load_average()}"
    )


def percentiles(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return statistics.median(latencies), cuts[94]


def run_clients(search: Callable[[str], object], clients: int, searches: int) -> dict[str, float]:
    latencies: list[float] = []
    cpu: list[float] = []
    lock = threading.Lock()

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
    p50, p95 = percentiles(latencies)
    cpu50, cpu95 = percentiles(cpu)
    return {"p50": p50, "p95": p95, "rate": len(latencies) / wall, "cpu50": cpu50, "cpu95": cpu95}


def search(folder: Path, http: bool, caches: list[int], searches: int) -> None:
    path = folder / "index.db"
    backend = SqliteBackend(path)
    began, cpu = time.perf_counter(), time.process_time()
    backend.open()
    opened, cpu = time.perf_counter() - began, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{backend.count():,} records, index {index_mib(path):,.0f} MiB; open() {opened:.1f} s "
        f"({cpu:.1f} s CPU), peak RSS {rss:,.0f} MiB, load {load_average()}",
        flush=True,
    )
    try:
        for cache_mb in caches:
            backend.resize_cache(cache_mb * 2**20)
            print(f"match cache {cache_mb} MiB", flush=True)
            measure(backend, searches)
    finally:
        backend.close()
    if http:
        search_http(folder)


def measure(backend: SqliteBackend, searches: int) -> None:
    service = SearchService(backend, load_themer(ThemesSettings()), ["fr", "en"])
    cases: dict[str, Callable[[str], object]] = {
        "text + facets + 20 hits": lambda q: service.run(Query(q=q, size=20)),
        "text + facets + bbox + 20 hits": lambda q: service.run(Query(q=q, bbox=BBOX, size=20)),
    }
    for name, run in cases.items():
        for term in QUERIES:  # warm: first use of each term's stems, caches
            run(term)
        for clients in (1, 8):
            found = run_clients(run, clients, searches)
            print(
                f"  {name:<32} {clients} client(s): p50 {found['p50']:7.1f} ms  "
                f"p95 {found['p95']:7.1f} ms  {found['rate']:7.1f} searches/s  "
                f"CPU p50 {found['cpu50']:6.1f} ms p95 {found['cpu95']:6.1f} ms  "
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
    searching = commands.add_parser("search", help="measure searches on a built index")
    searching.add_argument("folder", type=Path)
    searching.add_argument("--http", action="store_true", help="also through moisson serve")
    searching.add_argument("--searches", type=int, default=SEARCHES_PER_CLIENT, help="per client")
    searching.add_argument(
        "--cache-mb", default="0,256", help="match cache sizes to measure, one run each"
    )
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.n, args.folder, args.workers, args.distinct or args.n)
    else:
        caches = [int(x) for x in args.cache_mb.split(",")]
        search(args.folder, args.http, caches, args.searches)
    return 0


if __name__ == "__main__":
    sys.exit(main())
