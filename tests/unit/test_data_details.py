"""Data details a new user met (issue 20, item 8): the update frequency is a maintenance
frequency, not a constraint; a CKAN record's language where the portal states one; the
evidence of a label match cites the label in the record's language."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from harvester.dcat import read_dcat_file
from harvester.formats.ckan import read_ckan_document, record_from_package
from harvester.formats.csw_response import read_document
from harvester.formats.frequency import maintenance_frequency
from indexer.store import content_hash
from indexer.themes import load_themer
from moisson.config import ThemesSettings
from moisson.record import Keyword, Record

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _ckan_sample(name: str) -> Record:
    document = read_ckan_document((SAMPLES / "ckan/package_search.json").read_bytes(), "s")
    [record] = [i.record for i in document.items if i.record and name in i.record.title]
    return record


def test_the_ckan_update_frequency_is_a_maintenance_frequency() -> None:
    record = _ckan_sample("zones humides")
    assert record.maintenance_frequency == "annually"
    assert not any("frequency" in text for text in record.constraints)


def test_ckanext_spatial_frequency_of_update_keeps_its_iso_code(shared_fixtures: Path) -> None:
    body = (shared_fixtures / "ckan/udata/dkan_french_w_license.json").read_bytes()
    [item] = read_ckan_document(body, "s").items
    assert item.record is not None
    assert item.record.maintenance_frequency == "asNeeded"
    assert item.record.constraints == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ckanext-dcat/dataset_gob_es.ttl", "annually"),  # time:DurationDescription, 1 year
        ("ckanext-dcat/catalog_pod.jsonld", "annually"),  # DCAT-US R/P1Y
        ("ckanext-dcat/dataset_deri.ttl", "annually"),
        ("geonetwork_dcatap/wallonie_mesure_hauteur_eau.dcat-ap3.rdf", "asNeeded"),
    ],
)
def test_dcat_accrual_periodicity_is_the_maintenance_frequency(
    shared_fixtures: Path, name: str, expected: str
) -> None:
    path = shared_fixtures / "dcat" / name
    records = [i.record for i in read_dcat_file(path.read_bytes(), None, "t", name=path.name)]
    assert expected in {r.maintenance_frequency for r in records if r is not None}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://publications.europa.eu/resource/authority/frequency/ANNUAL", "annually"),
        ("http://publications.europa.eu/resource/authority/frequency/IRREG", "irregular"),
        ("http://purl.org/cld/freq/weekly", "weekly"),
        ("R/P3M", "quarterly"),
        ("as needed", "asNeeded"),
        ("notPlanned", "notPlanned"),
        ("http://publications.europa.eu/resource/authority/frequency/BIENNIAL", None),
        ("", None),
    ],
)
def test_frequency_vocabularies_map_to_iso_codes(given: str, expected: str | None) -> None:
    # No ISO code says "every two years": the value is kept as given rather than lost.
    assert maintenance_frequency(given) == (expected if expected or not given else given)


def test_a_ckan_language_stated_on_the_resources_only(shared_fixtures: Path) -> None:
    body = json.loads(
        (shared_fixtures / "ckan/ckanext-dcat/ckan_full_dataset_dcat_ap.json").read_bytes()
    )
    package = body.get("result", body)
    package.pop("language")
    assert all(resource.get("language") for resource in package["resources"])
    record = record_from_package(package, "s", "p")
    assert record.language == "eng"


def test_a_ckan_language_from_its_one_translated_title() -> None:
    package = {"id": "p", "title": "x", "title_translated": {"fr": "Zones humides", "en": ""}}
    assert record_from_package(package, "s", "p").language == "fre"


@pytest.mark.parametrize(
    ("language", "keyword", "cited"),
    [
        ("eng", "Precipitation", "skos:altLabel@en 'precipitation'"),
        ("eng", "plants", "skos:altLabel@en 'plants'"),
        ("fre", "précipitations", "skos:altLabel@fr 'précipitations'"),
        ("fre", "végétation", "skos:altLabel@fr 'végétation'"),
        ("eng", "végétation", "skos:altLabel@fr 'végétation'"),  # spelled as the French
        ("fre", "Vegetation", "skos:altLabel@en 'vegetation'"),  # spelled as the English
        ("fre", "PRECIPITATIONS", "skos:altLabel@fr 'précipitations'"),  # accents aside: fre
        ("fre", "forêts", "skos:altLabel@fr 'forêts'"),
    ],
)
def test_a_label_match_cites_the_label_in_the_keywords_language(
    language: str, keyword: str, cited: str
) -> None:
    # The thesaurus' labels of one concept stem alike across languages (precipitation /
    # précipitations); the evidence cites the one the keyword spells, else the one in the
    # record's language, not whichever the thesaurus happens to list first.
    themer = load_themer(ThemesSettings())
    words = [Keyword(label=keyword)]
    record = Record.new("s", "x", title="Données", language=language, keywords=words)
    evidence = [
        e.target for theme in themer.assign(record) for e in theme.evidence if e.step == "label"
    ]
    assert evidence == [cited]


def test_a_french_record_in_the_samples_cites_french_labels() -> None:
    themer = load_themer(ThemesSettings())
    path = SAMPLES / "csw/fr-zones-humides-vilaine-ofb.xml"
    [item] = read_document(path.read_bytes(), "s").items
    assert item.record is not None and item.record.language == "fre"
    cited = {
        e.target.split(" ")[0]
        for theme in themer.assign(item.record)
        for e in theme.evidence
        if e.step == "label" and e.matched.casefold() != "habitats et biotopes"
    }
    assert cited and all(target.endswith("@fr") for target in cited), cited


def test_records_without_a_frequency_keep_their_content_hash() -> None:
    # The field is new: a stored record without one must not look updated on the next
    # harvest (its hash is that of the record as it was before the field existed).
    record = _ckan_sample("avifaune")
    assert record.maintenance_frequency is None
    before = record.model_dump_json(
        exclude={"provenance", "themes", "access", "maintenance_frequency"}
    )
    assert content_hash(record) == hashlib.sha256(before.encode()).hexdigest()
    with_frequency = record.model_copy(update={"maintenance_frequency": "annually"})
    assert content_hash(with_frequency) != content_hash(record)
