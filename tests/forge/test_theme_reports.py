"""The forge reports: a broken file shows up with its file and line in markdown, JSON and
JUnit (read back with junitparser, a JUnit reader), and a good change reads as a summary
table with the details folded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml

from indexer.theme_impact import compute_impact
from indexer.theme_reports import ChangeReport, render
from indexer.theme_versions import ThemeVersion, load_version
from indexer.thesaurus_diff import diff_versions
from moisson.config import BUNDLED_RULES, BUNDLED_THESAURUS
from moisson.record import Keyword, Record
from tests.forge.variants import CYCLE, LANGUAGES, NEW_SYNONYM, variant_thesaurus


def _report(new: ThemeVersion, records: list[Record] | None = None) -> ChangeReport:
    old = load_version(BUNDLED_THESAURUS, BUNDLED_RULES, LANGUAGES, label="main")
    diff = None
    if old.loaded and new.loaded:
        diff = diff_versions(old.thesaurus, old.rules, new.thesaurus, new.rules)  # type: ignore[arg-type]
    impact = None
    if records is not None and diff is not None:
        impact = compute_impact(records, old.themer(), new.themer())
    return ChangeReport(old, new, diff, impact, against="test records")


def _cycle_line(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if line.startswith("t:biodiversity "))


@pytest.fixture
def cycle(tmp_path: Path) -> ThemeVersion:
    path = variant_thesaurus(tmp_path, CYCLE)
    return load_version(path, BUNDLED_RULES, LANGUAGES, display={str(tmp_path): "thesaurus"})


def test_a_cycle_fails_with_file_and_line_in_markdown(cycle: ThemeVersion, tmp_path: Path) -> None:
    text = render(_report(cycle), "markdown")
    line = _cycle_line(tmp_path / "themes.ttl")
    assert "**Validation:" in text and "problem(s)**" in text
    assert f"- `thesaurus/themes.ttl:{line}`: cycle in skos:broader: " in text
    assert str(tmp_path) not in text  # the path the reviewer knows, not the temporary copy


def test_a_cycle_fails_with_file_and_line_in_json(cycle: ThemeVersion, tmp_path: Path) -> None:
    data = json.loads(render(_report(cycle), "json"))
    assert data["valid"] is False
    cycles = [p for p in data["new"]["problems"] if p["message"].startswith("cycle")]
    assert cycles == [
        {
            "file": "thesaurus/themes.ttl",
            "line": _cycle_line(tmp_path / "themes.ttl"),
            "message": "cycle in skos:broader: biodiversity -> flora -> species -> biodiversity",
        }
    ]
    assert data["old"]["problems"] == []


def test_junit_output_parses_and_shows_each_problem_as_a_failure(
    cycle: ThemeVersion, tmp_path: Path
) -> None:
    path = tmp_path / "report.xml"
    path.write_text(render(_report(cycle), "junit"), encoding="utf-8")
    suites = list(JUnitXml.fromfile(str(path)))
    cases = [case for suite in suites for case in suite]
    failed = [case for case in cases if any(isinstance(r, Failure) for r in case.result)]
    assert len(failed) == len(cycle.problems) > 0
    assert suites[0].failures == len(cycle.problems)
    line = _cycle_line(tmp_path / "themes.ttl")
    names = {case.name for case in failed}
    assert f"thesaurus/themes.ttl:{line}" in names
    messages = [r.message for case in failed for r in case.result]
    assert any(
        m.startswith(f"thesaurus/themes.ttl:{line}: cycle in skos:broader") for m in messages
    )


def test_a_file_that_does_not_parse_fails_with_its_line_in_every_format(tmp_path: Path) -> None:
    path = variant_thesaurus(
        tmp_path, [("t:flora a skos:Concept ;", "t:flora a skos:Concept ; skos:note @@@ ;")]
    )
    version = load_version(path, BUNDLED_RULES, LANGUAGES, display={str(tmp_path): "thesaurus"})
    assert not version.loaded
    report = _report(version)
    assert report.diff is None
    problem = version.problems[0]
    assert problem.file == "thesaurus/themes.ttl" and problem.line > 1
    where = f"thesaurus/themes.ttl:{problem.line}"
    assert where in render(report, "markdown")
    assert json.loads(render(report, "json"))["new"]["problems"][0]["line"] == problem.line
    junit = tmp_path / "report.xml"
    junit.write_text(render(report, "junit"), encoding="utf-8")
    assert next(case.name for suite in JUnitXml.fromfile(str(junit)) for case in suite) == where


def test_a_valid_change_passes_in_junit(tmp_path: Path) -> None:
    version = load_version(variant_thesaurus(tmp_path, NEW_SYNONYM), BUNDLED_RULES, LANGUAGES)
    junit = tmp_path / "report.xml"
    junit.write_text(render(_report(version), "junit"), encoding="utf-8")
    cases = [case for suite in JUnitXml.fromfile(str(junit)) for case in suite]
    assert [case.name for case in cases] == ["themes.ttl", "theme-rules.yaml", "changes"]
    assert all(case.is_passed for case in cases)


def test_markdown_summarises_then_folds_the_details(tmp_path: Path) -> None:
    version = load_version(variant_thesaurus(tmp_path, NEW_SYNONYM), BUNDLED_RULES, LANGUAGES)
    record = Record.new(
        "regional | portal",
        "r1",
        title="Cultures <b>| parcelles",
        keywords=[Keyword(label="vegetation-cropland")],
    )
    text = render(_report(version, [record]), "markdown")
    assert "| labels added | 1 |" in text
    assert "**Impact** on 1 records (test records): 1 record(s) change themes" in text
    assert "| `agriculture` Farming | 0 → 1 | +1 | -0 | 0 | 0 | label-added |" in text
    assert "| **all sources** | 1 | 0 (0.0%) → 1 (100.0%) |" in text
    assert text.count("| regional \\| portal | 1 | 0 (0.0%) → 1 (100.0%) |") == 2
    details = text[text.index("<details><summary><code>agriculture</code>") :]
    assert "Cultures &lt;b&gt;\\| parcelles (regional \\| portal" in details
    assert "altLabel@en 'vegetation-cropland'" in details
    assert details.rstrip().endswith("</details>")
