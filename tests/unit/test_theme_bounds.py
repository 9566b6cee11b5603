"""bench/theme_bounds.py: the upper bound of theme recall and the adjudicated precision that
bench/theme_eval.py prints beside its strict figures (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import theme_eval
from bench.theme_bounds import load_adjudication, supported_concepts
from indexer.themes import Themer, load_themer
from moisson.config import ThemesSettings
from moisson.record import Keyword, Record


@pytest.fixture(scope="module")
def themer() -> Themer:
    return load_themer(ThemesSettings())


def _record(title: str, abstract: str = "", *keywords: str, language: str | None = None) -> Record:
    return Record.new(
        "test",
        title,
        title=title,
        abstract=abstract,
        keywords=[Keyword(label=k) for k in keywords],
        language=language,
    )


def test_every_adjudication_names_a_real_concept_and_says_why(themer: Themer) -> None:
    entries = load_adjudication()
    assert entries
    for entry in entries.values():
        assert entry.concept in themer.thesaurus.concepts, entry
        assert len(entry.reason.split()) >= 8, entry  # a reason, not a word


def test_an_acceptance_without_a_reason_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "adjudication.tsv"
    path.write_text("# comment\nWarmteAtlas WMS\tbuildings\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"adjudication.tsv:2: want title, concept and reason"):
        load_adjudication(path)


def test_a_label_in_another_language_anywhere_in_the_text_is_support(themer: Themer) -> None:
    # One German word of the abstract: too little for the text step, enough for the bound.
    record = _record("CSW", "Suchdienst der Zentralanstalt für Meteorologie", language="ger")
    support = supported_concepts(themer, record)
    assert support["weather"] == "text words"
    assert "weather" not in {t.id for t in themer.assign(record)}


def test_a_product_name_alone_supports_nothing(themer: Themer) -> None:
    record = _record("S2B_MSIL2A_20200902T090559_N0214_R050_T34SFG", "", "eo:orbitNumber:50")
    assert supported_concepts(themer, record) == {}


def test_a_gemet_concept_named_in_french_is_support_for_the_concept_matching_its_theme(
    themer: Themer,
) -> None:
    record = _record("Enlèvement", "Nombre de véhicules abandonnés", language="fre")
    support = supported_concepts(themer, record)
    assert support["transport"].startswith("gemet vote")


def test_the_evaluation_prints_both_figures_beside_the_strict_ones(
    shared_fixtures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert theme_eval.main(["--fixtures", str(shared_fixtures), "--misses", "0"]) == 0
    out = capsys.readouterr().out
    [line] = [x for x in out.splitlines() if x.startswith("adjudicated P")]
    adjudicated, strict = float(line.split()[2]), float(line.split()[8].rstrip(":"))
    assert adjudicated >= strict
    assert "stale adjudication entry" not in out  # every entry still matches a prediction
    [bound] = [x for x in out.splitlines() if x.startswith("upper bound")]
    overall = float(bound.split("R <= ")[1].split()[0])
    recall = float(next(x for x in out.splitlines() if x.startswith("overall")).split()[8])
    assert recall <= overall <= 1.0
