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
import sys
import tempfile
from pathlib import Path

from bench.bench_backends import QUERIES, records, store_corpus
from bench.http_load import Client, MoissonServer, bench_config, load


def _load(folder: Path, n: int) -> Path:
    corpus = records(n)
    store_corpus(f"sqlite:///{folder / 'store.db'}", [f"sqlite:///{folder / 'index.db'}"], corpus)
    return bench_config(folder)


def search(client: Client, q: str) -> tuple[int, bytes]:
    return client.get("/api/search", {"q": q})


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        config = _load(Path(name), args.n)
        with MoissonServer(config, args.workers) as server:
            for concurrency in (16, 64):
                found = load(server.url, search, concurrency, QUERIES, seconds=args.seconds)
                print(
                    f"{args.n} records, {args.workers} workers, concurrency {concurrency}: "
                    f"{found['requests']:.0f} requests, {found['req_s']:.0f} req/s, "
                    f"p50 {found['p50_ms']:.1f} ms, p95 {found['p95_ms']:.1f} ms, "
                    f"p99 {found['p99_ms']:.1f} ms, errors {found['errors']:.0f}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
