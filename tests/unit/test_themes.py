"""The theme matcher (indexer/themes.py) on real fixture records and the bundled thesaurus.

Each test names the step it expects in the evidence, so a record filed for the wrong reason
fails even when the theme happens to be right.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.rules import Rule, RuleSet, load_rules
from indexer.themes import Themer, load_themer
from indexer.thesaurus import canonical_uri, load_thesaurus
from moisson.config import BUNDLED_RULES, BUNDLED_THESAURUS, ThemesSettings
from moisson.record import Keyword, Record, Theme
from testkit.fixture_records import ckan_records, csw_records, dcat_records


@pytest.fixture(scope="module")
def themer() -> Themer:
    return load_themer(ThemesSettings())


def _theme(themes: list[Theme], concept: str) -> Theme:
    found = [t for t in themes if t.id == concept]
    assert found, f"{concept} not in {[t.id for t in themes]}"
    return found[0]


def _record(*keywords: Keyword | str, title: str = "Données", **fields: object) -> Record:
    words = [k if isinstance(k, Keyword) else Keyword(label=k) for k in keywords]
    return Record.new("test", title, title=title, keywords=words, **fields)  # type: ignore[arg-type]


def test_the_inspire_hydrography_uri_files_a_real_record_under_water(
    themer: Themer, shared_fixtures: Path
) -> None:
    records = list(csw_records(shared_fixtures / "csw" / "records"))
    [record] = [r for r in records if r.title.startswith("Stahovací služba ATOM pro Data50")]
    hydrography = _theme(themer.assign(record), "hydrography")
    [evidence] = [e for e in hydrography.evidence if e.step == "uri"]
    assert evidence.field == "keyword"
    assert evidence.matched == "http://inspire.ec.europa.eu/theme/hy"
    assert evidence.target == "skos:exactMatch <http://inspire.ec.europa.eu/theme/hy>"
    assert hydrography.broader == ["water"]  # counted under the water theme
    assert hydrography.labels == {"fr": "Hydrographie", "en": "Hydrography"}


def test_a_french_keyword_alone_files_the_record_under_wetlands_by_label(
    themer: Themer,
) -> None:
    [theme] = themer.assign(_record("zones humides"))
    assert theme.id == "wetlands"
    assert theme.broader == ["water"]
    [evidence] = theme.evidence
    assert (evidence.step, evidence.field, evidence.matched) == (
        "label",
        "keyword",
        "zones humides",
    )
    assert evidence.target == "skos:prefLabel@fr 'Zones humides'"


@pytest.mark.parametrize("label", ["Zone humide", "ZONES HUMIDES", "wetland", "Wetlands"])
def test_labels_match_across_case_accents_plural_and_language(themer: Themer, label: str) -> None:
    assert [t.id for t in themer.assign(_record(label))] == ["wetlands"]


def test_a_hidden_abbreviation_is_matched_but_a_word_inside_another_is_not(
    themer: Themer,
) -> None:
    assert [t.id for t in themer.assign(_record("TVB"))] == ["ecological-networks"]
    assert themer.assign(_record("TVB Bretagne 2020")) == []  # a keyword is a whole label


def test_an_iso_topic_category_is_matched_through_its_registry_uri(themer: Themer) -> None:
    theme = _theme(themer.assign(_record(topic_categories=["inlandWaters"])), "water")
    [evidence] = theme.evidence
    assert evidence.field == "topic_category"
    assert evidence.matched.endswith("/TopicCategory/inlandWaters")


def test_gemet_copies_of_inspire_themes_and_scheme_variants_are_the_same_uri() -> None:
    inspire = "inspire.ec.europa.eu/theme/am"
    assert canonical_uri("http://www.eionet.europa.eu/gemet/nl/inspire-theme/am") == inspire
    assert canonical_uri("https://INSPIRE.ec.europa.eu/theme/am/") == inspire
    gemet = canonical_uri("http://www.eionet.europa.eu/gemet/concept/4614")
    assert canonical_uri("https://www.eionet.europa.eu/gemet/en/concept/4614") == gemet


def test_a_rule_is_named_in_the_evidence(themer: Themer) -> None:
    record = _record("Aménagement Urbanisme/Zonages Planification")
    theme = _theme(themer.assign(record), "urban-planning")
    [evidence] = theme.evidence
    assert (evidence.step, evidence.rule) == ("rule", "covadis-urbanisme")


def test_ignored_keywords_are_neither_matched_nor_reported_unmapped(themer: Themer) -> None:
    record = _record("données ouvertes", "Tag 1")
    assert themer.assign(record) == []
    assert themer.unmatched_keywords(record) == ["Tag 1"]


def test_exclusion_and_source_default_rules(themer: Themer) -> None:
    rules = themer.rules.with_rule(
        Rule(id="no-water", comment="t", action="exclude", concept="water", source="test")
    ).with_rule(Rule(id="default", comment="t", source="test", concept="reference"))
    tuned = themer.with_rules(rules)
    assert [
        t.id for t in tuned.assign(_record("hydrographie", topic_categories=["inlandWaters"]))
    ] == ["hydrography"]
    [fallback] = tuned.assign(_record("Tag 1"))
    assert (fallback.id, fallback.evidence[0].rule) == ("reference", "default")


def test_the_text_step_needs_the_threshold(themer: Themer) -> None:
    once = _record(title="Inventaire", abstract="Une mention des zones humides.")
    assert themer.assign(once) == []
    titled = _record(title="Zones humides du marais", abstract="Une mention des zones humides.")
    theme = _theme(themer.assign(titled), "wetlands")
    assert theme.evidence[0].step == "text"
    assert theme.evidence[0].field == "title"


def test_the_longest_label_wins_in_text(themer: Themer) -> None:
    record = _record(title="Occupation du sol", abstract="Carte d'occupation du sol.")
    assert [t.id for t in themer.assign(record)] == ["land-cover"]  # not also 'soil'


def test_dublin_core_records_from_the_fixtures_get_themes(
    themer: Themer, shared_fixtures: Path
) -> None:
    records = list(csw_records(shared_fixtures / "csw" / "pycsw"))
    by_title = {r.title: themer.assign(r) for r in records}
    assert [t.id for t in by_title["Maecenas enim"]] == ["marine"]
    assert _theme(by_title["Fuscé vitae ligulä"], "cadastre").evidence[0].step == "label"


def test_dcat_records_from_the_fixtures_get_themes(themer: Themer, shared_fixtures: Path) -> None:
    records = list(dcat_records(shared_fixtures / "dcat"))
    inspire_lu = "http://inspire.ec.europa.eu/theme/lu"
    [land] = [r for r in records if any(k.uri == inspire_lu for k in r.keywords)]
    assert land.title == "Land Use map of MyCountry"
    assert _theme(themer.assign(land), "land-use").evidence[0].step == "uri"
    [gauges] = [r for r in records if r.title.startswith("INSPIRE - Stations de mesure de la hau")]
    water = themer.assign(gauges)
    assert {"monitoring-facilities", "hydrography"} <= {t.id for t in water}


def test_ckan_records_from_the_fixtures_get_themes(themer: Themer, shared_fixtures: Path) -> None:
    records = {r.title: r for r in ckan_records(shared_fixtures / "ckan")}
    survey = themer.assign(records["Zimbabwe Regional Geochemical Survey."])
    assert _theme(survey, "geology").evidence[0].step == "label"
    plants = themer.assign(records["100 Validated Species of Plants"])
    assert _theme(plants, "flora").evidence[0].step == "text"


def test_most_fixture_records_with_keywords_get_a_theme(
    themer: Themer, shared_fixtures: Path
) -> None:
    records = [r for r in csw_records(shared_fixtures / "csw") if r.keywords]
    themed = [r for r in records if themer.assign(r)]
    assert len(themed) / len(records) >= 0.75, len(themed) / len(records)


def test_the_bundled_thesaurus_and_rules_load() -> None:
    thesaurus = load_thesaurus(BUNDLED_THESAURUS)
    assert 40 <= len(thesaurus.concepts) <= 80

    def depth(concept: str) -> int:  # the longest broader chain (a concept may have two)
        broader = thesaurus.concepts[concept].broader
        return 1 + max((depth(b) for b in broader), default=0)

    assert 2 <= max(depth(c) for c in thesaurus.concepts) <= 3
    assert thesaurus.concepts["urban-planning"].broader == ["land-use", "planning"]
    rules = load_rules(BUNDLED_RULES)
    assert all(r.concept in thesaurus.concepts for r in rules.rules if r.concept)
    assert isinstance(rules, RuleSet)


def test_a_map_and_an_exclude_rule_on_the_same_keyword_both_apply(themer: Themer) -> None:
    rules = themer.rules.with_rule(
        Rule(id="bocage", comment="t", keyword="bocage", concept="landscape")
    )
    assert [t.id for t in themer.with_rules(rules).assign(_record("Bocage"))] == ["landscape"]
    rules = rules.with_rule(
        Rule(id="no-bocage", comment="t", action="exclude", keyword="bocage", concept="landscape")
    )
    assert themer.with_rules(rules).assign(_record("Bocage")) == []


def test_a_gcmd_keyword_path_files_the_record_by_its_most_specific_matching_segment(
    themer: Themer,
) -> None:
    for path in (
        "Earth Science > Oceans > Ocean Temperature",
        "Earth Science | Oceans | Ocean Temperature",
    ):
        themes = themer.assign(_record(path))
        assert {t.id for t in themes} == {"marine", "marine-coastal"}
        assert {e.matched for t in themes for e in t.evidence if e.step == "label"} == {"Oceans"}


def test_a_german_inspire_theme_label_files_the_record_through_the_borrowed_label(
    themer: Themer,
) -> None:
    [theme] = themer.assign(_record("Gewässernetze"))  # plural: the German stemmer agrees
    assert theme.id == "hydrography"
    [evidence] = theme.evidence
    assert evidence.step == "label"
    assert evidence.target == (
        "skos:prefLabel@de 'Gewässernetz' of <http://inspire.ec.europa.eu/theme/hy>"
    )


def test_borrowed_labels_are_not_shown_as_the_concept_labels(themer: Themer) -> None:
    hydrography = themer.thesaurus.concepts["hydrography"]
    assert "de" not in hydrography.pref_labels()
    assert any(b.concept == "hydrography" and b.language == "de" for b in themer.thesaurus.borrowed)


def test_an_italian_stem_of_an_english_keyword_does_not_match_by_chance(themer: Themer) -> None:
    assert themer.assign(_record("sloths")) == []


def test_a_czech_eu_data_theme_label_files_the_record(themer: Themer) -> None:
    [theme] = themer.assign(_record("doprava"))
    assert theme.id == "transport"
    assert "data-theme/TRAN" in theme.evidence[0].target


def test_a_word_repeated_in_an_abstract_does_not_file_the_record(themer: Themer) -> None:
    """The old text step filed this under administrative units ('communes' x 3)."""
    record = _record(
        title="Ilots culturaux 2022",
        abstract="Déclarations des exploitants par communes : communes du Nord, communes du "
        "Pas-de-Calais, communes de la Somme.",
    )
    assert "administrative-units" not in {t.id for t in themer.assign(record)}


def test_the_text_step_reads_the_record_language_and_says_its_score(themer: Themer) -> None:
    record = _record(
        title="Vervoer en vervoersnetwerken van Vlaanderen",
        abstract="Vervoer over de weg en over het water.",
        language="dut",
    )
    [theme] = themer.assign(record)
    assert (theme.id, theme.evidence[0].step, theme.evidence[0].field) == (
        "transport",
        "text",
        "title",
    )
    assert theme.evidence[0].target.startswith("score ")


def test_gemet_themes_lend_german_and_italian_labels(themer: Themer) -> None:
    [water] = themer.assign(_record("acqua"))
    assert water.id == "water"
    assert water.evidence[0].target == (
        "skos:prefLabel@it 'acqua' of <http://www.eionet.europa.eu/gemet/theme/40>"
    )
    uri = Keyword(label="Verkehr", uri="https://www.eionet.europa.eu/gemet/de/theme/37")
    assert [t.id for t in themer.assign(_record(uri))] == ["transport"]


def test_a_short_label_inside_a_longer_one_found_in_the_text_does_not_count_again(
    themer: Themer,
) -> None:
    record = _record(title="Occupation du sol 2018", abstract="Carte d'occupation du sol.")
    [theme] = themer.assign(record)
    assert (theme.id, theme.evidence[0].matched) == ("land-cover", "Occupation du sol")


def test_a_german_compound_is_matched_by_its_head(themer: Themer) -> None:
    [theme] = themer.assign(_record("Oberflächenwasser"))  # surface water: its head is Wasser
    assert theme.id == "water"
    assert theme.evidence[0].target.startswith("skos:prefLabel@de 'Wasser'")


def test_a_plu_is_filed_under_urban_planning_which_is_land_use_too(themer: Themer) -> None:
    # Urban planning documents are land-use plans (INSPIRE Planned Land Use): the PLU is
    # counted under land use and planning, without a *Match that would file CORINE there.
    record = _record(title="Plan local d'urbanisme de la commune de Combles", language="fre")
    theme = _theme(themer.assign(record), "urban-planning")
    assert set(theme.broader) == {"land-use", "land", "planning"}
    corine = Keyword(label="Land use", uri="http://inspire.ec.europa.eu/theme/lu")
    assert [t.id for t in themer.assign(_record(corine))] == ["land-use"]


def test_a_record_titled_ortho_is_orthoimagery_by_text(themer: Themer) -> None:
    [theme] = themer.assign(_record(title="Ortho", abstract="Ortho", language="eng"))
    assert (theme.id, theme.evidence[0].step) == ("orthoimagery", "text")


def test_a_short_tail_of_a_long_compound_is_no_head(themer: Themer) -> None:
    # 'Glastuinbouw' (greenhouse horticulture) ends in 'bouw' (construction), a Dutch label
    # of buildings; its head is 'tuinbouw', no label: nothing is filed.
    assert themer.assign(_record("Glastuinbouw", language="dut")) == []
    # Dutch Snowball strips 'ge-': the tail 'ologie' of 'technologie' stems as 'Geologie'.
    assert themer.thesaurus.label_hits("technologie") == []
    assert [h.label for h in themer.thesaurus.label_hits("Oberflächenwasser")] == ["Wasser"]


def test_a_list_keyword_is_matched_item_by_item(themer: Themer) -> None:
    keyword = "Meteorology, weather and radiation conditions"  # Belgian federal thesaurus
    [theme] = themer.assign(_record(keyword, language="eng"))
    assert (theme.id, theme.evidence[0].matched) == ("weather", "Meteorology")
