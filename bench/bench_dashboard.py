"""The activity dashboard's server time at N records, and what the search log costs a search.

    .venv/bin/python -m bench.bench_dashboard 10000 100000
    .venv/bin/python -m bench.bench_dashboard 100000 --keep /tmp/dash   # reuse a harvest

For each N:

1. N generated ISO 19139 records (bench/generate.py) harvested by `moisson harvest` from a
   `file:` CSW folder (themes and duplicates on), in a fresh process; a year of search-log
   rows added through the store (300 distinct queries a day, a tenth without result);
2. dashboard server time: the theme history (the one pass over every record, kept between
   requests while no record is added or retired, a minute at most), then GET /dashboard as an
   admin through the app in-process (Flask test client: the server's own time, no HTTP or
   browser) with the history kept, for the 30-day and 365-day periods, p50 of REPEATS
   requests after one warm-up, and `build_dashboard` alone (the figures without templates);
3. the search log's cost on GET /api/search: `moisson serve` (1 worker) with
   `[search_log] enabled = true` and one with `false`, both running, the same text searches
   (20 hits) sent to each in turn; p50 / p95 and the ratio (the peer is the same server
   without the log).

A benchmark, not a test: figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.bench_csw import QUERIES
from bench.bench_scale import run_cli, write_stream
from bench.http_load import Client, MoissonServer
from indexer.dashboard import build_dashboard
from indexer.store import Store
from indexer.store.search_log import SearchCounts
from moisson.config import load_settings
from pipeline.runtime import Runtime
from search_api.app import create_app

REPEATS = 7
SEARCHES = 400  # per server, alternating
LOGGED_QUERIES = 300  # distinct queries a day in the prepared search log
ADMIN = {"sec-username": "bench", "sec-roles": "ROLE_MOISSON_ADMIN"}


def write_config(work: Path, records: Path, *, search_log: bool) -> Path:
    config = work / f"moisson-log-{'on' if search_log else 'off'}.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{work / "store.db"}"\n'
        f'[index]\nurl = "sqlite:///{work / "index.db"}"\n'
        "[api]\nanonymous_rate_limit = 0\nadmin_open = true\n"
        "[harvest]\nallow_files = true\nrate_limit = 0\n"
        f"[search_log]\nenabled = {'true' if search_log else 'false'}\n"
        f'[[sources]]\nid = "scale"\nkind = "csw"\nurl = "{records.as_uri()}"\n'
        'name = "Generated records"\n',
        encoding="utf-8",
    )
    return config


def fill_search_log(store_url: str) -> None:
    """A year of searches: LOGGED_QUERIES distinct (query, filters) a day, a tenth of them
    without result, written through the store as the log's writer does."""
    today = datetime.now(UTC).date()
    with Store(store_url) as store:
        for back in range(365):
            day = today - timedelta(days=back)
            store.add_searches(
                {
                    (day, f"{QUERIES[q % len(QUERIES)]} {q}", "" if q % 3 else "theme=t"): (
                        SearchCounts(1 + q % 7, 1 if q % 10 == 0 else 0, 0 if q % 10 == 0 else 12)
                    )
                    for q in range(LOGGED_QUERIES)
                }
            )
    print(f"search log: {365 * LOGGED_QUERIES:,} rows over 365 days")


def prepare(work: Path, n: int) -> Path:
    """Harvest N records into `work` (once: a kept folder is reused) and fill the log
    (when it is empty)."""
    records = work / "records"
    config = write_config(work, records, search_log=True)
    store_url = f"sqlite:///{work / 'store.db'}"
    if (work / "store.db").exists():
        print(f"reusing the harvest in {work}")
    else:
        start = time.perf_counter()
        write_stream(records, n)
        print(f"{n:,} records written in {time.perf_counter() - start:.1f} s")
        seconds, _, output = run_cli(config, "harvest")
        if f"{n} seen" not in output:
            sys.exit(f"the harvest did not see {n} records:\n{output[-2000:]}")
        print(f"harvest: {seconds:.1f} s")
    with Store(store_url) as store:
        empty = not store.searches_by_day(date(1970, 1, 1))
    if empty:
        fill_search_log(store_url)
    return config


def p50_ms(action: Callable[[], object]) -> str:
    """Wall and CPU time of `action` (p50 of REPEATS after a warm-up), in ms. In-process and
    single-threaded, so CPU time is the request's own work: on a busy machine the wall time
    also counts the waits for a core, the CPU time does not."""
    wall, cpu = [], []
    for attempt in range(REPEATS + 1):
        start, start_cpu = time.perf_counter(), time.thread_time()
        action()
        if attempt:  # the first is a warm-up
            wall.append(1000 * (time.perf_counter() - start))
            cpu.append(1000 * (time.thread_time() - start_cpu))
    return f"{statistics.median(wall):8.1f} ms (CPU {statistics.median(cpu):7.1f} ms)"


def dashboard_times(config: Path) -> None:
    settings = load_settings(config)
    with Runtime(settings).open() as runtime:
        client = create_app(runtime).test_client()
        names = {s.id: s.name or s.id for s in settings.sources}
        store = runtime.store
        scan = p50_ms(store.theme_history)
        history = store.theme_history()
        print(f"  theme history (one pass over every record; kept between requests): "
              f"p50 {scan}")  # fmt: skip
        for days in (30, 365):

            def page(days: int = days) -> None:
                response = client.get(f"/dashboard?days={days}", headers=ADMIN)
                if response.status_code != 200:
                    sys.exit(f"/dashboard answered {response.status_code}")

            def figures(days: int = days) -> None:
                build_dashboard(store, days=days, sources=names, theme_label=str, history=history)

            print(f"  {days:>3} days: page p50 {p50_ms(page)}   "
                  f"of which figures p50 {p50_ms(figures)}")  # fmt: skip


def search_request(client: Client, term: str) -> tuple[int, bytes]:
    return client.get("/api/search", {"q": term, "size": "20"})


def log_overhead(work: Path) -> None:
    """Both servers at once on the same store and index, requests alternating between them
    (which goes first alternates too), so a load change on the machine hits both alike."""
    configs = [write_config(work, work / "records", search_log=on) for on in (True, False)]
    timings: dict[bool, list[float]] = {True: [], False: []}
    with MoissonServer(configs[0], workers=1) as on, MoissonServer(configs[1], workers=1) as off:
        clients = {True: Client(on.url), False: Client(off.url)}
        for client in clients.values():
            search_request(client, QUERIES[0])  # warm up
        for n in range(SEARCHES):
            term = QUERIES[n % len(QUERIES)]
            for enabled in (True, False) if n % 2 else (False, True):
                start = time.perf_counter()
                status, _ = search_request(clients[enabled], term)
                timings[enabled].append(1000 * (time.perf_counter() - start))
                if status != 200:
                    sys.exit(f"/api/search answered {status} for {term!r}")
        for client in clients.values():
            client.close()
    p50 = {k: statistics.median(v) for k, v in timings.items()}
    p95 = {k: statistics.quantiles(v, n=20)[18] for k, v in timings.items()}
    for enabled, name in ((True, "log on "), (False, "log off")):
        print(f"  {name}: p50 {p50[enabled]:6.2f} ms  p95 {p95[enabled]:6.2f} ms")
    print(f"  ratio on/off: p50 {p50[True] / p50[False]:.3f}, p95 {p95[True] / p95[False]:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", type=int, nargs="+", help="numbers of generated records")
    parser.add_argument("--keep", type=Path, help="work in DIR/<N> and keep it (reused)")
    args = parser.parse_args(argv)
    print(f"{date.today()}: dashboard server time, search log overhead")
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="moisson-dash-") as tmp:
            work = (args.keep / str(n)) if args.keep else Path(tmp)
            work.mkdir(parents=True, exist_ok=True)
            print(f"\n== {n:,} records")
            config = prepare(work, n)
            print("dashboard (in-process, admin)")
            dashboard_times(config)
            print(f"/api/search with and without the search log ({SEARCHES} searches each, "
                  "alternating)")  # fmt: skip
            log_overhead(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
