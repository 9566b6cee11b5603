"""Thesaurus-change impact (`moisson thesaurus impact`) on N stored records: seconds and
peak memory, from the store and from a snapshot, against one plain matcher pass.

    .venv/bin/python -m bench.bench_impact 10000 100000

For each N: generate N ISO 19139 records (bench/generate.py), parse them and write them to
a fresh SQLite store, write a snapshot (`moisson store snapshot`), then, each in a fresh
process so that its peak RSS (`ru_maxrss`) is its own, with wall-clock and CPU seconds
(on a shared machine CPU seconds move less; ratios are of CPU seconds):

- `impact (store)`: old and new matcher over every stored record, compared (what a CI job
  does against the configured store);
- `impact (snapshot)`: the same from the snapshot file (what a forge CI job does);
- `impact (snapshot, N proc)`: the same over N worker processes (one per core, at most
  4), as `moisson thesaurus impact` does from 5,000 records; CPU seconds include the
  workers', and the largest worker's peak RSS is shown beside the parent's;
- `one matcher pass (peer)`: the current matcher alone over the snapshot's records, the
  cost of re-theming without comparing (what `moisson reindex` spends on themes). Impact
  needs two passes, so about 2x this is the floor of the straightforward way.

The change measured (`--change`) is a realistic merge request:

- `remove` (the default): a concept removed (weather), synonyms added for the two most
  frequent unmapped keywords of the generated records ('espèce protégée' / 'protected
  species' to species, 'Ortho-imagerie' to orthoimagery) and a rule pointed at another
  concept (lcsh-hydrography). With one concept fewer every idf of the scored text step
  moves, so every record in whose text a label is found is matched again (all generated
  records: their titles name themes);
- `local`: the same without the removal, the kind of change the scope
  (indexer/impact_scope.py) prunes: only the records it can reach are matched again.

`--kinds` picks the rows (all four by default). The issue's target: 100k records in under
a minute.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.generate import generate_iso_records
from harvester.formats.csw_response import read_document
from indexer.thesaurus import VOCABULARY_LABELS
from moisson.config import BUNDLED_RULES, BUNDLED_THESAURUS

__all__ = ["main"]

_CHANGES = [
    (
        "skos:narrower t:climate, t:weather, t:air-quality,",
        "skos:narrower t:climate, t:air-quality,",
    ),
    (
        '"observations naturalistes"@fr, "inventaire faunistique"@fr ;',
        '"observations naturalistes"@fr, "inventaire faunistique"@fr, "espèce protégée"@fr, '
        '"protected species"@en ;',
    ),
    ('"orthoimages"@en ;', '"orthoimages"@en, "ortho-imagerie"@fr ;'),
]
_RULE_CHANGE = (
    'keyword_pattern: "^hydrography--"\n    concept: hydrography',
    'keyword_pattern: "^hydrography--"\n    concept: water',
)


def _proposed(folder: Path, change: str) -> tuple[Path, Path]:
    text = BUNDLED_THESAURUS.read_text(encoding="utf-8")
    changes = _CHANGES[1:]
    if change == "remove":
        start = text.index("t:weather a skos:Concept ;")
        text = text[:start] + text[text.index("\n\n", start) + 2 :]
        changes = _CHANGES
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    thesaurus = folder / "themes.ttl"
    thesaurus.write_text(text, encoding="utf-8")
    # The borrowed vocabulary labels sit beside the thesaurus, as in the repository.
    labels = BUNDLED_THESAURUS.with_name(VOCABULARY_LABELS)
    shutil.copyfile(labels, thesaurus.with_name(VOCABULARY_LABELS))
    rules = folder / "rules.yaml"
    rules.write_text(
        BUNDLED_RULES.read_text(encoding="utf-8").replace(*_RULE_CHANGE), encoding="utf-8"
    )
    return thesaurus, rules


def _fill(url: str, n: int) -> None:
    from indexer.store import Store
    from moisson.record import Harvested

    with Store(url) as store:
        run = store.begin_run("bench")
        page: list[Harvested] = []
        for _, body in generate_iso_records(n):
            for item in read_document(body, "bench").items:
                if item.record is not None:
                    page.append(
                        Harvested(
                            original_id=item.record.provenance.original_id,
                            raw=body,
                            content_type="application/xml",
                            record=item.record,
                        )
                    )
            if len(page) >= 1000:
                store.write_page(run, "bench", page)
                page = []
        if page:
            store.write_page(run, "bench", page)
        store.finish_run(run, status="complete", complete=True)


def _measure(
    kind: str, store_url: str, snapshot: str, thesaurus: str, rules: str
) -> dict[str, Any]:
    """Runs in a fresh process: one measurement and its peak RSS."""
    from indexer.impact_workers import VersionFiles, auto_workers, parallel_impact
    from indexer.rules import load_rules
    from indexer.snapshot import read_snapshot, snapshot_header
    from indexer.store import Store
    from indexer.theme_impact import compute_impact
    from indexer.themes import Themer
    from indexer.thesaurus import load_thesaurus

    old = Themer(load_thesaurus(BUNDLED_THESAURUS), load_rules(BUNDLED_RULES))
    new = Themer(load_thesaurus(thesaurus), load_rules(rules))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    cpu = time.process_time()
    if kind == "peer":
        count = 0
        for record in read_snapshot(Path(snapshot)):
            old.assign(record)
            count += 1
        result: dict[str, Any] = {"records": count, "changed": 0, "rematched": 0}
    else:
        if kind == "store":
            with Store(store_url) as store:
                impact = compute_impact(store.iter_records(), old, new)
        elif kind == "workers":
            files = [
                VersionFiles(BUNDLED_THESAURUS, BUNDLED_RULES),
                VersionFiles(Path(thesaurus), Path(rules)),
            ]
            workers = auto_workers(snapshot_header(Path(snapshot))["records"])
            impact = parallel_impact(
                read_snapshot(Path(snapshot)), files[0], files[1], workers=workers
            )
        else:
            impact = compute_impact(read_snapshot(Path(snapshot)), old, new)
        result = {
            "records": impact.records,
            "changed": impact.changed_records,
            "rematched": impact.rematched,
        }
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, when any
    cpu += children.ru_utime + children.ru_stime
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        **result,
        "seconds": elapsed,
        "cpu": cpu,
        "peak_mib": peak / 1024,
        "growth_mib": (peak - baseline) / 1024,
        "worker_mib": children.ru_maxrss / 1024,
    }


def _in_child(work: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    # Not a multiprocessing.Pool: its processes are daemons, which may not start workers.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(work, *args).result()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="*", default=[10_000], help="records")
    parser.add_argument("--change", choices=("remove", "local"), default="remove")
    parser.add_argument(
        "--kinds",
        default="peer,snapshot,store,workers",
        help="rows to measure, comma-separated (the peer is always measured)",
    )
    args = parser.parse_args(argv)
    kinds = ["peer", *(k for k in args.kinds.split(",") if k and k != "peer")]
    from indexer.impact_workers import auto_workers
    from indexer.snapshot import write_snapshot
    from indexer.store import Store

    with tempfile.TemporaryDirectory(prefix="moisson-bench-impact-") as folder:
        thesaurus, rules = _proposed(Path(folder), args.change)
        print(f"change: {args.change}")
        for n in args.sizes:
            url = f"sqlite:///{folder}/store-{n}.db"
            start = time.perf_counter()
            _fill(url, n)
            filled = time.perf_counter() - start
            snapshot = Path(folder) / f"snapshot-{n}.jsonl.gz"
            start = time.perf_counter()
            with Store(url) as store:
                info = write_snapshot(store.iter_records(), snapshot, created=datetime.now(UTC))
            snapped = time.perf_counter() - start
            print(
                f"{n:,} records: store filled in {filled:.1f} s; snapshot "
                f"{info.bytes / 2**20:.1f} MiB written in {snapped:.1f} s"
            )
            rows = {}
            for kind in kinds:
                rows[kind] = _in_child(
                    _measure, kind, url, str(snapshot), str(thesaurus), str(rules)
                )
            peer = rows["peer"]["cpu"]
            for kind, label in (
                ("peer", "one matcher pass (peer)"),
                ("snapshot", "impact (snapshot)"),
                ("store", "impact (store)"),
                ("workers", f"impact (snapshot, {auto_workers(n)} proc)"),
            ):
                if kind not in rows:
                    continue
                row = rows[kind]
                rate = row["records"] / row["seconds"]
                print(
                    f"  {label:<24} {row['seconds']:6.1f} s (CPU {row['cpu']:5.1f} s)  "
                    f"{rate:7,.0f} records/s  peak RSS {row['peak_mib']:4,.0f} MiB "
                    f"(+{row['growth_mib']:,.0f}"
                    + (f"; workers {row['worker_mib']:,.0f} each" if row["worker_mib"] else "")
                    + f")  {row['cpu'] / peer:4.2f}x the peer's CPU  "
                    f"changed {row['changed']:,} "
                    f"(re-matched {row['rematched']:,})"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
