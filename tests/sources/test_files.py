"""kind = "files" end to end over a `file:` folder of geodata generated with GDAL: config ->
harvest -> search with facets and themes -> record page; sidecar ISO XML merged; change
detection; the hostile files of issue 17 item 4 each quarantined with its reason."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from moisson.config import Settings
from moisson.record import Outcome, record_id
from pipeline.harvest import harvest_source
from pipeline.runs import RunStatus
from pipeline.runtime import Runtime
from search_api.app import create_app
from testkit.geodata import build_share, point, write_vector

SOURCE = "partage"


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "partage"
    build_share(root, tmp_path / "ailleurs")
    return root


def settings_for(tmp_path: Path, root: Path, **options: Any) -> Settings:
    source = {"id": SOURCE, "kind": "files", "name": "Partage SIG", "url": root.as_uri()}
    return Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp_path}/store.db"},
            "index": {"url": f"sqlite:///{tmp_path}/index.db"},
            "harvest": {"allow_files": True},
            "retirement": {"grace_runs": 1},
            "sources": [{**source, **options}],
        }
    )


def url(root: Path, path: str) -> str:
    return (root / path).as_uri()


def test_a_share_becomes_searchable_themed_records(tmp_path: Path, share: Path) -> None:
    settings = settings_for(tmp_path, share)
    with Runtime(settings) as runtime:
        result = harvest_source(runtime, settings.source(SOURCE))
        quarantined = runtime.store.quarantined(SOURCE)
        client = create_app(runtime).test_client()
        everything = client.get("/api/search?size=50").get_json()
        otter = client.get("/api/search?q=loutre").get_json()
        shp = url(share, "Agriculture/parcelles_bio.shp")
        parcels = client.get(f"/api/records/{record_id(SOURCE, shp)}").get_json()
        dem = url(share, "Relief/mnt_25m.tif")
        raster = client.get(f"/api/records/{record_id(SOURCE, dem)}").get_json()
    assert result.report.status is RunStatus.COMPLETE
    found = sorted(h["sources"][0]["original_id"] for h in everything["hits"])
    assert found == sorted(
        [
            url(share, "Agriculture/parcelles_bio.shp"),
            url(share, "Divers/mosaique_10go.tif"),  # 10 GB: headers only
            url(share, "Faune/observations_loutre.geojson"),
            url(share, "Faune/stations.csv"),
            url(share, "Hydrographie/cours_eau.gpkg") + "#stations",
            url(share, "Hydrographie/cours_eau.gpkg") + "#troncons",
            url(share, "Livraisons/troncons_livres.zip"),
            url(share, "Relief/mnt_25m.tif"),
        ]
    )
    reasons = sorted(entry["reason"] for entry in quarantined)
    assert len(reasons) == 6
    for expected in (
        "Divers/bombe.zip: zip bomb refused",
        "Divers/boucle: symbolic link loop",
        "Divers/corrompu.gpkg: GDAL cannot read it",
        "Divers/enorme.geojson: 10737418240 bytes",
        "Divers/lien_dehors.geojson: symbolic link to a path outside the root",
        "Divers/tronque.tif: GDAL cannot read it",
    ):
        assert any(reason.startswith(expected) for reason in reasons), expected
    assert [h["title"] for h in otter["hits"]] == ["Observations loutre"]
    themes = {b["value"] for b in everything["facets"]["theme"]}
    assert {"hydrography", "agricultural-parcels", "fauna"} <= themes
    # The sidecar's title, abstract and keyword over the file's facts; the file's extent.
    assert parcels["title"] == "Parcelles en agriculture biologique 2024"
    assert parcels["abstract"].startswith("Parcelles certifiées AB")
    assert "ESRI Shapefile: 1 Polygon features." in parcels["abstract"]
    assert {k["label"] for k in parcels["keywords"]} == {"Agriculture", "Parcellaire agricole"}
    box = parcels["bboxes"][0]
    assert -1.8 < box["west"] < box["east"] < -1.6 and 48.0 < box["south"] < box["north"] < 48.1
    assert parcels["links"][0]["url"] == url(share, "Agriculture/parcelles_bio.shp")
    assert "64 x 64 pixels, 1 band(s) of float32, resolution 25 x 25" in raster["abstract"]


def test_a_second_run_reads_only_what_changed(tmp_path: Path, share: Path) -> None:
    settings = settings_for(tmp_path, share)
    with Runtime(settings) as runtime:
        first = harvest_source(runtime, settings.source(SOURCE))
        second = harvest_source(runtime, settings.source(SOURCE))
        observations = share / "Faune" / "observations_loutre.geojson"
        observations.unlink()
        write_vector(
            observations,
            [point(-1.68, 48.11), point(-1.52, 48.20), point(-2.0, 47.9)],
            "Point",
            "EPSG:4326",
            driver="GeoJSON",
        )
        third = harvest_source(runtime, settings.source(SOURCE))
    assert first.report.outcomes[Outcome.NEW] == 8
    # Nothing is read again: only what the walk refuses (the link out, the loop) comes back;
    # an unchanged corrupt file stays quarantined without being opened again.
    assert second.report.outcomes[Outcome.QUARANTINED] == 2 and second.report.seen == 2
    assert third.report.outcomes[Outcome.UPDATED] == 1 and third.report.seen == 3


def test_a_deleted_file_is_retired_by_a_full_run(tmp_path: Path, share: Path) -> None:
    settings = settings_for(tmp_path, share)
    with Runtime(settings) as runtime:
        harvest_source(runtime, settings.source(SOURCE))
        (share / "Relief" / "mnt_25m.tif").unlink()
        incremental = harvest_source(runtime, settings.source(SOURCE))
        full = harvest_source(runtime, settings.source(SOURCE), full=True)
    assert not incremental.retirement.retired  # an incremental run never retires
    assert full.retirement.retired == [record_id(SOURCE, url(share, "Relief/mnt_25m.tif"))]


def test_a_file_the_account_cannot_read_is_quarantined(tmp_path: Path, share: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file: the permission case needs another account")
    locked = share / "Faune" / "observations_loutre.geojson"
    locked.chmod(0)
    settings = settings_for(tmp_path, share)
    with Runtime(settings) as runtime:
        harvest_source(runtime, settings.source(SOURCE))
        reasons = [e["reason"] for e in runtime.store.quarantined(SOURCE)]
    assert any("permission denied" in reason for reason in reasons)
