"""`thesaurus diff` on the real thesaurus and rules: each kind of change a geomatician makes
produces exactly the entries a reviewer expects, and nothing else."""

from __future__ import annotations

from pathlib import Path

from indexer.rules import load_rules
from indexer.theme_versions import load_version
from indexer.thesaurus import load_thesaurus
from indexer.thesaurus_diff import diff_versions
from moisson.config import BUNDLED_RULES, BUNDLED_THESAURUS
from tests.forge.variants import (
    LANGUAGES,
    MOVE_FLORA,
    NEW_SYNONYM,
    RENAME_FLORA,
    RULE_CHANGE,
    removed_weather,
    variant_rules,
    variant_thesaurus,
)


def _diff(
    thesaurus: Path = BUNDLED_THESAURUS, rules: Path = BUNDLED_RULES
) -> list[tuple[str, str, str]]:
    found = diff_versions(
        load_thesaurus(BUNDLED_THESAURUS),
        load_rules(BUNDLED_RULES),
        load_thesaurus(thesaurus),
        load_rules(rules),
    )
    return [(e.kind, e.subject, e.text) for e in found.entries]


def test_the_same_files_differ_in_nothing() -> None:
    assert _diff() == []


def test_a_rename_keeping_the_old_label_as_a_synonym(tmp_path: Path) -> None:
    assert _diff(variant_thesaurus(tmp_path, RENAME_FLORA)) == [
        ("renamed", "flora", "flora renamed (fr: 'Flore' -> 'Flore sauvage')"),
        ("label-added", "flora", "flora: altLabel 'Flore'@fr added"),
        ("label-added", "flora", "flora: prefLabel 'Flore sauvage'@fr added"),
        ("label-removed", "flora", "flora: prefLabel 'Flore'@fr removed"),
    ]


def test_a_move_under_another_broader_concept(tmp_path: Path) -> None:
    assert _diff(variant_thesaurus(tmp_path, MOVE_FLORA)) == [
        ("moved", "flora", "flora moved: broader species -> biodiversity"),
    ]


def test_a_removed_concept(tmp_path: Path) -> None:
    entries = _diff(variant_thesaurus(tmp_path, removed_weather()))
    assert entries == [("concept-removed", "weather", "weather removed ('Weather and atmosphere')")]


def test_a_new_synonym(tmp_path: Path) -> None:
    assert _diff(variant_thesaurus(tmp_path, NEW_SYNONYM)) == [
        ("label-added", "agriculture", "agriculture: altLabel 'vegetation-cropland'@en added"),
    ]


def test_a_rule_change(tmp_path: Path) -> None:
    assert _diff(rules=variant_rules(tmp_path, RULE_CHANGE)) == [
        (
            "rule-changed",
            "lcsh-hydrography",
            "rule lcsh-hydrography changed (concept: 'hydrography' -> 'water')",
        ),
    ]


def test_added_and_removed_rules_and_match_links(tmp_path: Path) -> None:
    thesaurus = variant_thesaurus(
        tmp_path,
        [("skos:exactMatch inspire:ge ;", "skos:exactMatch inspire:ge, inspire:mr ;")],
    )
    text = BUNDLED_RULES.read_text(encoding="utf-8")
    start = text.index("  - id: wfd-text")
    end = text.index("  - id: ignore-open-data")
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        text[:start]
        + text[end:]
        + "  - id: peat\n    comment: Peat bogs.\n    keyword: tourbe\n    concept: wetlands\n",
        encoding="utf-8",
    )
    assert _diff(thesaurus, rules) == [
        (
            "match-added",
            "geology",
            "geology: skos:exactMatch <http://inspire.ec.europa.eu/theme/mr> added",
        ),
        ("rule-added", "peat", "rule peat added: map keyword 'tourbe' -> wetlands"),
        ("rule-removed", "wfd-text", "rule wfd-text removed (map -> water-management)"),
    ]


def test_entries_name_the_concepts_they_can_retheme(tmp_path: Path) -> None:
    version = load_version(variant_thesaurus(tmp_path, MOVE_FLORA), BUNDLED_RULES, LANGUAGES)
    assert version.loaded and version.problems == []
    found = diff_versions(
        load_thesaurus(BUNDLED_THESAURUS),
        load_rules(BUNDLED_RULES),
        version.thesaurus,  # type: ignore[arg-type]
        version.rules,  # type: ignore[arg-type]
    )
    assert {c: [e.kind for e in es] for c, es in found.touching().items()} == {"flora": ["moved"]}
