"""The layers of the generated QGIS projects, without QGIS: which service links become
layers, which are refused (and never copied), and one layer per distinct service layer for
the bundled samples and for every fixture record with service links."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from indexer.thesaurus import Thesaurus
from moisson.config import QgisSettings
from moisson.errors import NotFound
from moisson.record import Link, Record
from pipeline.runtime import Runtime
from publish.qgis.catalogue import ProjectSet, entries, generation, scan
from publish.qgis.datasource import SourceOptions, data_source, layer_id
from publish.qgis.layers import Entry
from publish.qgis.service_links import LayerRefused, ServiceKind, ServiceLayer, service_layer
from testkit.fixture_records import fixture_records
from tests.qgis.conftest import expected_service_layers, sample_records

SAVED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _layer(url: str, protocol: str = "OGC:WMS", name: str | None = "rivers") -> ServiceLayer:
    found = service_layer(Link(url=url, protocol=protocol, name=name))
    assert found is not None
    return found


def test_wms_getcapabilities_link_gives_the_service_address_and_layer() -> None:
    layer = _layer("https://Geo.Example.org/geoserver/wms?SERVICE=WMS&REQUEST=GetCapabilities")
    assert layer == ServiceLayer(ServiceKind.WMS, "https://geo.example.org/geoserver/wms", "rivers")


def test_layer_name_from_the_url_and_other_parameters_kept() -> None:
    link = Link(
        url="http://x.org/cgi?map=/d/a.map&LAYERS=roads,rails&VERSION=1.3.0", protocol="OGC:WMS"
    )
    assert service_layer(link) == ServiceLayer(
        ServiceKind.WMS, "http://x.org/cgi?map=/d/a.map", "roads"
    )


def test_ogc_api_features_collection_url() -> None:
    layer = _layer(
        "https://x.org/ogcapi/collections/rivers/items?f=json", "OGC API - Features", None
    )
    assert (layer.url, layer.layer_name) == ("https://x.org/ogcapi?f=json", "rivers")


def test_wmts_tile_matrix_set_from_the_url() -> None:
    layer = _layer("https://x.org/wmts?SERVICE=WMTS&TILEMATRIXSET=LAMB93", "OGC:WMTS", "ortho")
    assert layer.tile_matrix_set == "LAMB93"


def test_links_that_are_not_services_give_nothing() -> None:
    assert service_layer(Link(url="https://x.org/a.zip", protocol="download")) is None


@pytest.mark.parametrize(
    ("url", "name", "reason"),
    [
        ("https://user:secret@geo.example.org/wms", "rivers", "credentials"),
        ("https://geo.example.org/wms?token=abc123", "rivers", "secret"),
        ("https://geo.example.org/wms?SERVICE=WMS&apikey=abc123", "rivers", "secret"),
        ("https://geo.example.org/wms?access_token=abc123", "rivers", "secret"),
        ("https://geo.example.org/wms?my_api_token=abc123", "rivers", "secret"),
        ("ftp://geo.example.org/wms", "rivers", "malformed"),
        ("https:///wms", "rivers", "malformed"),
        ("https://geo.example.org:99999/wms", "rivers", "malformed"),
        ("https://geo.example.org/w ms", "rivers", "malformed"),
        ("https://[::1/wms", "rivers", "malformed"),
        ("https://geo.example.org/wms", None, "no layer name"),
        ("https://geo.example.org/wms", "WMS GetCapabilities request", "spaces"),
    ],
)
def test_bad_service_links_are_refused_with_a_reason(
    url: str, name: str | None, reason: str
) -> None:
    with pytest.raises(LayerRefused, match=reason):
        service_layer(Link(url=url, protocol="OGC:WMS", name=name))


def test_layer_ids_are_stable_long_and_plain() -> None:
    one = layer_id(_layer("https://geo.example.org/wms?request=GetCapabilities"))
    again = layer_id(_layer("https://GEO.example.org/wms"))
    other = layer_id(_layer("https://geo.example.org/wms", name="roads"))
    assert one == again != other
    assert len(one) > 10 and one.replace("_", "").isalnum()


def test_data_sources_are_written_as_qgis_writes_them() -> None:
    options = SourceOptions()
    wms = data_source(_layer("https://x.org/wms?map=/a%20b.map"), options)
    assert wms.source == (
        "contextualWMSLegend=0&crs=EPSG:3857&dpiMode=7&featureCount=10&format=image/png"
        "&layers=rivers&styles=&url=https://x.org/wms?map%3D/a%20b.map"
    )
    wfs = data_source(_layer("https://x.org/wfs", "OGC:WFS", "ns:it's"), options)
    assert (wfs.provider, wfs.source) == (
        "WFS",
        "pagingEnabled='true' preferCoordinatesForWfsT11='false' restrictToRequestBBOX='1' "
        "srsname='EPSG:4326' typename='ns:it\\'s' url='https://x.org/wfs' version='auto'",
    )
    wmts = data_source(_layer("https://data.geopf.fr/wmts", "OGC:WMTS", "ORTHO"), options)
    assert "tileMatrixSet=GoogleMapsCompatible" in wmts.source
    assert (
        "url=https://data.geopf.fr/wmts?SERVICE%3DWMTS%26REQUEST%3DGetCapabilities" in wmts.source
    )
    api = data_source(
        _layer("https://x.org/api/collections/c1", "OGC API - Features", None), options
    )
    assert (api.provider, api.tree_provider) == ("oapif", "OAPIF")


def _project_set(records: list[Record], thesaurus: Thesaurus) -> ProjectSet:
    return ProjectSet.build(
        QgisSettings(),
        thesaurus,
        ["fr", "en"],
        "https://moisson.example.org",
        "test",
        SAVED,
        iter([Entry(r, r.links) for r in records]),
    )


def _map_layers(qgs: bytes) -> list[etree._Element]:
    root = etree.fromstring(qgs.split(b"\n", 1)[1])
    return list(root.iter("maplayer"))


def test_a_refused_link_is_logged_and_never_copied(
    sample_runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    links = [
        Link(url="https://bob:hunter2@geo.example.org/wms", protocol="OGC:WMS", name="a"),
        Link(url="https://geo.example.org/wms?token=s3cr3t", protocol="OGC:WMS", name="b"),
        Link(url="https://geo.example.org/wms?SERVICE=WMS", protocol="OGC:WMS", name="c"),
    ]
    record = Record.new("src", "r1", title="Rivers", links=links)
    with caplog.at_level(logging.WARNING, logger="publish.qgis.layers"):
        projects = _project_set([record], sample_runtime.themer.thesaurus)
        qgs = projects.project("moisson", "qgs")
    assert [layer.service.layer_name for layer in projects.layers] == ["c"]
    assert b"hunter2" not in qgs and b"s3cr3t" not in qgs and b"bob" not in qgs
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 2 and all(record.id in line for line in logged)
    assert not any("hunter2" in line or "s3cr3t" in line for line in logged)


def test_a_duplicated_service_layer_is_one_layer(sample_runtime: Runtime) -> None:
    wms = Link(
        url="https://geo.example.org/wms?request=GetCapabilities", protocol="OGC:WMS", name="zh"
    )
    copies = [
        Record.new("geo", "zh", title="Zones humides", links=[wms]),
        Record.new("opendata", "zh-copy", title="Zones humides (copie)", links=[wms]),
    ]
    projects = _project_set(copies, sample_runtime.themer.thesaurus)
    assert len(_map_layers(projects.project("moisson", "qgs"))) == 1


def test_samples_one_layer_per_distinct_service_layer(sample_runtime: Runtime) -> None:
    records = sample_records(sample_runtime)
    expected = expected_service_layers(records)
    assert len(expected) >= 20  # the samples do carry service links
    hits = scan(sample_runtime.search)
    projects = ProjectSet.build(
        sample_runtime.settings.qgis,
        sample_runtime.themer.thesaurus,
        ["fr", "en"],
        "https://moisson.example.org",
        generation(hits),
        SAVED,
        entries(sample_runtime.store, hits),
    )
    layers = _map_layers(projects.project("moisson", "qgs"))
    assert len(layers) == len(expected)
    assert len({layer.findtext("datasource") for layer in layers}) == len(expected)
    assert len({layer.findtext("id") for layer in layers}) == len(expected)


def test_fixture_records_one_layer_per_distinct_service_layer(
    shared_fixtures: Path, sample_runtime: Runtime
) -> None:
    records = [r for r in fixture_records(shared_fixtures) if r.links]
    expected = expected_service_layers(records)
    with_services = [r for r in records if expected_service_layers([r])]
    assert len(with_services) >= 10
    projects = _project_set(records, sample_runtime.themer.thesaurus)
    layers = _map_layers(projects.project("moisson", "qgs"))
    assert len(layers) == len(expected)
    linked = {layer.findtext("resourceMetadata/identifier") for layer in layers}
    for record in with_services:  # every record with a usable service layer is reachable
        assert record.id in linked or any(
            expected_service_layers([record]) <= expected_service_layers([other])
            for other in with_services
            if other.id in linked
        )


def test_large_catalogues_can_leave_out_the_whole_catalogue_project(
    sample_runtime: Runtime,
) -> None:
    hits = scan(sample_runtime.search)
    config = sample_runtime.settings.qgis.model_copy(update={"catalogue_project": False})
    projects = ProjectSet.build(
        config,
        sample_runtime.themer.thesaurus,
        ["fr", "en"],
        "https://moisson.example.org",
        generation(hits),
        SAVED,
        entries(sample_runtime.store, hits),
    )
    names = [platform.name for platform in projects.platforms()]
    assert "moisson" not in names and len(names) >= 5
    with pytest.raises(NotFound):
        projects.project("moisson", "qgz")
