"""CKAN mapping over every recorded Action API response in ../shared/fixtures/ckan."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from harvester.formats.ckan import read_ckan_document
from moisson.errors import SourceError, SourceProtocolError
from moisson.record import BBox, Harvested, Record, TemporalExtent
from tests.conftest import SHARED_FIXTURES

CKAN_DIR = SHARED_FIXTURES / "ckan"
FILES = sorted(CKAN_DIR.rglob("*.json"))


def items_of(path: Path) -> list[Harvested]:
    try:
        return read_ckan_document(path.read_bytes(), "test").items
    except SourceError as exc:
        return [Harvested(original_id=None, raw=b"", error=f"{path.name}: {exc.message}")]


def one(shared_fixtures: Path, name: str) -> Record:
    [item] = items_of(shared_fixtures / "ckan" / name)
    assert item.record is not None, item.error
    return item.record


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CKAN_DIR)))
def test_every_package_is_a_record_or_a_reasoned_quarantine(
    shared_fixtures: Path, path: Path
) -> None:
    items = items_of(path)
    assert items
    for item in items:
        if item.record is not None:
            assert item.record.title and item.record.provenance.original_id
            assert json.loads(item.raw)  # the package itself is kept as the raw payload
        else:
            assert item.error
    ok = sum(1 for i in items if i.record)
    print(f"{path.relative_to(CKAN_DIR)}: {ok} records, {len(items) - ok} quarantined")


def test_package_list_is_not_mistaken_for_packages(shared_fixtures: Path) -> None:
    [item] = items_of(shared_fixtures / "ckan/demo_ckan_org/package_list.json")
    assert item.error and "no package" in item.error


def test_package_search_envelope_gives_count_and_packages(shared_fixtures: Path) -> None:
    data = (shared_fixtures / "ckan/demo_ckan_org/package_search_rows3.json").read_bytes()
    doc = read_ckan_document(data, "test")
    assert doc.count == json.loads(data)["result"]["count"]
    titles = [i.record.title for i in doc.items if i.record]
    assert "規管海外物業銷售" in titles
    italian = next(i.record for i in doc.items if i.record and i.record.title.startswith("2016"))
    assert [(c.organisation, c.role) for c in italian.contacts] == [("SDB", "owner")]
    assert italian.licence == "Creative Commons Attribution"
    assert italian.formats == ["CSV"]


def test_legacy_extras_spatial_identifier_and_dates(shared_fixtures: Path) -> None:
    r = one(shared_fixtures, "ckanext-dcat/full_ckan_dataset_legacy.json")
    assert r.provenance.original_id == "756d6426-d52d-492a-a263-599ad1caa123"
    assert r.title == "Zimbabwe Regional Geochemical Survey."
    assert r.bboxes == [BBox(west=25.0, south=-22.0, east=33.0, north=-15.0)]
    assert "9df8df51-63db-37a8-e044-0003ba9b0d98" in [i.code for i in r.identifiers]  # guid
    assert r.language == "eng"
    assert (r.published, r.revised) == (date(2011, 6, 13), date(2012, 3, 15))
    assert "geochemistry" in [k.label for k in r.keywords]
    assert ("author", "johndoe@example.com") in [(c.role, c.email) for c in r.contacts]


def test_dcat_ap_legacy_extras_theme_uris_place_and_temporal(shared_fixtures: Path) -> None:
    r = one(shared_fixtures, "ckanext-dcat/ckan_full_dataset_dcat_ap_legacy.json")
    uris = {k.uri for k in r.keywords if k.uri}
    assert {"https://example.org/uri/theme1", "https://sws.geonames.org/6361390/"} <= uris
    assert r.temporal == TemporalExtent(start=date(1905, 3, 1), end=date(2013, 1, 5))
    assert r.bboxes == [BBox(west=11.9936, south=54.0486, east=12.3045, north=54.2466)]
    assert r.identifiers[0].code == "xx-some-dataset-id-yy"
    assert "Statement about access rights" in r.constraints


def test_scheming_dcat_ap_spatial_coverage_bbox(shared_fixtures: Path) -> None:
    r = one(shared_fixtures, "ckanext-dcat/ckan_full_dataset_dcat_ap.json")
    assert r.bboxes == [BBox(west=-2.1604, south=42.7611, east=-2.0938, north=42.7931)]
    assert ("publisher", "Test Publisher") in [(c.role, c.organisation) for c in r.contacts]


def test_dkan_french_licence_spatial_and_links(shared_fixtures: Path) -> None:
    r = one(shared_fixtures, "udata/dkan_french_w_license.json")
    assert r.title == "Antennes régionales de la Région Hauts-de-France (au 01/10/2019)"
    assert r.language == "fre"
    assert r.licence and "etalab" in r.licence
    box = r.bboxes[0]
    assert (round(box.west, 2), round(box.north, 2)) == (1.19, 51.16)
    assert "download" in [link.protocol for link in r.links]


def test_wms_and_wfs_resources_are_recognised() -> None:
    package = {
        "id": "p1",
        "title": "Zones humides",
        "resources": [
            {"url": "https://geo.example.fr/wms?SERVICE=WMS&REQUEST=GetCapabilities"},
            {"url": "https://geo.example.fr/geoserver/ows", "format": "WFS", "name": "zh"},
            {"url": "https://geo.example.fr/zh.zip", "format": "SHP"},
        ],
    }
    doc = read_ckan_document(json.dumps({"success": True, "result": package}).encode(), "t")
    record = doc.items[0].record
    assert record is not None
    assert [(link.protocol, link.name) for link in record.links] == [
        ("OGC:WMS", None),
        ("OGC:WFS", "zh"),
        ("download", None),
    ]


def test_success_false_is_a_clear_source_error() -> None:
    body = {
        "help": "https://demo.ckan.org/api/3/action/help_show?name=package_search",
        "success": False,
        "error": {"__type": "Validation Error", "rows": ["Must be less than or equal to 1000"]},
    }
    with pytest.raises(SourceProtocolError, match=r"Validation Error.*rows"):
        read_ckan_document(json.dumps(body).encode(), "t")


def test_not_json_is_a_protocol_error() -> None:
    with pytest.raises(SourceProtocolError, match="not JSON"):
        read_ckan_document(b"<html>502 Bad Gateway</html>", "t")
