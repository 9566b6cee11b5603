"""OGC API - Records mapping over the recorded pygeoapi responses in ../shared/fixtures."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from harvester.formats.ogcapi_records import read_records_page
from moisson.errors import SourceProtocolError
from moisson.record import BBox, Contact

ITEMS = "ogcapi/pygeoapi_demo/items_dutch-metadata_page1.json"


def test_every_record_of_the_items_page_maps(shared_fixtures: Path) -> None:
    page = read_records_page((shared_fixtures / ITEMS).read_bytes(), "test")
    assert page.matched == 308
    assert page.next_href == (
        "https://my.server.org/sample-data/collections/dutch-metadata/items?offset=10"
    )
    assert len(page.items) == 10
    for item in page.items:
        assert item.record is not None, item.error
        assert item.record.title and item.record.provenance.original_id
    print(f"{ITEMS}: {len(page.items)} records, 0 quarantined")


def test_kaartboeck_record_fields(shared_fixtures: Path) -> None:
    data = (shared_fixtures / "ogcapi/pygeoapi_demo/item_35149dfb.json").read_bytes()
    [item] = read_records_page(data, "test").items
    r = item.record
    assert r is not None
    assert r.provenance.original_id == "35149dfb-31d3-431c-a8bc-12a4034dac48"
    assert r.title == "Kaartboeck 1635"
    assert r.bboxes == [
        BBox(west=4.690751953125, south=52.358740234375, east=5.020341796875, north=52.6333984375)
    ]
    assert (r.created, r.revised) == (date(2021, 12, 8), date(2022, 6, 10))
    assert {"ARGEOLOGIE", "KAARTBOECK"} <= {k.label for k in r.keywords}
    assert r.contacts == [
        Contact(
            organisation="Team Geo, geo-informatie@zaanstad.nl, Gemeente Zaanstad",
            role="pointOfContact",
        )
    ]
    assert [link.protocol for link in r.links] == ["OGC:WMS", "OGC:WFS", "download", "download"]
    assert r.links[0].name == "geo:kaartboeck"
    assert [i.code for i in r.identifiers] == ["35149dfb-31d3-431c-a8bc-12a4034dac48"]


def test_part1_record_with_themes_schemes_contacts_and_time() -> None:
    feature = {
        "id": "zh-vilaine",
        "type": "Feature",
        "geometry": None,
        "properties": {
            "type": "dataset",
            "title": "Zones humides du bassin de la Vilaine",
            "language": {"code": "fr"},
            "keywords": ["zones humides"],
            "themes": [
                {
                    "scheme": "http://inspire.ec.europa.eu/theme",
                    "concepts": [{"id": "hy", "url": "http://inspire.ec.europa.eu/theme/hy"}],
                }
            ],
            "contacts": [
                {
                    "organization": "EPTB Vilaine",
                    "emails": [{"value": "sig@eptb-vilaine.fr"}],
                    "roles": ["publisher"],
                }
            ],
            "time": {"interval": ["2015-01-01", ".."]},
            "license": "etalab-2.0",
        },
        "links": [
            {"rel": "self", "href": "https://records.example.fr/items/zh-vilaine"},
            {"rel": "enclosure", "type": "application/zip", "href": "https://d.example.fr/zh.zip"},
        ],
    }
    [item] = read_records_page(json.dumps(feature).encode(), "t").items
    r = item.record
    assert r is not None
    assert r.language == "fre"
    hy = next(k for k in r.keywords if k.label == "hy")
    assert (hy.uri, hy.thesaurus_uri) == (
        "http://inspire.ec.europa.eu/theme/hy",
        "http://inspire.ec.europa.eu/theme",
    )
    assert r.contacts[0].email == "sig@eptb-vilaine.fr"
    assert r.temporal is not None and r.temporal.start == date(2015, 1, 1)
    assert [(link.protocol, link.media_type) for link in r.links] == [
        ("download", "application/zip")
    ]
    assert r.licence == "etalab-2.0"


def test_an_exception_document_is_a_protocol_error() -> None:
    body = {"code": "InvalidParameterValue", "description": "Invalid limit"}
    with pytest.raises(SourceProtocolError, match="Invalid limit"):
        read_records_page(json.dumps(body).encode(), "t")
