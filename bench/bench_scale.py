"""Moisson end to end at N records: harvest, search, reindex, memory and disk (issue 19).

    .venv/bin/python -m bench.bench_scale 100000
    .venv/bin/python -m bench.bench_scale 100000 --keep /tmp/scale   # keep store, index, files
    .venv/bin/python -m bench.bench_scale 10000 --harvest-workers 1,2  # both, side by side

Steps, each as users run it (the `moisson` CLI in a fresh process, so its peak RSS is its own):

1. write N generated ISO 19139 records (bench/generate.py) one file at a time into a folder:
   the generator is a stream, no step ever holds all records in memory;
2. `moisson harvest` of that folder as a `file:` CSW source with the default settings
   (theme matching and duplicate clustering on): records/s, peak RSS, and the CPU seconds
   of the writer (the `moisson` process: store, index, clusters) apart from those of its
   page workers (read, parse, themes, fingerprints); with `--harvest-workers 1,2` once per
   `[harvest] workers` value, each into a fresh store (the last one is searched);
3. `moisson serve` (gunicorn) and searches at 1 and 8 clients: text + every facet + a bbox +
   20 hits, p50/p95 and req/s;
4. `moisson reindex` (index rebuilt from the store): records/s, peak RSS;
5. disk size of the store and the index.

A benchmark, not a test: the figures depend on the machine and its load; run it on an idle
machine, and read growth between sizes (10k, 100k, 1M) rather than single figures.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_csw import QUERIES, measure
from bench.generate import generate_iso_records
from bench.http_load import Client, MoissonServer

ROOT = Path(__file__).resolve().parents[1]
BBOX = "-5.5,41.0,10.0,51.5"  # metropolitan France: most generated records intersect it
TIME = "/usr/bin/time"
# `moisson` with its own CPU (the writer) and its children's (the page workers) on stderr.
CLI_WITH_CPU = """
import resource, sys
from pipeline.cli import main
try:
    code = main(sys.argv[1:])
finally:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"cpu-writer={own.ru_utime + own.ru_stime:.2f} "
          f"cpu-workers={kids.ru_utime + kids.ru_stime:.2f}", file=sys.stderr)
sys.exit(code)
"""


def write_stream(folder: Path, n: int) -> int:
    """Write the records one by one; returns the bytes written."""
    folder.mkdir(parents=True, exist_ok=True)
    size = 0
    for identifier, data in generate_iso_records(n):
        (folder / f"{identifier}.xml").write_bytes(data)
        size += len(data)
    return size


def run_cli(config: Path, *args: str, env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run one `moisson` command in a fresh process: (seconds, peak RSS KiB, output)."""
    command = [sys.executable, "-c", CLI_WITH_CPU, "--config", str(config), *args]
    if Path(TIME).exists():
        command = [TIME, "-f", "peak-rss-kib=%M", *command]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - start
    output = done.stdout + done.stderr
    if done.returncode != 0:
        sys.exit(f"moisson {' '.join(args)} failed ({done.returncode}):\n{output[-2000:]}")
    peak = re.search(r"peak-rss-kib=(\d+)", output)
    return seconds, int(peak.group(1)) if peak else 0, output


def search_request(client: Client, term: str) -> tuple[int, bytes]:
    status, body = client.get("/api/search", {"q": term, "bbox": BBOX, "size": "20"})
    if status == 200 and re.search(rb'"facets":\s*\{\}', body):
        sys.exit("the API answered without facets: the search would be too cheap")
    return status, body


def write_config(config: Path, records: Path, store: Path, index: Path) -> None:
    config.write_text(
        f'[store]\nurl = "sqlite:///{store}"\n[index]\nurl = "sqlite:///{index}"\n'
        "[api]\nanonymous_rate_limit = 0\n"
        "[harvest]\nallow_files = true\nrate_limit = 0\n"
        f'[[sources]]\nid = "scale"\nkind = "csw"\nurl = "{records.as_uri()}"\n'
        'name = "Generated scale records"\n',
        encoding="utf-8",
    )


def mib(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.parent.glob(f"{path.name}*")]
    return sum(p.stat().st_size for p in files if p.is_file()) / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of generated records")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for the API")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--harvest-workers",
        default="2",
        help="comma-separated `[harvest] workers` values, one harvest each (default 2)",
    )
    parser.add_argument(
        "--skip-reindex",
        action="store_true",
        help="leave out the reindex (at 1M it takes as long as the harvest)",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="moisson-scale-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        records = work / "records"
        start = time.perf_counter()
        size = write_stream(records, args.n)
        print(f"{args.n:,} records written as a stream, {size / 2**20:,.0f} MiB, "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip

        print(f"\nharvest (themes + duplicates on), load average {os.getloadavg()[0]:.1f}")
        for workers in [int(w) for w in args.harvest_workers.split(",")]:
            store, index = work / f"store-w{workers}.db", work / f"index-w{workers}.db"
            config = work / "moisson.toml"
            write_config(config, records, store, index)
            env = os.environ | {"MOISSON_HARVEST__WORKERS": str(workers)}
            seconds, peak, output = run_cli(config, "harvest", env=env)
            if f"{args.n} seen" not in output:
                sys.exit(f"the harvest did not see {args.n} records:\n{output[-2000:]}")
            cpu = dict(re.findall(r"cpu-(writer|workers)=([\d.]+)", output))
            print(f"  workers={workers}: {seconds:.1f} s, {args.n / seconds:,.0f} records/s, "
                  f"CPU writer {float(cpu.get('writer', 0)):.1f} s + "
                  f"workers {float(cpu.get('workers', 0)):.1f} s, "
                  f"peak RSS {peak / 1024:,.0f} MiB, "
                  f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip

        with MoissonServer(config, args.workers) as server:
            figures = {c: measure(server.url, search_request, c) for c in (1, 8)}
        print(f"\nsearch (text + facets + bbox + 20 hits, {len(QUERIES)} terms)")
        for clients, found in figures.items():
            print(f"  {clients} client(s): p50 {found['p50_ms']:7.1f} ms  "
                  f"p95 {found['p95_ms']:7.1f} ms  {found['req_s']:7.1f} req/s")  # fmt: skip

        if not args.skip_reindex:
            seconds, peak, _ = run_cli(config, "reindex")
            print(f"\nreindex from the store: {seconds:.1f} s, {args.n / seconds:,.0f} "
                  f"records/s, peak RSS {peak / 1024:,.0f} MiB")  # fmt: skip
        print(f"\ndisk: store {mib(store):,.0f} MiB, index {mib(index):,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
