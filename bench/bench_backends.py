"""Both search backends on the same generated corpus, side by side.

    .venv/bin/python -m bench.bench_backends 100000 --opensearch http://127.0.0.1:9200

Generates N records (bench/generate.py, parsed by the real ISO parser), then for each backend:
indexing records/s (index() in pages of 1,000, refresh included, as a harvest does), bulk
loading records/s (reindex() of the whole corpus into a fresh index, swap included) and
search latency p50/p95 through the backend (text query + all 7 facets counted + 20 hits with
snippets), over the queries the embedded index's targets are stated for. Without
--opensearch (or OPENSEARCH_TEST_URL) only the embedded index runs.

`--senders 1,2` runs OpenSearch once per number of bulk requests in flight
(indexer/backends/opensearch_bulk.SENDERS), side by side in one run; `--skip-sqlite` leaves
the embedded index out; `--batch N` sets the records per bulk request. `--refresh page,run`
runs each of those once per refresh mode of the index() phase: `page` refreshes after each
page (the contract, every write outside a harvest), `run` writes every page inside the
backend's `deferred_refresh()` and refreshes once at the end, as a harvest run does
(pipeline/harvest.py). `--tier 10,30` also runs each once per merge policy
`segments_per_tier` of the index() phase's index (10: the node's default). The first
OpenSearch column of a process pays the node's JIT warm-up.

The machine is shared, so wall records/s move with the load: each write phase also reports
the CPU it cost per 1,000 records on both sides, the client's (time.process_time of this
process, every thread) and the node's (`_nodes/stats/process` cpu.total_in_millis before and
after, every node of the cluster), and from them the records/s two free cores would give
when the client and the node share them: 2 / (client + node CPU seconds per record).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path

from bench.generate import generate_iso_records
from harvester.formats.csw_response import read_document
from indexer.backends import build_backend, opensearch_bulk
from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.record import Harvested, Query, Record

QUERIES = ["foret", "zones humides", "eau", "natura 2000", "occupation du sol", ""]
SEARCHES = 200
PAGE = 1000


def records(n: int) -> list[Record]:
    found: list[Record] = []
    for _, blob in generate_iso_records(n):
        found += [item.record for item in read_document(blob, "bench").items if item.record]
    return found


def store_corpus(store_url: str, index_urls: Sequence[str], corpus: Sequence[Record]) -> None:
    """`corpus` as one complete harvest run of a "bench" source into the store, and into each
    index, a page of 1,000 at a time: what the served benchmarks search."""
    backends = [build_backend(url) for url in index_urls]
    for backend in backends:
        backend.open()
    with Store(store_url) as store:
        run = store.begin_run("bench")
        for start in range(0, len(corpus), 1000):
            page = list(corpus[start : start + 1000])
            items = [
                Harvested(original_id=r.provenance.original_id, raw=b"<x/>", record=r) for r in page
            ]
            store.write_page(run, "bench", items)
            for backend in backends:
                backend.index(page)
        store.finish_run(run, status="complete", complete=True)
    for backend in backends:
        backend.close()


def timed(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def node_cpu_seconds(backend: SearchBackend) -> float:
    """CPU seconds the search cluster's node processes have used so far (0 for the
    embedded index, whose work is this process's)."""
    client = getattr(backend, "_client", None)
    if client is None:
        return 0.0
    nodes = client.nodes.stats(metric="process")["nodes"].values()
    return sum(node["process"]["cpu"]["total_in_millis"] for node in nodes) / 1000


def phase(backend: SearchBackend, count: int, action: Callable[[], object]) -> dict[str, float]:
    """Wall records/s of `action` writing `count` records, the client's and the node's CPU
    milliseconds per 1,000 records, and the records/s on two free cores those imply."""
    node = node_cpu_seconds(backend)
    client = time.process_time()
    seconds = timed(action)
    client = time.process_time() - client
    node = node_cpu_seconds(backend) - node
    return {
        "records/s": count / seconds,
        "client CPU ms/1k": client / count * 1e6,
        "node CPU ms/1k": node / count * 1e6,
        "records/s on 2 free cores": 2 * count / (client + node),
    }


def measure(
    backend: SearchBackend, corpus: list[Record], refresh: str = "page"
) -> dict[str, float]:
    def load() -> None:
        deferred = getattr(backend, "deferred_refresh", None) if refresh == "run" else None
        with deferred() if deferred is not None else nullcontext():
            for start in range(0, len(corpus), PAGE):
                backend.index(corpus[start : start + PAGE])

    loaded = phase(backend, len(corpus), load)
    assert backend.count() == len(corpus), (backend.count(), len(corpus))
    rebuilt = phase(backend, len(corpus), lambda: backend.reindex(iter(corpus)))
    assert backend.count() == len(corpus), (backend.count(), len(corpus))
    for q in QUERIES:  # warm caches once
        backend.search(Query(q=q))
    latencies = []
    for number in range(SEARCHES):
        query = Query(q=QUERIES[number % len(QUERIES)], size=20)
        latencies.append(timed(lambda query=query: backend.search(query)) * 1000)
    latencies.sort()
    return {
        **{f"index() {name}": value for name, value in loaded.items()},
        **{f"reindex {name}": value for name, value in rebuilt.items()},
        "search p50 ms": statistics.median(latencies),
        "search p95 ms": latencies[int(len(latencies) * 0.95) - 1],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--opensearch", default=os.environ.get("OPENSEARCH_TEST_URL"))
    parser.add_argument("--senders", default=str(opensearch_bulk.SENDERS))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--batch", type=int, default=opensearch_bulk.BATCH)
    parser.add_argument("--refresh", default="page", help="page, run or a list: page,run")
    parser.add_argument("--tier", default="10", help="merge segments_per_tier, or a list")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    opensearch_bulk.BATCH = args.batch
    corpus = records(args.n)
    print(f"generated and parsed {len(corpus)} records in {time.perf_counter() - began:.1f} s")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        runs: list[tuple[str, str, int, str, int]] = []
        if not args.skip_sqlite:
            runs.append(("sqlite", f"sqlite:///{Path(folder) / 'index.db'}", 0, "page", 10))
        columns = [
            (int(senders), refresh, int(tier))
            for senders in (args.senders.split(",") if args.opensearch else [])
            for refresh in args.refresh.split(",")
            for tier in args.tier.split(",")
        ]
        for number, (senders, refresh, tier) in enumerate(columns):
            alias = f"{args.opensearch.rstrip('/')}/bench-{uuid.uuid4().hex[:8]}"
            name = f"opensearch #{number + 1}, {senders} sender(s), refresh per {refresh}"
            name += f", tier {tier}" if tier != 10 else ""
            runs.append((name, alias, senders, refresh, tier))
        for name, url, senders, refresh, tier in runs:
            opensearch_bulk.SENDERS = senders or opensearch_bulk.SENDERS
            backend = build_backend(url)
            backend.open()
            if tier != 10:
                _merge_tier(url, tier)
            try:
                results[name] = measure(backend, corpus, refresh)
            finally:
                if senders:
                    _drop(url)
                backend.close()
    names = list(results)
    load = os.getloadavg()
    print(
        f"\n{len(corpus):,} records, batch {args.batch}, load average "
        f"{load[0]:.1f} / {load[1]:.1f} | " + " | ".join(names)
    )
    for metric in next(iter(results.values())):
        print(f"{metric} | " + " | ".join(f"{results[n][metric]:,.1f}" for n in names))
    return 0


def _merge_tier(url: str, tier: int) -> None:
    """Set the merge policy's segments_per_tier of the index behind the alias."""
    from opensearchpy import OpenSearch

    base, _, alias = url.rpartition("/")
    client = OpenSearch(hosts=[base])
    body = {"index": {"merge.policy.segments_per_tier": tier}}
    client.indices.put_settings(index=alias, body=body)
    client.close()


def _drop(url: str) -> None:
    from opensearchpy import OpenSearch

    base, _, alias = url.rpartition("/")
    client = OpenSearch(hosts=[base])
    client.indices.delete(index=f"{alias}-*", params={"ignore_unavailable": "true"})
    client.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
