"""`thesaurus impact` on the fixture records (real parsers, real thesaurus): each change's
gains and losses equal what the test works out on its own from the old themes, the
evidence and the keywords, never from the impact code."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.rules import load_rules
from indexer.theme_impact import Impact, compute_impact
from indexer.themes import Themer
from indexer.thesaurus import label_keys, load_thesaurus
from moisson.config import BUNDLED_RULES, BUNDLED_THESAURUS
from moisson.record import Record
from testkit.fixture_records import fixture_records
from tests.forge.variants import (
    CYCLE,
    MOVE_FLORA,
    NEW_CONCEPT,
    NEW_MATCH,
    NEW_SYNONYM,
    RENAME_FLORA,
    RULE_CHANGE,
    TEXT_SYNONYM,
    removed_weather,
    variant_rules,
    variant_thesaurus,
)


@pytest.fixture(scope="module")
def records(shared_fixtures: Path) -> list[Record]:
    return fixture_records(shared_fixtures)


@pytest.fixture(scope="module")
def current() -> Themer:
    return Themer(load_thesaurus(BUNDLED_THESAURUS), load_rules(BUNDLED_RULES))


def _impact(
    records: list[Record],
    current: Themer,
    thesaurus: Path = BUNDLED_THESAURUS,
    rules: Path = BUNDLED_RULES,
) -> Impact:
    proposed = Themer(load_thesaurus(thesaurus), load_rules(rules))
    return compute_impact(records, current, proposed, examples=10_000)


def _with(records: list[Record], themer: Themer, concept: str) -> list[Record]:
    return [r for r in records if concept in {t.id for t in themer.assign(r)}]


def _gained(impact: Impact, concept: str) -> set[str]:
    return {e.record_id for e in impact.themes[concept].gained_examples}


def _lost(impact: Impact, concept: str) -> set[str]:
    return {e.record_id for e in impact.themes[concept].lost_examples}


def test_the_same_version_changes_nothing(records: list[Record], current: Themer) -> None:
    impact = _impact(records, current)
    assert impact.records == len(records) > 100
    assert impact.changed_records == 0
    assert impact.changed_themes() == [] and impact.emptied() == []
    assert all(c.themed_before == c.themed_after for c in impact.coverage.values())


def test_a_rename_relabels_every_flora_record_and_moves_none(
    records: list[Record], current: Themer, tmp_path: Path
) -> None:
    flora = _with(records, current, "flora")
    assert flora, "the fixtures hold flora records"
    impact = _impact(records, current, variant_thesaurus(tmp_path, RENAME_FLORA))
    delta = impact.themes["flora"]
    assert (delta.before, delta.after, delta.relabelled) == (len(flora), len(flora), len(flora))
    assert (delta.gained, delta.lost, delta.moved) == (0, 0, 0)
    assert impact.changed_records == len(flora)


def test_a_move_changes_the_broader_concepts_of_flora_records(
    records: list[Record], current: Themer, tmp_path: Path
) -> None:
    flora = _with(records, current, "flora")
    impact = _impact(records, current, variant_thesaurus(tmp_path, MOVE_FLORA))
    assert impact.themes["flora"].moved == len(flora)
    assert [d.concept for d in impact.changed_themes()] == ["flora"]


def test_a_removed_concept_loses_its_records_and_empties(
    records: list[Record], current: Themer, tmp_path: Path
) -> None:
    weather = _with(records, current, "weather")
    only_weather = [r for r in weather if [t.id for t in current.assign(r)] == ["weather"]]
    assert weather
    impact = _impact(records, current, variant_thesaurus(tmp_path, removed_weather()))
    assert _lost(impact, "weather") == {r.id for r in weather}
    assert impact.themes["weather"].after == 0
    assert "weather" in impact.emptied()
    assert impact.unthemed == len(only_weather)
    assert {e.record_id for e in impact.unthemed_examples} == {r.id for r in only_weather}


def test_a_new_synonym_files_the_records_with_that_keyword(
    records: list[Record], current: Themer, tmp_path: Path
) -> None:
    keys = set(label_keys("vegetation-cropland"))
    expected = {
        r.id
        for r in records
        if any(keys & set(label_keys(k.label)) for k in r.keywords)
        and "agriculture" not in {t.id for t in current.assign(r)}
    }
    assert expected, "the fixtures hold records with a 'vegetation-cropland' keyword"
    impact = _impact(records, current, variant_thesaurus(tmp_path, NEW_SYNONYM))
    assert _gained(impact, "agriculture") == expected
    assert impact.themes["agriculture"].lost == 0
    example = impact.themes["agriculture"].gained_examples[0]
    assert any("altLabel@en 'vegetation-cropland'" in line for line in example.evidence)


def test_a_rule_change_moves_its_records_to_the_new_concept(
    records: list[Record], current: Themer, tmp_path: Path
) -> None:
    # The rule fires on 'Hydrography--...' keyword paths. The label step files those records
    # under hydrography through the path's 'Hydrography' segment too, so the records that
    # lose hydrography (those that had it through the rule alone) may be none.
    rule_only: set[str] = set()  # hydrography only through the rule: lose hydrography
    hit: set[str] = set()  # the rule fires: gain water unless they had it
    for record in records:
        themes = {t.id: t for t in current.assign(record)}
        if any(e.rule == "lcsh-hydrography" for t in themes.values() for e in t.evidence):
            hit.add(record.id)
            if all(e.rule == "lcsh-hydrography" for e in themes["hydrography"].evidence):
                rule_only.add(record.id)
    water_before = {r.id for r in _with(records, current, "water")}
    assert hit - water_before, "the fixtures hold records the rule files under water"
    impact = _impact(records, current, rules=variant_rules(tmp_path, RULE_CHANGE))
    assert _lost(impact, "hydrography") == rule_only
    assert _gained(impact, "water") == hit - water_before
    coverage = impact.coverage
    assert sum(c.records for c in coverage.values()) == len(records)


@pytest.mark.parametrize(
    "change",
    [
        "rename",
        "move",
        "remove",
        "synonym",
        "text",
        "match",
        "concept",
        "rule",
        "cycle",
        "rule-order",
        "threshold",
    ],
)
def test_pruning_gives_exactly_the_impact_of_matching_every_record(
    records: list[Record], current: Themer, tmp_path: Path, change: str
) -> None:
    """The scope (indexer/impact_scope.py) only skips records whose themes cannot change."""
    thesaurus, rules = BUNDLED_THESAURUS, BUNDLED_RULES
    threshold = 3
    if change in {"rename", "move", "remove", "synonym", "text", "match", "concept", "cycle"}:
        edits = {
            "rename": RENAME_FLORA,
            "move": MOVE_FLORA,
            "remove": removed_weather(),
            "synonym": NEW_SYNONYM,
            "text": TEXT_SYNONYM,
            "match": NEW_MATCH,
            "concept": NEW_CONCEPT,
            "cycle": CYCLE,
        }[change]
        thesaurus = variant_thesaurus(tmp_path, edits)
    elif change == "rule":
        rules = variant_rules(tmp_path, RULE_CHANGE)
    elif change == "rule-order":
        loaded = load_rules(BUNDLED_RULES)
        rules = tmp_path / "rules.yaml"
        rules.write_text(
            loaded.model_copy(update={"rules": loaded.rules[::-1]}).dump_yaml(), encoding="utf-8"
        )
    else:
        threshold = 2
    proposed = Themer(load_thesaurus(thesaurus), load_rules(rules), text_threshold=threshold)
    pruned = compute_impact(records, current, proposed, examples=10_000)
    full = compute_impact(records, current, proposed, examples=10_000, prune=False)
    assert pruned.as_json() == full.as_json()
    assert full.changed_records > 0 or change == "rule-order"
    assert full.rematched == len(records)
    if change == "rule-order":
        assert pruned.rematched == len(records)
    else:  # a local change re-matches only the records it can reach; a removed or new
        # concept (every idf moves) and a new threshold those in whose text a label is found
        assert pruned.changed_records <= pruned.rematched < len(records) / 2


def test_several_workers_give_the_impact_of_one_process(
    records: list[Record], current: Themer, tmp_path: Path
) -> None:
    from indexer.impact_workers import VersionFiles, parallel_impact

    thesaurus = variant_thesaurus(tmp_path, [*NEW_SYNONYM, *removed_weather()])
    rules = variant_rules(tmp_path, RULE_CHANGE)
    old = VersionFiles(BUNDLED_THESAURUS, BUNDLED_RULES)
    new = VersionFiles(thesaurus, rules)
    single = compute_impact(records, current, new.themer(), examples=2)
    shared = parallel_impact(records, old, new, examples=2, workers=2, batch=15)
    assert shared.as_json() == single.as_json()
    assert single.changed_records > 0 and shared.records == len(records)


def test_workers_that_cannot_start_fail_clearly(tmp_path: Path) -> None:
    from indexer.impact_workers import VersionFiles, parallel_impact
    from moisson.errors import ConfigError

    gone = VersionFiles(tmp_path / "missing.ttl", BUNDLED_RULES)
    record = Record.new("s", "1", title="Zones humides")
    with pytest.raises(ConfigError, match="--workers 1"):
        parallel_impact([record], VersionFiles(BUNDLED_THESAURUS, BUNDLED_RULES), gone, workers=2)
