"""Load generation shared by the benchmarks: `moisson serve` in a subprocess, a cheap
keep-alive client, and client threads that report latency percentiles and throughput.

The client runs on the same cores as the servers, so it must cost as little CPU as possible
or it measures itself: bare `http.client`, one connection per thread.
"""

from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from testkit.ports import free_port

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["Client", "MoissonServer", "Request", "bench_config", "free_port", "load"]


def bench_config(folder: Path) -> Path:
    """The config a served benchmark runs on: the store and index prepared in `folder`, no
    anonymous rate limit (the load generator is one client), one placeholder source."""
    config = folder / "moisson.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{folder / "store.db"}"\n'
        f'[index]\nurl = "sqlite:///{folder / "index.db"}"\n'
        "[api]\nanonymous_rate_limit = 0\n"
        '[[sources]]\nid = "bench"\nkind = "csw"\nurl = "https://bench.example.org/csw"\n',
        encoding="utf-8",
    )
    return config


class Client:
    """One keep-alive HTTP/1.1 connection. Reconnects when a server closes the connection,
    as HTTP/1.0 servers such as pycsw's do after each response."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port or 80, timeout=60
        )

    def get(self, path: str, params: dict[str, str]) -> tuple[int, bytes]:
        target = f"{path}?{urlencode(params)}"
        for attempt in (1, 2):
            try:
                self.connection.request("GET", target)
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionError):
                self.connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


class MoissonServer:
    """`moisson serve` (gunicorn) in a subprocess, as users run it, until exit."""

    def __init__(self, config: Path, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "pipeline.cli", "--config", str(config), "serve"]
        command += ["--port", str(self.port), "--workers", str(workers)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOISSON_")}
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def __enter__(self) -> MoissonServer:
        probe = Client(self.url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if probe.get("/healthz", {})[0] == 200:
                    probe.close()
                    return self
            except OSError:
                probe.close()
            if self.process.poll() is not None:
                sys.exit(f"moisson serve exited with {self.process.returncode}")
            time.sleep(0.2)
        self.process.kill()
        sys.exit("moisson serve did not answer /healthz within 60 s")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


Request = Callable[[Client, str], tuple[int, bytes]]


def load(
    base: str,
    request: Request,
    clients: int,
    queries: Sequence[str],
    *,
    requests_per_client: int | None = None,
    seconds: float | None = None,
) -> dict[str, float]:
    """`clients` threads each send `queries` in turn, for a number of requests or a time.
    Returns p50/p95/p99 (ms), req/s, requests and non-200 answers (`errors`)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + (seconds or 0)

    def more(done: int) -> bool:
        if requests_per_client is not None:
            return done < requests_per_client
        return time.monotonic() < stop

    def client(offset: int) -> None:
        mine: list[float] = []
        connection = Client(base)
        request(connection, queries[0])  # warm the connection and the server's caches
        while more(len(mine)):
            term = queries[(offset + len(mine)) % len(queries)]
            start = time.perf_counter()
            try:
                status, _ = request(connection, term)
            except OSError as exc:
                status = 0
                with lock:
                    errors.append(type(exc).__name__)
            mine.append(1000 * (time.perf_counter() - start))
            if status not in (0, 200):
                with lock:
                    errors.append(f"{status} for {term!r}")
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "p50_ms": statistics.median(latencies),
        "p95_ms": cuts[94],
        "p99_ms": cuts[98],
        "req_s": len(latencies) / wall,
        "requests": len(latencies),
        "errors": len(errors),
    }
