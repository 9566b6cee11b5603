"""`moisson thesaurus validate`: the bundled files pass; each kind of breakage is named, with
the file and the line of the concept or rule at fault."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, SKOS

from indexer.thesaurus import load_thesaurus
from indexer.thesaurus_check import Problem, validate
from moisson.config import BUNDLED_RULES, BUNDLED_THESAURUS
from pipeline.cli import main
from testkit.fixture_records import csw_records

LANGUAGES = ["fr", "en"]


def _line(path: Path, start: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(start):
            return number
    raise AssertionError(f"{start!r} not in {path}")


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = BUNDLED_THESAURUS.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "themes.ttl"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def _rules(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(BUNDLED_RULES.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def _problems(thesaurus: Path, rules: Path = BUNDLED_RULES) -> list[str]:
    return [str(p) for p in validate(thesaurus, rules, LANGUAGES)]


def test_the_bundled_thesaurus_and_rules_are_valid() -> None:
    assert validate(BUNDLED_THESAURUS, BUNDLED_RULES, LANGUAGES) == []


@pytest.mark.parametrize(
    ("concept", "old", "new", "expected"),
    [
        (
            "flora",
            'skos:prefLabel "Flore"@fr, "Flora"@en ;',
            'skos:prefLabel "Flore"@fr ;',
            "concept flora has no prefLabel in 'en'",
        ),
        (
            "flora",
            'skos:prefLabel "Flore"@fr, "Flora"@en ;',
            'skos:prefLabel "Flore"@fr, "Flore sauvage"@fr, "Flora"@en ;',
            "concept flora has 2 prefLabels in 'fr': 'Flore', 'Flore sauvage'",
        ),
        (
            "marine",  # reported at the second concept, in URI order
            'skos:prefLabel "Littoral"@fr, "Coast"@en ;',
            'skos:prefLabel "Littoral"@fr, "Marine environment"@en ;',
            "prefLabel 'Marine environment'@en of marine is also the prefLabel of coast",
        ),
        (
            "wetlands",
            'skos:altLabel "trait de côte"@fr,',
            'skos:altLabel "trait de côte"@fr, "marais"@fr,',
            "ambiguous label: altLabel 'marais'@fr of wetlands matches the label 'marais' of "
            "coast after normalisation",
        ),
        (
            "fauna",
            "t:species a skos:Concept ;",
            "t:species a skos:Concept ; skos:broader t:fauna ;",
            "cycle in skos:broader: fauna -> species -> fauna",
        ),
        (
            "biogeographical-regions",
            '"Areas of relatively homogeneous ecological conditions."@en ;\n'
            "    skos:exactMatch inspire:br ;\n    skos:broader t:biodiversity .",
            '"Areas of relatively homogeneous ecological conditions."@en ;\n'
            "    skos:exactMatch inspire:br .",
            "orphan concept biogeographical-regions: no broader concept and not a top concept",
        ),
        (
            "habitats",
            "skos:exactMatch inspire:hb ;",
            "skos:exactMatch <http://example.org/habitats> ;",
            "skos:exactMatch of habitats points at http://example.org/habitats, in no known "
            "vocabulary",
        ),
    ],
    ids=["no-pref-en", "two-prefs", "same-pref", "ambiguous", "cycle", "orphan", "match"],
)
def test_each_breakage_is_named_at_the_concept_line(
    tmp_path: Path, concept: str, old: str, new: str, expected: str
) -> None:
    path = _broken(tmp_path, old, new)
    line = _line(path, f"t:{concept} a skos:Concept")
    problems = _problems(path)
    assert any(p.startswith(f"{path}:{line}: {expected}") for p in problems), problems


def test_a_mirror_missing_between_broader_and_narrower_is_named(tmp_path: Path) -> None:
    path = _broken(
        tmp_path, "t:species a skos:Concept ;", "t:species a skos:Concept ; skos:broader t:water ;"
    )
    line = _line(path, "t:species a")
    expected = f"{path}:{line}: species has broader water, but water does not list it as narrower"
    assert expected in _problems(path)


def test_a_rule_pointing_at_no_concept_is_named_at_its_line(tmp_path: Path) -> None:
    rules = _rules(
        tmp_path,
        "  - id: swamps\n    comment: typo in the concept\n    keyword: swamp\n"
        "    concept: swamps\n",
    )
    line = _line(rules, "  - id: swamps")
    assert _problems(BUNDLED_THESAURUS, rules) == [
        f"{rules}:{line}: rule swamps points at 'swamps', not a concept"
    ]


def test_a_rule_with_a_bad_pattern_is_named_at_its_line(tmp_path: Path) -> None:
    rules = _rules(
        tmp_path,
        "  - id: broken\n    comment: unbalanced\n    pattern: '(zones'\n    concept: wetlands\n",
    )
    [problem] = _problems(BUNDLED_THESAURUS, rules)
    line = _line(rules, "  - id: broken")
    assert problem.startswith(f"{rules}:{line}: rule #")
    assert "pattern: Value error, not a valid regular expression" in problem


def test_a_turtle_syntax_error_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = _broken(tmp_path, "t:species a skos:Concept ;", "t:species a skos:Concept ;;; [")
    [problem] = validate(path, BUNDLED_RULES, LANGUAGES)
    assert isinstance(problem, Problem)
    assert "not valid Turtle" in problem.message and problem.line > 1


def test_the_cli_exits_non_zero_with_file_line_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _broken(
        tmp_path, 'skos:prefLabel "Flore"@fr, "Flora"@en ;', 'skos:prefLabel "Flore"@fr ;'
    )
    assert main(["thesaurus", "validate", str(path), "--rules", str(BUNDLED_RULES)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:{_line(path, 't:flora a')}: concept flora has no prefLabel in 'en'" in out
    assert main(["thesaurus", "validate"]) == 0


def test_every_match_target_is_a_real_concept_of_a_fixture_vocabulary(
    shared_fixtures: Path,
) -> None:
    """*Match targets are the URIs harvested records really carry: each one is a concept of
    the published vocabulary (shared/fixtures/thesauri) or a keyword URI of a fixture record."""
    known: set[str] = set()
    for name in (
        "inspire_themes_en_geonetwork.rdf",
        "iso_topic_category_inspire.rdf",
        "eu_data_theme_piveau.rdf",
        "inspire_PriorityDataset.rdf",
    ):
        graph = rdflib.Graph().parse(shared_fixtures / "thesauri" / name)
        known |= {str(c) for c in graph.subjects(RDF.type, SKOS.Concept)}
    gemet = shared_fixtures / "thesauri" / "gemet_themes_4lang.rdf"  # relative 'theme/N'
    graph = rdflib.Graph().parse(gemet, publicID="http://www.eionet.europa.eu/gemet/")
    known |= {str(c) for c in graph.subjects(RDF.type, SKOS.Concept)}
    known |= {k.uri for r in csw_records(shared_fixtures / "csw") for k in r.keywords if k.uri}
    thesaurus = load_thesaurus(BUNDLED_THESAURUS)
    targets = {
        target
        for concept in thesaurus.concepts.values()
        for values in concept.matches.values()
        for target in values
    }
    assert len(targets) >= 50
    assert sorted(targets - known) == []
