"""GEMET as a voting vocabulary (indexer/gemet_votes.py), on real fixture records and on the
bundled thesaurus with its derived GEMET table."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.gemet_votes import GemetVoter
from indexer.matching_text import guess_language
from indexer.rules import RuleSet
from indexer.themes import Themer, load_themer
from indexer.thesaurus import load_thesaurus
from moisson.config import BUNDLED_THESAURUS, ThemesSettings
from moisson.record import Keyword, Record
from testkit.fixture_records import dcat_records


@pytest.fixture(scope="module")
def themer() -> Themer:
    return load_themer(ThemesSettings())


def _record(
    title: str, abstract: str = "", *keywords: Keyword, language: str | None = None
) -> Record:
    return Record.new(
        "test", title, title=title, abstract=abstract, keywords=list(keywords), language=language
    )


def test_flemish_mobility_statistics_are_filed_under_transport_by_gemet_votes(
    themer: Themer, shared_fixtures: Path
) -> None:
    records = list(dcat_records(shared_fixtures / "dcat" / "geonetwork"))
    [record] = [r for r in records if r.title == "aantal fietsers op vaste telposten"]
    assert not record.keywords  # title and abstract are all there is
    [theme] = themer.assign(record)
    assert theme.id == "transport"
    [title, abstract] = theme.evidence
    assert (title.step, title.field, title.matched) == ("text", "title", "fiets")
    assert abstract.field == "abstract"  # 'fietstelposten': the compound's head votes
    assert title.target is not None
    assert title.target.startswith("GEMET theme <http://www.eionet.europa.eu/gemet/theme/37>")


def test_french_text_votes_through_gemet_concepts_no_company_label_names(
    themer: Themer,
) -> None:
    record = _record(
        "Comptages de camions et d'autobus",
        "Trafic des véhicules sur les itinéraires à grande circulation.",
        language="fre",
    )
    elected = themer.gemet.elect(record, record.keywords)
    assert elected is not None and elected.concepts == ("transport",)
    assert {v.label for v in elected.votes} >= {"camion", "autobus", "véhicule"}
    theme = next(t for t in themer.assign(record) if t.id == "transport")
    assert any("gemet/theme/37" in (e.target or "") for e in theme.evidence)


def test_a_keyword_with_a_gemet_concept_uri_votes_in_any_language(themer: Themer) -> None:
    record = _record(
        "Netz",
        "",
        Keyword(label="Fahrrad", uri="http://www.eionet.europa.eu/gemet/de/concept/788"),
        Keyword(label="Bus", uri="http://www.eionet.europa.eu/gemet/concept/1082"),
        language="ger",
    )
    votes = themer.gemet.votes(record, record.keywords)
    assert [(v.concept, v.field) for v in votes] == [("788", "keyword"), ("1082", "keyword")]


def test_a_stray_word_files_nothing_two_subjects_alike_file_both(themer: Themer) -> None:
    one = _record("Véhicule", language="fre")  # 1.5 votes: under the threshold
    assert themer.gemet.elect(one, []) is None
    mostly = _record(
        "Administration communale", "Administration. Administration. Camion.", language="fre"
    )
    assert themer.gemet.elect_all(mostly, []) == []  # administration wins, files nothing
    two = _record("Camion et pollution", "Camion. Pollution.", language="fre")
    elected = themer.gemet.elect_all(two, [])
    assert sorted(e.concepts for e in elected) == [("pollution",), ("transport",)]
    assert {"pollution", "transport"} <= {t.id for t in themer.assign(two)}
    # Transport and administration tie: transport is filed, administration has no concept.
    tie = _record("Camion et administration", "Camion. Administration.", language="fre")
    assert [e.concepts for e in themer.gemet.elect_all(tie, [])] == [("transport",)]


def test_cross_cutting_gemet_themes_do_not_vote(themer: Themer) -> None:
    record = _record("Base de données", "Base de données, modèle, information.", language="fre")
    assert themer.gemet.votes(record, []) == []


def test_an_english_keyword_does_not_stem_into_a_french_label(themer: Themer) -> None:
    # French stems of 'land' and 'lande' (heath) agree; an English record's keyword must
    # not vote for GEMET's 'lande'.
    record = _record("Wisconsin Lake Clarity", "", Keyword(label="land"), language="eng")
    assert themer.gemet.votes(record, record.keywords) == []


def test_dutch_compounds_vote_through_their_parts(themer: Themer) -> None:
    record = _record("gewestwegen", "voertuigkilometers op snelwegen", language="dut")
    labels = {(v.field, v.label) for v in themer.gemet.votes(record, [])}
    assert ("title", "weg") in labels  # the compound's head
    assert ("abstract", "voertuig") in labels  # its first part
    assert ("abstract", "autosnelweg") in labels  # 'snelwegen' is a label of its own


def test_a_variant_thesaurus_elsewhere_votes_through_its_own_match_links(
    tmp_path: Path,
) -> None:
    # GEMET is read from the package, whatever thesaurus file is configured: a variant
    # written elsewhere (a draft, an older revision) keeps the votes; dropping its link to
    # GEMET's transport theme stops them filing transport.
    text = BUNDLED_THESAURUS.read_text(encoding="utf-8")
    record = _record("aantal fietsers op vaste telposten", "fietsers", language="dut")
    same = tmp_path / "same.ttl"
    same.write_text(text, encoding="utf-8")
    elected = GemetVoter(load_thesaurus(same)).elect(record, [])
    assert elected is not None and elected.concepts == ("transport",)
    unlinked = tmp_path / "unlinked.ttl"
    unlinked.write_text(text.replace("skos:closeMatch gemet:37", ""), encoding="utf-8")
    assert Themer(load_thesaurus(unlinked), RuleSet()).gemet.elect(record, []) is None


def test_the_language_of_an_undeclared_record_is_guessed_from_its_function_words() -> None:
    assert guess_language("La liste des bureaux de vote à Vanves et les adresses") == "fr"
    assert guess_language("Data uit kaartboeken van de periode 1635 tot 1775") == "nl"
    assert guess_language("Physiographic maps for the CIS and the Baltic States") == "en"
    assert guess_language("Vanves 2019") is None


def test_a_dutch_compound_keyword_votes_through_its_parts(themer: Themer) -> None:
    record = _record(
        "Clusters geluid",
        "",
        Keyword(label="GELUIDHINDER"),
        Keyword(label="GELUIDSZONES"),
        language="dut",
    )
    votes = [(v.field, v.label) for v in themer.gemet.votes(record, record.keywords)]
    assert votes.count(("keyword", "geluid")) == 2  # neither keyword is a label of its own
    assert "pollution" in {t.id for t in themer.assign(record)}  # noise: narrowMatch
