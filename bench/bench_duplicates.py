"""Duplicate detection on N generated ISO records with planted copies, against the naive
all-pairs comparison on a subset, in one run.

    .venv/bin/python -m bench.bench_duplicates 100000 [--share 0.05] [--naive 5000]

Records come from bench/generate.py (parsed once; parsing is not timed). A share of them are
planted copies of another record, made the way republishing makes them: another source and
file identifier, title recased, sometimes ' (copie)' appended or punctuation changed, an
extra keyword, bbox rounded to 2 decimals, the abstract sometimes cut to 70% of its words,
and in half the copies the resource identifier and every link dropped, so that only the
MinHash text signature can find the pair.

Prints, for the LSH method (indexer/fingerprints.py + indexer/clusters.py): time to
fingerprint, time to find and confirm pairs and build clusters, candidate pairs compared,
peak RSS growth, precision and recall against the planted pairs (pairs within clusters, so a
wrong transitive join counts as a false pair); then the naive method (every pair of the first
`--naive` records through the same `compare`), its time extrapolated quadratically to N, and
the speed ratio; finally the persisted, incremental path on a real SQLite store (rebuild of
`--store` records, then one re-harvested page with 100 changed records).
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from itertools import combinations

from bench.generate import generate_iso_records
from harvester.formats.iso19139 import parse_iso
from harvester.formats.xmlsafe import parse_xml
from indexer.cluster_store import ClusterStore
from indexer.clusters import build_clusters, find_pairs
from indexer.fingerprints import Fingerprint, compare, fingerprint
from indexer.store import Store
from moisson.record import BBox, Keyword, Record, record_id

__all__ = ["main", "plant"]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def plant(original: Record, rng: random.Random, n: int) -> Record:
    """A republished copy of `original` (see the module docstring)."""
    title = rng.choice((str.upper, str.lower, str.title))(original.title)
    if rng.random() < 0.3:
        title += " (copie)"
    elif rng.random() < 0.3:
        title = title.replace(" ", " - ", 1)
    abstract = original.abstract or ""
    if rng.random() < 0.3:
        words = abstract.split()
        abstract = " ".join(words[: len(words) * 7 // 10])
    update: dict[str, object] = {
        "title": title,
        "abstract": abstract,
        "keywords": [*original.keywords, Keyword(label="données ouvertes")],
        "bboxes": [
            BBox(
                west=round(b.west, 2),
                south=round(b.south, 2),
                east=max(round(b.east, 2), round(b.west, 2)),
                north=max(round(b.north, 2), round(b.south, 2)),
            )
            for b in original.bboxes
        ],
    }
    if rng.random() < 0.5:
        update |= {"identifiers": [], "links": []}
    copy = original.model_copy(deep=True, update=update)
    copy.id = record_id("portal", f"portal-{n}")
    copy.provenance = copy.provenance.model_copy(
        update={"source_id": "portal", "original_id": f"portal-{n}"}
    )
    return copy


def build(n: int, share: float, seed: int) -> tuple[list[Record], set[tuple[str, str]]]:
    """n records, of which round(n * share) are planted copies placed right after their
    original (so any prefix holds its share of pairs)."""
    rng = random.Random(seed)
    copies = round(n * share)
    originals = [parse_iso(parse_xml(xml), "sdi") for _, xml in generate_iso_records(n - copies)]
    chosen = set(rng.sample(range(len(originals)), copies))
    records: list[Record] = []
    planted: set[tuple[str, str]] = set()
    for i, original in enumerate(originals):
        records.append(original)
        if i in chosen:
            copy = plant(original, rng, i)
            records.append(copy)
            planted.add((min(original.id, copy.id), max(original.id, copy.id)))
    return records, planted


def _score(groups: list[list[str]], planted: set[tuple[str, str]]) -> tuple[int, int, float]:
    found = {pair for g in groups for pair in combinations(sorted(g), 2)}
    true = len(found & planted)
    recall = true / len(planted) if planted else 1.0
    return len(found), len(found) - true, recall


def naive(fps: list[Fingerprint]) -> list[tuple[str, str]]:
    pairs = []
    for i in range(len(fps)):
        a = fps[i]
        for j in range(i + 1, len(fps)):
            if compare(a, fps[j]).same:
                pairs.append((a.record_id, fps[j].record_id))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--share", type=float, default=0.05, help="share of planted copies")
    parser.add_argument("--naive", type=int, default=5000, help="records for all-pairs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--store", type=int, default=20_000, help="records for the SQLite incremental test"
    )
    args = parser.parse_args(argv)

    start = time.perf_counter()
    records, planted = build(args.n, args.share, args.seed)
    print(
        f"{len(records):,} records, {len(planted):,} planted copies "
        f"(generated and parsed in {time.perf_counter() - start:.1f} s, not counted)"
    )

    rss0 = _rss_mib()
    t0 = time.perf_counter()
    fps = [fingerprint(r) for r in records]
    t1 = time.perf_counter()
    pairs, compared = find_pairs(fps)
    groups = build_clusters(pairs)
    t2 = time.perf_counter()
    found, false, recall = _score(groups, planted)
    precision = (found - false) / found if found else 1.0
    lsh_total = t2 - t0
    print(
        f"LSH: fingerprint {t1 - t0:.1f} s, pairs + clusters {t2 - t1:.1f} s, "
        f"total {lsh_total:.1f} s ({len(records) / lsh_total:,.0f} records/s); "
        f"{compared:,} candidate pairs compared; peak RSS +{_rss_mib() - rss0:.0f} MiB"
    )
    print(
        f"LSH: {len(groups):,} clusters, {found:,} pairs, {false} false; "
        f"precision {precision:.4f}, recall {recall:.4f}"
    )

    subset = fps[: args.naive]
    sub_ids = {fp.record_id for fp in subset}
    sub_planted = {p for p in planted if p[0] in sub_ids and p[1] in sub_ids}
    t3 = time.perf_counter()
    naive_pairs = naive(subset)
    t4 = time.perf_counter()
    naive_groups = build_clusters_from(naive_pairs)
    n_found, n_false, n_recall = _score(naive_groups, sub_planted)
    naive_time = t4 - t3
    extrapolated = naive_time * (len(records) / len(subset)) ** 2
    print(
        f"naive all-pairs on {len(subset):,} records: {naive_time:.1f} s "
        f"({len(subset) * (len(subset) - 1) // 2:,} pairs), {n_found} pairs, {n_false} false, "
        f"recall {n_recall:.4f} on its {len(sub_planted)} planted pairs"
    )
    print(
        f"naive extrapolated to {len(records):,} records: {extrapolated:,.0f} s "
        f"({extrapolated / 3600:.1f} h); LSH is {extrapolated / lsh_total:,.0f}x faster"
    )
    incremental(records[: args.store])
    return 0


def incremental(records: list[Record], page: int = 1000) -> None:
    """The persisted path on a real SQLite store: rebuild from `records`, then one page of
    `page` re-harvested records of which 10% changed (the Ingestor hands only those over)."""
    with tempfile.TemporaryDirectory() as tmp, Store(f"sqlite:///{tmp}/store.db") as store:
        clusters = ClusterStore(store).open()
        start = time.perf_counter()
        clusters.rebuild(records)
        built = time.perf_counter() - start
        changed = [
            r.model_copy(update={"abstract": (r.abstract or "") + " Mise à jour."})
            for r in records[: page // 10]
        ]
        start = time.perf_counter()
        report = clusters.update(changed)
        took = time.perf_counter() - start
    print(
        f"SQLite store: rebuild of {len(records):,} records {built:.1f} s; re-harvest page "
        f"of {page} with {len(changed)} changed: {took * 1000:.0f} ms, {report.fingerprinted} "
        f"fingerprinted, {report.compared} compared, {report.reclustered} reclustered"
    )


def build_clusters_from(pairs: list[tuple[str, str]]) -> list[list[str]]:
    from indexer.clusters import Pair

    return build_clusters([Pair.of(a, b, "naive", "", 1.0) for a, b in pairs])


if __name__ == "__main__":
    raise SystemExit(main())
