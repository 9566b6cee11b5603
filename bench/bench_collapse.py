"""Search with and without duplicate collapse on the embedded index.

    python -m bench.bench_collapse 10000

Generated records (bench/generate.py), every tenth one stamped as the non-canonical copy
of the record before it (as indexer/collapse.py would stamp a cluster of two), so a
collapsed search hides 10% of the index. Prints p50/p95 of 200 searches cycling
bench_backends.QUERIES, 20 hits and every facet, collapsed and not, twice each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_backends import QUERIES, SEARCHES, records
from indexer.backends import build_backend
from moisson.record import PUBLIC, ClusterMember, Collapse, Query, Record


def clustered(corpus: list[Record]) -> list[Record]:
    out: list[Record] = []
    for number, record in enumerate(corpus):
        if number % 10 == 1:
            members = [
                ClusterMember(id="bench", original_id=r.provenance.original_id)
                for r in (corpus[number - 1], record)
            ]
            out[-1] = out[-1].model_copy(update={"collapse": Collapse(members=members)})
            role = Collapse(canonical=False, members=members, outranked_by=[PUBLIC])
            record = record.model_copy(update={"collapse": role})
        out.append(record)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    n = parser.parse_args(argv).n
    corpus = clustered(records(n)[:n])
    with tempfile.TemporaryDirectory() as folder:
        backend = build_backend(f"sqlite:///{Path(folder) / 'index.db'}")
        backend.open()
        try:
            for start in range(0, len(corpus), 1000):
                backend.index(corpus[start : start + 1000])
            for q in QUERIES:  # warm caches once
                backend.search(Query(q=q))
                backend.search(Query(q=q, collapse=False))
            for collapse in (True, False, True, False):
                latencies = []
                for number in range(SEARCHES):
                    query = Query(q=QUERIES[number % len(QUERIES)], size=20, collapse=collapse)
                    began = time.perf_counter()
                    backend.search(query)
                    latencies.append((time.perf_counter() - began) * 1000)
                latencies.sort()
                total = backend.search(Query(size=0, collapse=collapse)).total
                print(
                    f"{len(corpus)} records, collapse={collapse}: "
                    f"p50 {statistics.median(latencies):.2f} ms, "
                    f"p95 {latencies[int(len(latencies) * 0.95) - 1]:.2f} ms, {total} hits"
                )
        finally:
            backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
