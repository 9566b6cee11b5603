"""The example report of docs/forge.md, computed from the fixture records: the test
(tests/forge/test_docs_example.py) fails when the page and the code disagree, and running
this module prints the report to paste:

    .venv/bin/python -m tests.forge.docs_example
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from indexer.theme_impact import compute_impact
from indexer.theme_reports import ChangeReport, render
from indexer.theme_versions import load_version
from indexer.thesaurus_diff import diff_versions
from moisson.config import BUNDLED_RULES, BUNDLED_THESAURUS
from testkit.fixture_records import fixture_records
from tests.conftest import SHARED_FIXTURES
from tests.forge.variants import (
    LANGUAGES,
    NEW_SYNONYM,
    RULE_CHANGE,
    removed_weather,
    variant_rules,
    variant_thesaurus,
)

__all__ = ["example_report"]


def example_report(fixtures: Path = SHARED_FIXTURES) -> str:
    """A merge request that adds a synonym, removes a concept and re-points a rule."""
    records = list({r.id: r for r in fixture_records(fixtures)}.values())
    with tempfile.TemporaryDirectory() as folder:
        thesaurus = variant_thesaurus(Path(folder), [*NEW_SYNONYM, *removed_weather()])
        rules = variant_rules(Path(folder), RULE_CHANGE)
        shown = {folder: "merge-request"}
        old = load_version(BUNDLED_THESAURUS, BUNDLED_RULES, LANGUAGES, label="main")
        new = load_version(thesaurus, rules, LANGUAGES, label="merge request", display=shown)
        assert old.thesaurus and old.rules and new.thesaurus and new.rules
        diff = diff_versions(old.thesaurus, old.rules, new.thesaurus, new.rules)
        impact = compute_impact(records, old.themer(), new.themer(), examples=3)
        report = ChangeReport(old, new, diff, impact, against="snapshot fixtures.jsonl.gz")
        return render(report, "markdown")


if __name__ == "__main__":
    print(example_report(), end="")
