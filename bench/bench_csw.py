"""Moisson against its peers on the same N generated ISO 19139 records, in one run.

    .venv/bin/python -m bench.bench_csw 10000            # everything, pycsw included
    .venv/bin/python -m bench.bench_csw 100000 --no-peer  # ours only (pycsw loads ~200 rec/s)

Prints, for the same records and queries:

- parse: records/s for Moisson's CSW/ISO reader, OWSLib's `MD_Metadata` (what QGIS
  MetaSearch and many harvesters use) and a bare lxml parse with no extraction (the floor);
- ingest: records/s for a Moisson harvest of the records as a `file:` CSW source (parse +
  store + index, committed per page) and for pycsw's own `load_records`;
- search: latency p50/p95 and throughput with 1 and 8 concurrent clients, for Moisson's API
  under gunicorn (`moisson serve`, text query + every facet counted) and for pycsw GetRecords
  (CQL `csw:AnyText like`, brief records, no facets: pycsw has none).

A benchmark, not a test: run it on an otherwise idle machine and compare ratios, which move
less between machines than absolute numbers.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from bench.generate import write_records
from bench.http_load import Client, MoissonServer, Request, load
from harvester.base import SourceContext
from harvester.csw import CswOptions, CswSource
from harvester.formats.csw_response import read_document
from harvester.http import HttpClient
from indexer.backends import build_backend
from indexer.store import Store
from moisson.config import HarvestSettings
from pipeline.ingest import Ingestor
from pipeline.runs import run_source
from testkit.pycsw_server import PycswServer, ensure_pycsw_venv

# Terms that occur in the generated titles/abstracts, French and English, some accented.
QUERIES = (
    "humides", "éoliens", "forêts", "inondation", "natura", "sols", "bruit", "cadastrales",
    "eau", "espèces", "wind", "erosion", "chiroptères", "haies", "captage", "orthophotographie",
)  # fmt: skip
REQUESTS_PER_CLIENT = 60
OWSLIB_SAMPLE = 2000  # OWSLib is slow: time it on a sample, it scales linearly
ROOT = Path(__file__).resolve().parents[1]


def load_average() -> str:
    return "/".join(f"{figure:.1f}" for figure in os.getloadavg())


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def cpu_timed(action: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of an in-process action: on a shared machine the CPU seconds
    compare between runs, the wall clock does not."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


# --- parse -----------------------------------------------------------------------------


def bench_parse(files: list[Path]) -> dict[str, dict[str, float]]:
    """Per reader: records/s by the wall clock and CPU microseconds a record."""
    from owslib.iso import MD_Metadata

    blobs = [f.read_bytes() for f in files]
    sample = blobs[:OWSLIB_SAMPLE]
    plain = etree.XMLParser(resolve_entities=False, no_network=True)

    def ours() -> None:
        for blob in blobs:
            read_document(blob, "bench")

    def bare() -> None:
        for blob in blobs:
            etree.fromstring(blob, plain)

    def owslib() -> None:
        for blob in sample:
            MD_Metadata(etree.fromstring(blob, plain))

    figures = {}
    for name, action, count in (
        ("moisson", ours, len(blobs)),
        ("bare lxml", bare, len(blobs)),
        ("owslib", owslib, len(sample)),
    ):
        wall, cpu = cpu_timed(action)
        figures[name] = {"rate": rate(count, wall), "cpu_us": cpu / count * 1e6}
    return figures


# --- ingest ----------------------------------------------------------------------------


def bench_ingest(folder: Path, work: Path, count: int) -> tuple[float, float, Path]:
    """Harvest the folder as a file: CSW source into a fresh store and index; returns rec/s,
    CPU seconds and the config file that serves the result."""
    store_url, index_url = f"sqlite:///{work}/store.db", f"sqlite:///{work}/index.db"
    options = CswOptions(id="bench", kind="csw", url=folder.as_uri())
    backend = build_backend(index_url)
    backend.open()
    try:
        with Store(store_url) as store, HttpClient(HarvestSettings(rate_limit=0)) as http:
            start, cpu = time.perf_counter(), time.process_time()
            source = CswSource(options, SourceContext.with_http(http))
            report = run_source(source, "bench", Ingestor(store, backend))
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        backend.close()
    if report.seen != count:
        sys.exit(f"ingest saw {report.seen} records, expected {count}: {report.summary()}")
    config = work / "moisson.toml"
    config.write_text(
        f'[store]\nurl = "{store_url}"\n[index]\nurl = "{index_url}"\n'
        "[api]\nanonymous_rate_limit = 0\n"  # a load test, not a client to throttle
        "[harvest]\nallow_files = true\n"
        f'[[sources]]\nid = "bench"\nkind = "csw"\nurl = "{folder.as_uri()}"\n'
        'name = "Generated benchmark records"\n',
        encoding="utf-8",
    )
    return rate(count, seconds), cpu, config


def bench_harvest(folder: Path, work: Path, count: int, workers: int) -> dict[str, float]:
    """A whole `moisson harvest` of the folder (themes and duplicates on, the defaults) in
    a fresh process with `[harvest] workers`: wall and CPU seconds (the worker processes'
    included), peak RSS."""
    where = work / f"harvest-{workers}"
    where.mkdir()
    config = where / "moisson.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{where}/store.db"\n'
        f'[index]\nurl = "sqlite:///{where}/index.db"\n'
        f"[harvest]\nallow_files = true\nrate_limit = 0\nworkers = {workers}\n"
        f'[[sources]]\nid = "bench"\nkind = "csw"\nurl = "{folder.as_uri()}"\n',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "pipeline.cli", "--config", str(config), "harvest"]
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or f"{count} seen" not in done.stdout:
        sys.exit(f"moisson harvest failed:\n{(done.stdout + done.stderr)[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": seconds, "cpu": cpu, "rate": rate(count, seconds), "rss": after.ru_maxrss}


# --- search ----------------------------------------------------------------------------


def measure(base: str, request: Request, clients: int) -> dict[str, float]:
    figures = load(base, request, clients, QUERIES, requests_per_client=REQUESTS_PER_CLIENT)
    if figures["errors"]:
        sys.exit(f"{figures['errors']:.0f} failed searches against {base}")
    return figures


def moisson_request(client: Client, term: str) -> tuple[int, bytes]:
    status, body = client.get("/api/search", {"q": term, "size": "20"})
    if status == 200 and re.search(rb'"facets":\s*\{\}', body):
        sys.exit("the API answered without facets: the comparison would be unfair")
    return status, body


def pycsw_request(client: Client, term: str) -> tuple[int, bytes]:
    params = {
        "service": "CSW", "version": "2.0.2", "request": "GetRecords",
        "typenames": "csw:Record", "elementsetname": "brief", "resulttype": "results",
        "maxrecords": "20", "constraintlanguage": "CQL_TEXT",
        "constraint_language_version": "1.1.0",
        "constraint": f"csw:AnyText like '%{term}%'",
    }  # fmt: skip
    status, body = client.get("/csw", params)
    if b"ExceptionReport" in body:
        sys.exit(f"pycsw refused the query: {body[:300]!r}")
    return status, body


# --- report ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of generated records")
    parser.add_argument("--no-peer", action="store_true", help="skip pycsw (slow to load)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for our API")
    parser.add_argument("--no-search", action="store_true", help="skip the search phase")
    parser.add_argument(
        "--harvest-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="also time whole `moisson harvest` runs with [harvest] workers = 1 and this",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="moisson-bench-") as tmp:
        work = Path(tmp)
        files = write_records(work / "records", args.n)
        size = sum(f.stat().st_size for f in files) // 1024
        print(f"{args.n} generated ISO 19139 records, {size} KiB")

        parse = bench_parse(files)
        print(f"\nparse (records/s by the wall clock; CPU per record) load {load_average()}")
        for name, value in parse.items():
            print(f"  {name:<12} {value['rate']:>10,.0f}   {value['cpu_us']:8.1f} us CPU")
        us = {name: value["cpu_us"] for name, value in parse.items()}
        print(f"  CPU: moisson vs owslib {us['owslib'] / us['moisson']:.1f}x faster; "
              f"vs bare lxml {us['moisson'] / us['bare lxml']:.2f}x slower")  # fmt: skip

        ours, ours_cpu, config = bench_ingest(work / "records", work, args.n)
        print(f"\ningest (records/s; CPU seconds) load {load_average()}")
        print(f"  moisson      {ours:>10,.0f}   {ours_cpu:7.1f} s CPU"
              "   (parse + store + index, file: CSW source)")  # fmt: skip

        print("\nwhole `moisson harvest` (themes + duplicates on), one process each")
        for workers in sorted({1, args.harvest_workers}):
            found = bench_harvest(work / "records", work, args.n, workers)
            print(f"  workers={workers}  {found['rate']:>8,.0f} records/s  "
                  f"wall {found['seconds']:6.1f} s  CPU {found['cpu']:6.1f} s  "
                  f"peak RSS {found['rss'] / 1024:,.0f} MiB  "
                  f"(load {load_average()})")  # fmt: skip

        mine: dict[int, dict[str, float]] = {}
        if not args.no_search:
            with MoissonServer(config, args.workers) as server:
                mine = {c: measure(server.url, moisson_request, c) for c in (1, 8)}
        theirs: dict[int, dict[str, float]] = {}
        if not args.no_peer:
            ensure_pycsw_venv()
            before = children_cpu()  # the set-up and load processes have ended once entered
            with PycswServer(files, timeout=1800) as pycsw:
                peer_cpu = children_cpu() - before
                peer_rate = rate(len(pycsw.load.loaded), pycsw.load.seconds)
                print(f"\n  pycsw        {peer_rate:>10,.0f}   {peer_cpu:7.1f} s CPU   "
                      "(load_records; CPU of its set-up and load processes)")  # fmt: skip
                print(f"  moisson ingest vs pycsw: {ours / peer_rate:.1f}x by the wall clock, "
                      f"{peer_cpu / ours_cpu:.1f}x by CPU (load {load_average()})")  # fmt: skip
                if not args.no_search:
                    theirs = {c: measure(pycsw.url, pycsw_request, c) for c in (1, 8)}
        if args.no_search:
            return 0

        print(f"\nsearch ({REQUESTS_PER_CLIENT} queries per client, {len(QUERIES)} terms)")
        for clients in (1, 8):
            for name, figures in (("moisson", mine[clients]), ("pycsw", theirs.get(clients))):
                if figures:
                    p50, p95, req_s = figures["p50_ms"], figures["p95_ms"], figures["req_s"]
                    print(f"  {name:<8} {clients} client(s): p50 {p50:7.1f} ms  "
                          f"p95 {p95:7.1f} ms  {req_s:7.1f} req/s")  # fmt: skip
            if clients in theirs:
                ratio = mine[clients]["req_s"] / theirs[clients]["req_s"]
                print(f"  throughput moisson/pycsw at {clients}: {ratio:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
