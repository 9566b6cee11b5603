"""Before/after check for speed work on the theme matcher: every record must theme identically.

    PYTHONPATH=. .venv/bin/python -m bench.theme_snapshot save /tmp/themes-before.pickle
    PYTHONPATH=. .venv/bin/python -m bench.theme_snapshot compare /tmp/themes-before.pickle

Runs `Themer.assign` (default settings: the bundled thesaurus and rules) on every record of
../shared/fixtures (testkit.fixture_records: CSW/ISO, DCAT, CKAN), of samples/ and on N
generated ISO records (bench/generate.py), and keeps per record its themes in full: concept,
broader, labels and every piece of evidence (step, field, matched text, target, which holds
the text and GEMET scores), plus `unmatched_keywords`. `compare` lists the records whose
themes differ; scores printed in targets must be equal as text, and the text step's raw
float scores (TextScorer.best) are compared to 1e-9. A unit test inside one commit cannot
compare a rewrite with the code it replaced; this compares across commits.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterator
from pathlib import Path

from bench.generate import generate_iso_records
from bench.snapshot_file import save_or_compare
from harvester.formats.csw_response import read_document
from indexer.themes import Themer, _spoken_language, load_themer
from moisson.config import ThemesSettings
from moisson.record import Record
from testkit.fixture_records import fixture_records

ROOT = Path(__file__).resolve().parents[1]


def records(generated: int) -> Iterator[tuple[str, Record]]:
    """(stable label, record) of every record the snapshot covers."""
    fixtures = ROOT.parent / "shared" / "fixtures"
    if fixtures.is_dir():
        for index, record in enumerate(fixture_records(fixtures)):
            yield f"fixture#{index}:{record.provenance.source_id}:{record.id}", record
    else:
        print(f"warning: {fixtures} is absent, only samples and generated records compared")
    for index, record in enumerate(fixture_records(ROOT / "samples")):
        yield f"sample#{index}:{record.provenance.source_id}:{record.id}", record
    for index, (_, body) in enumerate(generate_iso_records(generated)):
        for item in read_document(body, "generated").items:
            if item.record is not None:
                yield f"generated#{index}:{item.record.id}", item.record


def themed(themer: Themer, record: Record) -> object:
    """What the matcher says of one record, comparable across commits."""
    try:
        themes = [theme.model_dump() for theme in themer.assign(record)]
        unmatched = themer.unmatched_keywords(record)
    except Exception as exc:  # a crash is a difference to report
        return ("error", type(exc).__name__, str(exc))
    hit = themer.text_scorer.best(record.title, record.abstract, _spoken_language(record))
    text = None if hit is None else (hit.concept, hit.label, hit.field, hit.score, hit.runner_up)
    return {"themes": themes, "unmatched": unmatched, "text": text}


def same(before: object, now: object) -> bool:
    """Equal, floats to 1e-9."""
    if isinstance(before, float) and isinstance(now, float):
        return math.isclose(before, now, rel_tol=0, abs_tol=1e-9)
    if isinstance(before, dict) and isinstance(now, dict):
        return before.keys() == now.keys() and all(same(before[k], now[k]) for k in before)
    if isinstance(before, list | tuple) and isinstance(now, list | tuple):
        return (
            type(before) is type(now)
            and len(before) == len(now)
            and all(same(a, b) for a, b in zip(before, now, strict=True))
        )
    return before == now


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("save", "compare"))
    parser.add_argument("file", type=Path)
    parser.add_argument("--generated", type=int, default=3000)
    args = parser.parse_args(argv)
    themer = load_themer(ThemesSettings())
    now = {label: themed(themer, record) for label, record in records(args.generated)}
    return save_or_compare(args.action, args.file, now, same)


if __name__ == "__main__":
    sys.exit(main())
