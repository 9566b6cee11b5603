"""The pure mappings of the two kinds (no database, no GDAL): facts -> Record."""

from __future__ import annotations

from datetime import UTC, date, datetime

from harvester.file_sidecars import parse_sidecar, sidecar_names
from harvester.formats.geofile import FileFacts, LayerFacts, file_record, merge_sidecar
from harvester.formats.postgis_table import (
    ColumnFacts,
    GeometryFacts,
    KeywordRule,
    LinkTemplate,
    TableFacts,
    readable_name,
    table_record,
)
from testkit.geodata import ISO_SIDECAR

FACTS = TableFacts(
    database="metier",
    host="db.interne",
    port=5432,
    schema="eau",
    name="zones_humides_2023",
    relkind="r",
    owner="sig_admin",
    comment=None,
    columns=[ColumnFacts("geom", "geometry(MultiPolygon,2154)"), ColumnFacts("type", "text")],
    geometries=[GeometryFacts("geom", "MULTIPOLYGON", 2154)],
    bbox=(-5.2, 47.2, -1.0, 48.9),
    rows=1234,
    updated=date(2025, 2, 1),
)


def test_a_table_without_comment_gets_a_readable_title_and_its_facts() -> None:
    item = table_record(
        "metier",
        FACTS,
        [KeywordRule("humide", ["Zones humides"])],
        [LinkTemplate("https://geo.example.org/{schema}/wms", "OGC:WMS", "{schema}:{table}")],
    )
    record = item.record
    assert record is not None and item.original_id == "metier.eau.zones_humides_2023"
    assert record.title == "Zones humides 2023 (eau)"
    assert [k.label for k in record.keywords] == ["Zones humides"]
    assert record.revised == date(2025, 2, 1)
    assert [(link.protocol, link.name) for link in record.links] == [
        ("OGC:WMS", "eau:zones_humides_2023"),
        ("PostgreSQL", "eau.zones_humides_2023"),
    ]
    assert record.links[1].url == "postgresql://db.interne:5432/metier"
    assert "Rows: 1 234." in (record.abstract or "")


def test_the_same_facts_give_the_same_payload() -> None:
    assert table_record("s", FACTS).raw == table_record("s", FACTS).raw


def test_an_impossible_extent_is_quarantined_not_raised() -> None:
    broken = TableFacts(**{**FACTS.__dict__, "bbox": (10.0, 40.0, 5.0, 45.0)})
    item = table_record("s", broken)
    assert item.record is None and "bbox" in (item.error or "")


def test_readable_names() -> None:
    assert readable_name("parcelles_cadastrales-2024") == "Parcelles cadastrales 2024"


FILE = FileFacts(
    url="file:///mnt/sig/Eau/zones.gpkg",
    path="Eau/zones.gpkg",
    size=4096,
    modified=datetime(2025, 3, 1, 12, tzinfo=UTC),
)
LAYER = LayerFacts(
    layer="zones",
    driver="GPKG",
    crs="EPSG:2154",
    bbox=(-2.0, 47.5, -1.0, 48.5),
    geometry_type="MultiPolygon",
    features=12,
    fields=["nom", "surface"],
    layer_count=2,
)


def test_a_layer_of_a_multi_layer_file() -> None:
    record = file_record("sig", FILE, LAYER)
    assert record.provenance.original_id == "file:///mnt/sig/Eau/zones.gpkg#zones"
    assert record.title == "Zones — zones"
    assert [k.label for k in record.keywords] == ["Eau"]
    assert record.abstract == (
        "Layer zones of GPKG: 12 MultiPolygon features.\nCRS: EPSG:2154.\n"
        "Fields: nom, surface.\nFile Eau/zones.gpkg (4096 bytes, modified 2025-03-01)."
    )


def test_the_sidecar_wins_where_a_person_wrote_something() -> None:
    sidecar, why = parse_sidecar(ISO_SIDECAR.encode(), "sig", "zones.xml")
    assert sidecar is not None, why
    merged = merge_sidecar(file_record("sig", FILE, LAYER), sidecar)
    assert merged.title == "Parcelles en agriculture biologique 2024"
    assert merged.provenance.original_id == "file:///mnt/sig/Eau/zones.gpkg#zones"
    assert [k.label for k in merged.keywords] == ["Eau", "Parcellaire agricole"]
    assert merged.bboxes[0].west == -2.0  # the sidecar has no extent: the file's
    assert (merged.abstract or "").startswith("Parcelles certifiées AB")


def test_a_qgis_qmd_and_a_gdal_aux_file() -> None:
    qmd = b"""<qgis version="3.28"><identifier>zones</identifier><title>Zones humides</title>
      <abstract>Inventaire</abstract><keywords vocabulary="gmd:topicCategory">
      <keyword>inlandWaters</keyword></keywords></qgis>"""
    record, _ = parse_sidecar(qmd, "sig", "zones.qmd")
    assert record is not None and record.title == "Zones humides"
    assert [k.label for k in record.keywords] == ["inlandWaters"]
    aux = b"<PAMDataset><Metadata/></PAMDataset>"
    assert parse_sidecar(aux, "sig", "zones.tif.aux.xml") == (
        None,
        "zones.tif.aux.xml: not ISO metadata (root PAMDataset)",
    )
    assert sidecar_names("a/b.shp") == ["a/b.shp.xml", "a/b.xml", "a/b.qmd"]
