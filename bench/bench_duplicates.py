"""Duplicate detection on N generated ISO records with planted copies, against the naive
all-pairs comparison on a subset, in one run.

    .venv/bin/python -m bench.bench_duplicates 100000 [--share 0.05] [--naive 5000]
    .venv/bin/python -m bench.bench_duplicates 1000000 --parsed 10000 --naive 0 --store 0

Records come from bench/generate.py, generated, parsed and fingerprinted as a stream over
worker processes (`--workers`, default one per core): only fingerprints reach this process,
their signatures packed in one uint32 matrix, so 1M records fit in a few GiB. With
`--parsed P`, only P originals are generated and parsed and the others are varied from
them (`vary`: own ids, links and title number, a third of the abstract's words replaced),
which makes 1M records a matter of minutes of fingerprinting instead of hours of parsing.
Parsing is not timed; fingerprinting is timed in CPU seconds summed over the workers.

A share of the records are planted copies of another record, made the way republishing makes
them: another source and file identifier, title recased, sometimes ' (copie)' appended or
punctuation changed, an extra keyword, bbox rounded to 2 decimals, the abstract sometimes
cut to 70% of its words, and in half the copies the resource identifier and every link
dropped, so that only the MinHash text signature can find the pair.

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
import functools
import multiprocessing
import os
import random
import resource
import tempfile
import time
from dataclasses import replace
from itertools import combinations

import numpy as np

from bench.generate import generate_iso_records
from harvester.formats.iso19139 import parse_iso
from harvester.formats.xmlsafe import parse_xml
from indexer.cluster_store import ClusterStore
from indexer.clusters import build_clusters, find_pairs
from indexer.fingerprints import NUM_PERM, Fingerprint, compare, fingerprint
from indexer.store import Store
from moisson.record import BBox, Keyword, Record, record_id

__all__ = ["main", "plant"]


def _rss_mib() -> float:
    """Peak RSS of this process (the fingerprints, the banding and the clustering)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_now_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


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


CHUNK = 2000  # generated records per worker task


def _chunk_records(seed: int, chunk: int, count: int) -> list[Record]:
    """The `chunk`-th block of generated originals (its own seed, so blocks can be made in
    any process and any order and still be the same records)."""
    generated = generate_iso_records(count, seed=seed * 1_000_003 + chunk)
    return [parse_iso(parse_xml(xml), "sdi") for _, xml in generated]


@functools.cache
def _pool_block(seed: int, chunk: int) -> list[Record]:
    """A block of parsed originals that `vary` draws from, parsed once per process."""
    return _chunk_records(seed, chunk, CHUNK)


def vary(base: Record, rng: random.Random, n: int) -> Record:
    """Another original made from a parsed one, for sizes where parsing every generated
    record would take longer than the clustering measured (1M records: ~1.5 h of parsing
    on this machine): its own file id, resource identifier, links and layer names, a
    number of its own in the title (so two records varied from one base are two datasets,
    as '... 2019' / '... 2021' are), and three words in ten of the abstract replaced by
    words of the base's title and abstract (so its text shingles are its own)."""
    words = (base.abstract or "").split()
    pool = words + base.title.split()
    abstract = " ".join(rng.choice(pool) if rng.random() < 0.3 else w for w in words)
    tag = f"v{n}"
    varied = base.model_copy(
        update={
            "id": record_id("sdi", tag),
            "title": f"{base.title} {n}",
            "abstract": abstract,
            "identifiers": [
                i.model_copy(update={"code": f"{i.code}-{tag}"}) for i in base.identifiers
            ],
            "links": [
                link.model_copy(
                    update={
                        "url": f"{link.url}&copy={tag}",
                        "name": f"{link.name}_{tag}" if link.name else None,
                    }
                )
                for link in base.links
            ],
        }
    )
    varied.provenance = base.provenance.model_copy(update={"original_id": tag})
    return varied


def _fingerprint_chunk(
    task: tuple[int, int, int, frozenset[int], int],
) -> tuple[list[Fingerprint], list[tuple[str, str]], float]:
    """Fingerprints of one block of originals and of the planted copies of those of its
    positions in `chosen` (each copy right after its original). Runs in a worker process;
    only fingerprints travel back, never records."""
    seed, chunk, count, chosen, parsed = task
    rng = random.Random(seed * 7919 + chunk)
    if chunk * CHUNK < parsed:
        originals = _chunk_records(seed, chunk, count)
    else:  # beyond the parsed pool: vary the records of a pool block
        block = _pool_block(seed, chunk % max(1, parsed // CHUNK))
        originals = [vary(block[i % len(block)], rng, chunk * CHUNK + i) for i in range(count)]
    planted: list[tuple[str, str]] = []
    records: list[Record] = []
    for position, original in enumerate(originals):
        records.append(original)
        if position in chosen:
            records.append(plant(original, rng, chunk * CHUNK + position))
            planted.append((min(original.id, records[-1].id), max(original.id, records[-1].id)))
    start = time.process_time()  # once per block: the clock is a slow system call here
    fps = [fingerprint(record) for record in records]
    spent = time.process_time() - start
    return fps, planted, spent


def clone(
    fps: list[Fingerprint], n: int, share: float, seed: int
) -> tuple[list[Fingerprint], set[tuple[str, str]]]:
    """n fingerprints cloned from `fps` (fingerprints of parsed records), for sizes where
    even varying records is too slow on a shared machine: each original clones a base with
    its own id, keys, a number of its own in the title and a signature of fresh random
    values (text shared with no one); each planted copy keeps its original's title and,
    in half the copies, its keys, with a quarter of its signature values replaced (an
    estimated text similarity of ~0.75, like a copy with an edited abstract). Signatures
    are rows of one uint32 matrix, built a block at a time."""
    rng = np.random.default_rng(seed)
    copies = round(n * share)
    originals = n - copies
    chosen = set(random.Random(seed).sample(range(originals), copies))
    signatures = np.empty((n, NUM_PERM), dtype=np.uint32)
    out: list[Fingerprint] = []
    planted: set[tuple[str, str]] = set()
    for start in range(0, originals, CHUNK):
        block = range(start, min(originals, start + CHUNK))
        fresh = rng.integers(0, 2**32, size=(len(block), NUM_PERM), dtype=np.uint32)
        for row, k in zip(fresh, block, strict=True):
            base = fps[k % len(fps)]
            number = str(k)
            original = replace(
                base,
                record_id=record_id("sdi", f"c{k}"),
                title=f"{base.title} {number}",
                title_tokens=(*base.title_tokens, number),
                marked_tokens=base.marked_tokens | {number},
                keys=frozenset(f"{key}-c{k}" for key in base.keys),
                signature=signatures[len(out)],
            )
            original.signature[:] = row
            out.append(original)
            if k in chosen:
                signature = signatures[len(out)]
                signature[:] = row
                changed = rng.random(NUM_PERM) < 0.25
                signature[changed] = rng.integers(0, 2**32, size=int(changed.sum()))
                copy = replace(
                    original,
                    record_id=record_id("portal", f"p{k}"),
                    source_id="portal",
                    keys=original.keys if k % 2 else frozenset(),
                    signature=signature,
                )
                out.append(copy)
                pair = sorted((original.record_id, copy.record_id))
                planted.add((pair[0], pair[1]))
    return out, planted


def build(
    n: int, share: float, seed: int, workers: int = 1, parsed: int | None = None
) -> tuple[list[Fingerprint], set[tuple[str, str]], float]:
    """Fingerprints of n records, of which round(n * share) are planted copies placed
    right after their original (so any prefix holds its share of pairs). Generated,
    parsed and fingerprinted as a stream over `workers` processes: no step holds more
    than a block of records. The signatures are packed into one uint32 matrix (MinHash
    values are 32-bit), each Fingerprint keeping a view of its row: half the memory of
    a uint64 array per record, which is what makes a million fit."""
    rng = random.Random(seed)
    copies = round(n * share)
    originals = n - copies
    chosen = sorted(rng.sample(range(originals), copies))
    tasks = []
    for chunk, start in enumerate(range(0, originals, CHUNK)):
        count = min(CHUNK, originals - start)
        inside = frozenset(i - start for i in chosen if start <= i < start + count)
        tasks.append((seed, chunk, count, inside, n if parsed is None else parsed))
    signatures = np.empty((n, NUM_PERM), dtype=np.uint32)
    fps: list[Fingerprint] = []
    planted: set[tuple[str, str]] = set()
    spent = 0.0
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for found, pairs, seconds in pool.imap(_fingerprint_chunk, tasks):
            spent += seconds
            for fp in found:
                row = signatures[len(fps)]
                row[:] = fp.signature
                fp.signature = row
                fps.append(fp)
            planted.update(pairs)
    return fps, planted, spent


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
    parser.add_argument(
        "--parsed",
        type=int,
        help="originals generated and parsed (default: all); the others are varied from "
        "them (see `vary`), for 1M records in minutes rather than hours",
    )
    parser.add_argument(
        "--cloned-from",
        type=int,
        help="fingerprint this many parsed records and clone the N fingerprints from them "
        "(see `clone`); the fingerprint time printed is then extrapolated from theirs",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes that generate, "
        "parse and fingerprint (the clustering itself runs in this one)",
    )
    args = parser.parse_args(argv)

    start = time.perf_counter()
    if args.cloned_from:
        base, _, per_record = build(args.cloned_from, 0.0, args.seed, args.workers)
        fps, planted = clone(base, args.n, args.share, args.seed)
        del base
        fingerprinting = per_record / args.cloned_from * args.n  # what parsed records cost
    else:
        fps, planted, fingerprinting = build(
            args.n, args.share, args.seed, args.workers, args.parsed
        )
    built = time.perf_counter() - start
    print(
        f"{len(fps):,} records, {len(planted):,} planted copies: generated, parsed and "
        f"fingerprinted as a stream over {args.workers} process(es) in {built:.1f} s "
        f"(fingerprints alone {fingerprinting:.1f} s of CPU); "
        f"RSS {_rss_now_mib():,.0f} MiB holding the fingerprints"
    )

    t1 = time.perf_counter()
    pairs, compared = find_pairs(fps)
    groups = build_clusters(pairs)
    t2 = time.perf_counter()
    found, false, recall = _score(groups, planted)
    precision = (found - false) / found if found else 1.0
    lsh_total = fingerprinting + t2 - t1
    print(
        f"LSH: fingerprint {fingerprinting:.1f} s (CPU), pairs + clusters {t2 - t1:.1f} s, "
        f"total {lsh_total:.1f} s ({len(fps) / lsh_total:,.0f} records/s); "
        f"{compared:,} candidate pairs compared; peak RSS {_rss_mib():,.0f} MiB"
    )
    print(
        f"LSH: {len(groups):,} clusters, {found:,} pairs, {false} false; "
        f"precision {precision:.4f}, recall {recall:.4f}"
    )
    if not args.naive:
        return 0

    subset = fps[: args.naive]
    sub_ids = {fp.record_id for fp in subset}
    sub_planted = {p for p in planted if p[0] in sub_ids and p[1] in sub_ids}
    t3 = time.perf_counter()
    naive_pairs = naive(subset)
    t4 = time.perf_counter()
    naive_groups = build_clusters_from(naive_pairs)
    n_found, n_false, n_recall = _score(naive_groups, sub_planted)
    naive_time = t4 - t3
    extrapolated = naive_time * (len(fps) / len(subset)) ** 2
    print(
        f"naive all-pairs on {len(subset):,} records: {naive_time:.1f} s "
        f"({len(subset) * (len(subset) - 1) // 2:,} pairs), {n_found} pairs, {n_false} false, "
        f"recall {n_recall:.4f} on its {len(sub_planted)} planted pairs"
    )
    print(
        f"naive extrapolated to {len(fps):,} records: {extrapolated:,.0f} s "
        f"({extrapolated / 3600:.1f} h); LSH is {extrapolated / lsh_total:,.0f}x faster"
    )
    if args.store:
        chunks = range(0, -(-args.store // CHUNK))
        records = [r for chunk in chunks for r in _chunk_records(args.seed, chunk, CHUNK)]
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
