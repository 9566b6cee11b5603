"""Theme assignment throughput on N generated ISO 19139 records (bench/generate.py).

    .venv/bin/python -m bench.bench_themes 10000

Prints records per CPU second (time.process_time) for, on the same parsed records:

- Moisson's matcher (indexer/themes.py: URIs, labels with stemming, rules, text step);
- a floor: a case-folded exact lookup of keyword labels in a dict of the thesaurus labels
  (no stemming, no URIs, no rules, no text), what the simplest mapping would cost;
- the CSW/ISO parser on the same records, to show the matcher's share of an ingest;

and the share of records given at least one theme. Ratios move less between machines than
absolute numbers.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from bench.generate import generate_iso_records
from harvester.formats.csw_response import read_document
from indexer.themes import load_themer
from moisson.config import ThemesSettings
from moisson.record import Record

__all__ = ["main"]


def _rate(count: int, work: Callable[[], object], repeat: int = 3) -> float:
    """Records per CPU second of this process, best of `repeat`: the machine is shared, and
    wall time measures the neighbours' load as much as the matcher."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return count / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=10000, help="records to generate")
    args = parser.parse_args(argv)

    payloads = [body for _, body in generate_iso_records(args.n)]
    records: list[Record] = []

    def parse() -> None:
        records.clear()
        for body in payloads:
            records.extend(i.record for i in read_document(body, "bench").items if i.record)

    parse_rate = _rate(len(payloads), parse, repeat=1)
    themer = load_themer(ThemesSettings())
    labels = {
        label.casefold(): concept.id
        for concept in themer.thesaurus.concepts.values()
        for _, _, label in concept.all_labels()
    }

    def naive() -> None:
        for record in records:
            {labels.get(k.label.casefold()) for k in record.keywords} - {None}

    def matcher() -> None:
        for record in records:
            themer.assign(record)

    themer.assign(records[0])  # warm the analysis caches like a running harvest
    match_rate = _rate(len(records), matcher)
    naive_rate = _rate(len(records), naive)
    themed = sum(1 for r in records if themer.assign(r))
    print(
        f"{len(records)} generated records, {len(themer.thesaurus.concepts)} concepts, "
        f"{len(themer.rules.rules)} rules"
    )
    print(f"matcher            {match_rate:10,.0f} records/s")
    print(
        f"exact-label floor  {naive_rate:10,.0f} records/s  "
        f"(matcher is {naive_rate / match_rate:.1f}x slower)"
    )
    print(
        f"ISO parse          {parse_rate:10,.0f} records/s  "
        f"(matcher adds {parse_rate / match_rate:.0%} to parse time)"
    )
    print(f"themed             {themed / len(records):10.1%} of records")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
