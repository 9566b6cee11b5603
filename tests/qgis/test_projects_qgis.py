"""The generated projects in real QGIS 3.22 (Debian's, system python3, offscreen), through
tests/qgis/project_driver.py: every project of the bundled samples loads with
QgsProject.read() as the IDG plugin reads it, with the theme groups in order and every
layer's provider and data source as expected (and as QGIS itself writes them); and a layer
pointed at a WMS served here on loopback is valid and renders the WMS's colour.

scripts/test.sh installs QGIS; without it these tests skip (and fail under CI)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from moisson.config import QgisSettings
from moisson.record import BBox, Link, Record
from pipeline.runtime import Runtime
from publish.qgis.catalogue import ProjectSet, source_options
from publish.qgis.datasource import data_source
from publish.qgis.export import export_projects
from publish.qgis.layers import Entry
from publish.qgis.tree import Group
from testkit.loopback_wms import FILL, serve_wms
from testkit.qgis_driver import qgis_importable, run_driver
from tests.conftest import require

pytestmark = pytest.mark.integration

DRIVER = Path(__file__).with_name("project_driver.py")
SITE = "https://moisson.example.org"


@pytest.fixture(scope="module")
def qgis() -> None:
    require(
        qgis_importable("qgis.core"),
        "QGIS not installed (apt-get install qgis python3-qgis; scripts/test.sh does it)",
    )


def _drive(home: Path, *args: str) -> Any:
    return run_driver(DRIVER, args, home)


@pytest.fixture(scope="module")
def exported(
    qgis: None, sample_runtime: Runtime, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ProjectSet, Path, dict[str, Any]]:
    """The samples' projects exported to a folder, and what QGIS read from every file."""
    folder = tmp_path_factory.mktemp("qgis-export")
    projects = export_projects(sample_runtime, folder, SITE)
    files = sorted(str(p) for p in (folder / "projects").iterdir())
    assert len(files) == 2 * len(projects.platforms())
    read = _drive(folder / "home", "inspect", *files)
    return projects, folder, read


def _read_of(exported: tuple[ProjectSet, Path, dict[str, Any]], name: str, suffix: str) -> Any:
    _, folder, read = exported
    return read[str(folder / "projects" / f"{name}.{suffix}")]


def test_every_project_loads_without_errors(
    exported: tuple[ProjectSet, Path, dict[str, Any]],
) -> None:
    projects, _, read = exported
    assert len(read) >= 4
    for path, found in read.items():
        assert found["read"] is True and found["error"] == "", path
        assert found["crs"] == "EPSG:3857", path
        assert {"name": "icon", "url": f"{SITE}/qgis/icon.png"} in found["links"], path
    for platform in projects.platforms():
        for suffix in ("qgs", "qgz"):
            assert _read_of(exported, platform.name, suffix)["title"] == platform.title


def _shape(group: Group) -> list[Any]:
    """A tree as [layer id | (label, [...])], the driver's shape."""
    return [*group.layers, *[(g.label, _shape(g)) for g in group.groups]]


def _read_shape(node: dict[str, Any]) -> list[Any]:
    return [c["layer"] if "layer" in c else (c["group"], _read_shape(c)) for c in node["children"]]


def _labels_sorted(shape: list[Any]) -> None:
    labels = [item[0] for item in shape if isinstance(item, tuple)]
    themed = [x for x in labels if x != "Autres données"]
    assert themed == sorted(themed, key=str.casefold)
    for item in shape:
        if isinstance(item, tuple):
            _labels_sorted(item[1])


def test_layer_tree_is_the_theme_tree_in_order(
    exported: tuple[ProjectSet, Path, dict[str, Any]], sample_runtime: Runtime
) -> None:
    projects, _, _ = exported
    thesaurus = sample_runtime.themer.thesaurus
    for platform in projects.platforms():
        read = _read_shape(_read_of(exported, platform.name, "qgz")["tree"])
        assert read == _shape(projects.tree(platform.concept)), platform.name
        _labels_sorted(read)
    catalogue = _read_of(exported, "moisson", "qgs")["tree"]["children"]
    top_labels = {c.pref("fr") for c in thesaurus.concepts.values() if not c.broader}
    groups = [c["group"] for c in catalogue]
    assert set(groups) - {"Autres données"} <= top_labels
    assert len(groups) >= 5


def test_every_layer_has_its_provider_and_data_source(
    exported: tuple[ProjectSet, Path, dict[str, Any]], sample_runtime: Runtime
) -> None:
    projects, _, _ = exported
    options = source_options(sample_runtime.settings.qgis)
    expected = {layer.id: layer for layer in projects.layers}
    read = _read_of(exported, "moisson", "qgs")["layers"]
    assert len(read) == len(expected)
    providers = set()
    for found in read:
        layer = expected[found["id"]]
        source = data_source(layer.service, options)
        assert (found["provider"], found["source"]) == (source.provider, source.source)
        assert found["rebuilt"] == found["source"]  # QGIS writes the same string
        assert found["params"].get("url", "").split("?")[0] == layer.service.url.split("?")[0]
        assert found["crs"] == source.crs
        assert found["name"] == layer.name and found["title"] == layer.title
        assert found["identifier"] == layer.record_id
        record_page = f"{SITE}/ogcapi/collections/catalogue/items/{layer.record_id}?f=html"
        assert {"name": "metadata", "url": record_page} in found["links"]
        if layer.bbox is not None:
            assert found["extent"] == pytest.approx(list(layer.bbox))
            assert found["extent_crs"] == "EPSG:4326"
        assert len(found["id"]) > 10
        assert "@" not in found["source"].split("url")[-1].split("/")[2]
        providers.add(found["provider"])
    assert providers == {"wms", "WFS"}  # the samples hold WMS, WMTS and WFS links


def test_a_layer_on_a_loopback_wms_is_valid_and_renders(
    qgis: None, sample_runtime: Runtime, tmp_path: Path
) -> None:
    with serve_wms() as wms:
        record = Record.new(
            "sample-csw",
            "loopback",
            title="Rivières (WMS de test)",
            bboxes=[BBox(west=-5, south=41, east=10, north=52)],
            links=[
                Link(
                    url=f"{wms.url}?SERVICE=WMS&REQUEST=GetCapabilities",
                    protocol="OGC:WMS",
                    name=wms.layer,
                )
            ],
        )
        projects = ProjectSet.build(
            QgisSettings(),
            sample_runtime.themer.thesaurus,
            ["fr", "en"],
            SITE,
            "render",
            datetime.now(UTC),
            iter([Entry(record, record.links)]),
        )
        (layer,) = projects.layers
        path = tmp_path / "moisson.qgz"
        path.write_bytes(projects.project("moisson", "qgz"))
        rendered = _drive(tmp_path / "home", "render", str(path), layer.id)
        assert rendered["read"] is True and rendered["valid"] is True, rendered
        assert rendered["provider"] == "wms" and rendered["errors"] == []
        width, height = rendered["size"]
        fill = ",".join(str(c) for c in FILL[:3])
        assert rendered["colours"].get(fill, 0) > 0.9 * width * height, rendered["colours"]
        assert wms.get_map_requests(), "QGIS drew without asking the WMS"
        assert all(r.get("LAYERS") == wms.layer for r in wms.get_map_requests())


def test_every_service_kind_reads_back_with_its_provider(
    qgis: None, sample_runtime: Runtime, tmp_path: Path
) -> None:
    """The samples hold no OGC API Features link: one record offering all four kinds, with
    URLs QGIS must quote (a MapServer `map=` path with a space, a quote in a WFS name)."""
    links = [
        Link(
            url="https://x.example.org/cgi?map=/m/a%20b.map&SERVICE=WMS",
            protocol="OGC:WMS",
            name="a",
        ),
        Link(url="https://x.example.org/wmts?SERVICE=WMTS", protocol="OGC:WMTS", name="ortho"),
        Link(url="https://x.example.org/wfs", protocol="OGC:WFS", name="ns:it's"),
        Link(
            url="https://x.example.org/api/collections/rivers/items", protocol="OGC API - Features"
        ),
    ]
    record = Record.new("sample-csw", "kinds", title="Quatre services", links=links)
    projects = ProjectSet.build(
        QgisSettings(),
        sample_runtime.themer.thesaurus,
        ["fr", "en"],
        SITE,
        "kinds",
        datetime.now(UTC),
        iter([Entry(record, links)]),
    )
    path = tmp_path / "moisson.qgs"
    path.write_bytes(projects.project("moisson", "qgs"))
    found = _drive(tmp_path / "home", "inspect", str(path))[str(path)]
    assert found["read"] is True and found["error"] == ""
    read = {layer["provider"]: layer for layer in found["layers"]}
    assert sorted(layer["provider"] for layer in found["layers"]) == ["WFS", "oapif", "wms", "wms"]
    assert read["oapif"]["params"]["typename"] == "rivers"
    assert read["oapif"]["params"]["url"] == "https://x.example.org/api"
    assert read["WFS"]["params"]["typename"] == "ns:it's"
    wms = next(x for x in found["layers"] if x["params"].get("layers") == "a")
    assert wms["source"].endswith("&url=https://x.example.org/cgi?map%3D/m/a%20b.map")
    for layer in found["layers"]:
        assert layer["rebuilt"] == layer["source"], layer
