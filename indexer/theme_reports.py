"""The thesaurus-change report in three forms for a software forge:

- `markdown`: a merge-request comment. Validation first, then one summary table of the
  changes and one of their impact, then the details folded in `<details>` blocks so the
  comment stays short.
- `json`: everything, structured, for other tools.
- `junit`: JUnit XML, so the forge's CI shows each validation problem as a failed test
  with its file and line (GitLab `artifacts:reports:junit`, GitHub test reporters).

Pure: a `ChangeReport` in, text out. Titles and labels come from harvested records, so
markdown escapes them (a `|` would break a table, a `<` would open HTML).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from indexer.theme_impact import Example, Impact, ThemeDelta
from indexer.theme_versions import ThemeVersion
from indexer.thesaurus_check import Problem
from indexer.thesaurus_diff import DiffEntry, ThesaurusDiff

__all__ = ["FORMATS", "ChangeReport", "render"]


_KIND_NAMES = {
    "concept-added": "concepts added",
    "concept-removed": "concepts removed",
    "renamed": "concepts renamed",
    "moved": "concepts moved",
    "label-added": "labels added",
    "label-removed": "labels removed",
    "match-added": "match links added",
    "match-removed": "match links removed",
    "rule-added": "rules added",
    "rule-removed": "rules removed",
    "rule-changed": "rules changed",
    "vocabulary-added": "vocabularies added",
    "vocabulary-removed": "vocabularies removed",
}


@dataclass
class ChangeReport:
    """What `thesaurus diff` (impact None) or `thesaurus impact` found. `diff` is None when
    one version cannot be read; `against` names the records the impact ran on."""

    old: ThemeVersion
    new: ThemeVersion
    diff: ThesaurusDiff | None
    impact: Impact | None = None
    against: str = ""

    @property
    def valid(self) -> bool:
        """Whether the new version may be published (old problems are not this change's)."""
        return not self.new.problems


def _md(text: object) -> str:
    """Safe inside a markdown table cell or an HTML block."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("\n", " ")
    )


def _md_validation(report: ChangeReport) -> list[str]:
    problems = report.new.problems
    if not problems:
        return [f"**Validation:** passes ({_md(report.new.label)})."]
    lines = [f"**Validation: {len(problems)} problem(s)** in {_md(report.new.label)}:", ""]
    lines += [f"- `{p.file}:{p.line}`: {_md(p.message)}" for p in problems]
    return lines


def _md_summary(diff: ThesaurusDiff) -> list[str]:
    if not diff:
        return ["No change to the thesaurus or the rules."]
    lines = ["| change | count |", "|---|---:|"]
    lines += [f"| {_KIND_NAMES[k]} | {n} |" for k, n in diff.counts().items()]
    return lines


def _md_changes(diff: ThesaurusDiff) -> list[str]:
    if not diff:
        return []
    lines = [f"<details><summary>The {len(diff.entries)} change(s)</summary>", ""]
    lines += [f"- {_md(e.text)}" for e in diff.entries]
    return [*lines, "", "</details>"]


def _md_example(example: Example) -> str:
    evidence = "; ".join(example.evidence)
    tail = f" — {_md(evidence)}" if evidence else ""
    return f"  - {_md(example.title)} ({_md(example.source_id)}, `{example.record_id}`){tail}"


def _md_impact(impact: Impact, diff: ThesaurusDiff | None, against: str) -> list[str]:
    touching = diff.touching() if diff else {}
    lines = [
        f"**Impact** on {impact.records} records ({_md(against)}): "
        f"{impact.changed_records} record(s) change themes; {len(impact.emptied())} theme(s) "
        f"become empty; {impact.unthemed} record(s) left without any theme.",
        "",
    ]
    changed = impact.changed_themes()
    if changed:
        lines += [
            "| theme | records before → after | gained | lost | relabelled | moved | because of |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for d in changed:
            causes = ", ".join(sorted({e.kind for e in touching.get(d.concept, [])})) or "—"
            lines.append(
                f"| `{d.concept}` {_md(d.label)} | {d.before} → {d.after} | +{d.gained} "
                f"| -{d.lost} | {d.relabelled} | {d.moved} | {causes} |"
            )
    else:
        lines.append("No record changes themes.")
    if impact.emptied():
        lines += [
            "",
            "**Themes that become empty:** " + ", ".join(f"`{c}`" for c in impact.emptied()),
        ]
    lines += ["", *_md_coverage(impact)]
    for d in changed:
        if d.gained_examples or d.lost_examples:
            lines += ["", *_md_theme_details(d, touching.get(d.concept, []))]
    if impact.unthemed_examples:
        lines += [
            "",
            f"<details><summary>Left without any theme: {impact.unthemed}</summary>",
            "",
            *[_md_example(e) for e in impact.unthemed_examples],
            "",
            "</details>",
        ]
    return lines


def _coverage_row(name: str, records: int, before: int, after: int) -> str:
    return (
        f"| {name} | {records} | {before} ({_share(before, records)}) → "
        f"{after} ({_share(after, records)}) |"
    )


def _md_coverage(impact: Impact) -> list[str]:
    """Records with a theme, before -> after: all sources together and those that change
    in a table, every source in a folded one."""
    header = ["| source | records | with a theme before → after |", "|---|---:|---|"]
    rows = [impact.coverage[s] for s in sorted(impact.coverage)]
    total = _coverage_row(
        "**all sources**",
        sum(c.records for c in rows),
        sum(c.themed_before for c in rows),
        sum(c.themed_after for c in rows),
    )
    every = [
        _coverage_row(_md(c.source_id), c.records, c.themed_before, c.themed_after) for c in rows
    ]
    moving = [
        _coverage_row(_md(c.source_id), c.records, c.themed_before, c.themed_after)
        for c in rows
        if c.themed_before != c.themed_after
    ]
    return [
        *header,
        total,
        *moving,
        "",
        f"<details><summary>Coverage of each of the {len(rows)} source(s)</summary>",
        "",
        *header,
        *every,
        "",
        "</details>",
    ]


def _md_theme_details(delta: ThemeDelta, causes: list[DiffEntry]) -> list[str]:
    lines = [
        f"<details><summary><code>{_md(delta.concept)}</code> {_md(delta.label)}: "
        f"+{delta.gained} -{delta.lost}</summary>",
        "",
    ]
    if causes:
        lines += ["Changes:", *[f"  - {_md(e.text)}" for e in causes]]
    if delta.gained_examples:
        lines += [f"Gain it (first {len(delta.gained_examples)} of {delta.gained}):"]
        lines += [_md_example(e) for e in delta.gained_examples]
    if delta.lost_examples:
        lines += [f"Lose it (first {len(delta.lost_examples)} of {delta.lost}):"]
        lines += [_md_example(e) for e in delta.lost_examples]
    return [*lines, "", "</details>"]


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "—"


def render_markdown(report: ChangeReport) -> str:
    lines = [
        f"### Thesaurus change: {_md(report.old.label)} → {_md(report.new.label)}",
        "",
        *_md_validation(report),
        "",
    ]
    if report.diff is None:
        lines.append("The change cannot be compared until both versions can be read.")
        return "\n".join(lines) + "\n"
    lines += [*_md_summary(report.diff), "", *_md_changes(report.diff)]
    if report.impact is not None:
        lines += ["", *_md_impact(report.impact, report.diff, report.against)]
    return "\n".join(lines).rstrip("\n") + "\n"


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "message": problem.message}


def _version_json(version: ThemeVersion) -> dict[str, Any]:
    return {
        "label": version.label,
        "digest": version.digest,
        "problems": [_problem_json(p) for p in version.problems],
    }


def render_json(report: ChangeReport) -> str:
    data: dict[str, Any] = {
        "valid": report.valid,
        "old": _version_json(report.old),
        "new": _version_json(report.new),
        "summary": report.diff.counts() if report.diff is not None else None,
        "changes": [e.as_json() for e in report.diff.entries] if report.diff is not None else None,
    }
    if report.impact is not None:
        data["impact"] = {"against": report.against, **report.impact.as_json()}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def render_junit(report: ChangeReport) -> str:
    """One test case per validation problem (failed, with file and line), one passing case
    per file when there is none, and one case summing up the diff (and impact)."""
    problems = report.new.problems
    suite = ET.Element("testsuite", name="moisson thesaurus", tests="0", failures="0", errors="0")
    cases = 0
    for problem in problems:
        case = ET.SubElement(
            suite,
            "testcase",
            classname="thesaurus.validate",
            name=f"{problem.file}:{problem.line}",
            file=problem.file,
            line=str(problem.line),
        )
        failure = ET.SubElement(case, "failure", message=str(problem), type="validation")
        failure.text = str(problem)
        cases += 1
    if not problems:
        for path in (report.new.thesaurus_path, report.new.rules_path):
            ET.SubElement(suite, "testcase", classname="thesaurus.validate", name=path.name)
            cases += 1
    summary = ET.SubElement(suite, "testcase", classname="thesaurus.diff", name="changes")
    out = ET.SubElement(summary, "system-out")
    out.text = render_markdown(report)
    cases += 1
    suite.set("tests", str(cases))
    suite.set("failures", str(len(problems)))
    root = ET.Element("testsuites", tests=str(cases), failures=str(len(problems)))
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


FORMATS: dict[str, Callable[[ChangeReport], str]] = {
    "markdown": render_markdown,
    "json": render_json,
    "junit": render_junit,
}


def render(report: ChangeReport, fmt: str) -> str:
    return FORMATS[fmt](report)
