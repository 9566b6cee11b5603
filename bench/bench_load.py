"""Load test of the API under its production server (gunicorn, `moisson serve`) on 127.0.0.1.

    .venv/bin/python -m bench.bench_load 10000 --seconds 15 --workers 2

Generates N records into a fresh store and embedded index, starts `moisson serve` in a
subprocess (gunicorn, gthread workers), then, for concurrency 16 and 64, keeps that many
client threads searching for a bounded duration (bench_backends.QUERIES cycled, anonymous,
rate limit off) and prints throughput, p50/p95/p99 latency and the error count (must be 0).
The client runs in this process, so at high concurrency it is part of what is measured.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.bench_backends import QUERIES, records
from indexer.backends import build_backend
from indexer.store import Store
from moisson.record import Harvested

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _load(folder: Path, n: int) -> Path:
    corpus = records(n)
    backend = build_backend(f"sqlite:///{folder / 'index.db'}")
    backend.open()
    with Store(f"sqlite:///{folder / 'store.db'}") as store:
        run = store.begin_run("bench")
        items = [
            Harvested(original_id=r.provenance.original_id, raw=b"<x/>", record=r) for r in corpus
        ]
        store.write_page(run, "bench", items)
        store.finish_run(run, status="complete", complete=True)
    backend.index(corpus)
    backend.close()
    config = folder / "moisson.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{folder / "store.db"}"\n'
        f'[index]\nurl = "sqlite:///{folder / "index.db"}"\n'
        "[api]\nanonymous_rate_limit = 0\n"
        '[[sources]]\nid = "bench"\nkind = "csw"\nurl = "https://bench.example.org/csw"\n',
        encoding="utf-8",
    )
    return config


def _wait(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def _run(url: str, concurrency: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(offset: int) -> None:
        mine: list[float] = []
        with httpx.Client(base_url=url, timeout=30) as http:
            n = offset
            while time.monotonic() < stop:
                q = QUERIES[n % len(QUERIES)]
                n += 1
                began = time.perf_counter()
                try:
                    response = http.get("/api/search", params={"q": q})
                    if response.status_code != 200:
                        with lock:
                            errors.append(str(response.status_code))
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(type(exc).__name__)
                mine.append((time.perf_counter() - began) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p95": cuts[94],
        "p99": cuts[98],
        "errors": len(errors),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        config = _load(Path(name), args.n)
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "moisson.cli",
                "--config",
                str(config),
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait(url, time.monotonic() + 60)
            for concurrency in (16, 64):
                found = _run(url, concurrency, args.seconds)
                print(
                    f"{args.n} records, {args.workers} workers, concurrency {concurrency}: "
                    f"{found['requests']:.0f} requests, {found['rps']:.0f} req/s, "
                    f"p50 {found['p50']:.1f} ms, p95 {found['p95']:.1f} ms, "
                    f"p99 {found['p99']:.1f} ms, errors {found['errors']:.0f}"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
