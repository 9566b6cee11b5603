"""Server time of the web pages (issue 16) at N records: home, first search result page,
a filtered search page, record page; the JSON search of the same query as the reference.

    .venv/bin/python -m bench.bench_webui 10000 100000

For each N: N generated ISO 19139 records (bench/generate.py) written as a `file:` CSW
source and harvested by the real `moisson harvest` (themes on, so the home tiles and the
theme tree have counts; duplicate detection off, it is not what is measured here), then
each page requested through the app in-process (Flask test client: the time is the
server's, with no network), warm-up first, p50/p95 of wall time over the runs, and the p50
of the process's CPU time (on a machine busy with other jobs, wall time counts their turns
too; CPU time is what the request itself costs). `--keep DIR` keeps the harvested store and
index in DIR/<N> and reuses them on the next run. The target of issue 16:
first result page <= 100 ms server time at 100k records.

A benchmark, not a test: the figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

from bench.bench_scale import BBOX, write_stream
from indexer.backends import build_backend
from indexer.store import Store
from moisson.config import load_settings
from pipeline.cli import main as moisson
from pipeline.runtime import Runtime
from search_api.app import create_app

TERMS = ("zones humides", "foret", "eau", "natura 2000", "occupation du sol", "bruit")
RUNS = 60


def harvested(work: Path, n: int) -> Path:
    """The config of a store and index holding n generated records, harvested (or kept from
    an earlier run in the same folder)."""
    config = work / "moisson.toml"
    if (work / "harvested").exists():
        print(f"  reusing the {n:,} records harvested in {work}")
        return config
    records = work / "records"
    write_stream(records, n)
    config.write_text(
        f'[store]\nurl = "sqlite:///{work}/store.db"\n'
        f'[index]\nurl = "sqlite:///{work}/index.db"\n'
        "[api]\nanonymous_rate_limit = 0\n"
        "[harvest]\nallow_files = true\nrate_limit = 0\n"
        "[duplicates]\nenabled = false\n"
        f'[[sources]]\nid = "bench"\nkind = "csw"\nurl = "{records.as_uri()}"\n'
        'name = "Generated benchmark records"\n',
        encoding="utf-8",
    )
    started = time.perf_counter()
    if moisson(["--config", str(config), "harvest"]) != 0:
        sys.exit("the harvest failed")
    print(f"  harvested {n:,} records in {time.perf_counter() - started:.0f} s")
    (work / "harvested").touch()
    return config


def timings(client: FlaskClient, urls: Callable[[int], str]) -> tuple[float, float, float]:
    """Wall p50, wall p95 and CPU p50 in ms of RUNS requests (after one warm-up request per
    distinct URL)."""
    for number in range(len(TERMS)):
        client.get(urls(number)).close()
    wall, cpu = [], []
    for number in range(RUNS):
        url = urls(number)
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        response.get_data()
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
        response.close()
    wall.sort()
    return statistics.median(wall), wall[int(len(wall) * 0.95) - 1], statistics.median(cpu)


def measure(config: Path) -> dict[str, tuple[float, float, float]]:
    settings = load_settings(config)
    backend = build_backend(settings.index.url)
    backend.open()
    try:
        with Store(settings.store.url) as store:
            client = create_app(Runtime(settings, store=store, backend=backend)).test_client()
            ids = [h["id"] for h in client.get("/api/search?size=100").get_json()["hits"]]
            pick = random.Random(7)
            term = lambda i: TERMS[i % len(TERMS)]  # noqa: E731
            return {
                "home (theme tiles)": timings(client, lambda i: "/"),
                "search page: text": timings(client, lambda i: f"/search?q={term(i)}"),
                "search page: text + theme + bbox + year sort": timings(
                    client,
                    lambda i: f"/search?q={term(i)}&theme=biodiversity&bbox={BBOX}&sort=date",
                ),
                "search page: no text (everything)": timings(client, lambda i: "/search"),
                "record page": timings(client, lambda i: f"/records/{pick.choice(ids)}"),
                "JSON /api/search: text (reference)": timings(
                    client, lambda i: f"/api/search?q={term(i)}"
                ),
            }
    finally:
        backend.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", type=int, nargs="+", help="numbers of generated records")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="moisson-webui-") as tmp:
            work = (args.keep / str(n)) if args.keep else Path(tmp)
            work.mkdir(parents=True, exist_ok=True)
            print(f"{n:,} records")
            figures = measure(harvested(work, n))
            for page, (p50, p95, cpu) in figures.items():
                print(f"  {page:46s} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  CPU p50 {cpu:6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
