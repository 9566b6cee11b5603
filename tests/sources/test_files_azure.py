"""kind = "files" over Azure Blob (az://, adlfs through fsspec) on Azurite, the Azure
Storage emulator: ETags as change tokens, rasters by ranged GETs."""

from __future__ import annotations

import uuid
from pathlib import Path

import fsspec
import pytest

from moisson.config import Settings
from moisson.record import Outcome
from pipeline.harvest import harvest_source
from pipeline.runs import RunStatus
from pipeline.runtime import Runtime
from search_api.app import create_app
from testkit.geodata import build_share, point, write_vector
from tests.sources.azurite_server import KEY

SOURCE = "blob-sig"


def settings_for(tmp_path: Path, url: str) -> Settings:
    source = {"id": SOURCE, "kind": "files", "url": url, "connection_string_env": "AZ_CONN"}
    return Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp_path}/store.db"},
            "index": {"url": f"sqlite:///{tmp_path}/index.db"},
            "sources": [source],
        }
    )


def test_an_azure_container_is_harvested_with_etags(
    tmp_path: Path, azurite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZ_CONN", azurite)
    local = tmp_path / "partage"
    build_share(local, tmp_path / "ailleurs", links=False, huge=False)
    fs = fsspec.filesystem("az", connection_string=azurite, skip_instance_cache=True)
    container = f"sig{uuid.uuid4().hex[:8]}"
    fs.mkdir(container)
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        fs.pipe(f"{container}/donnees/{path.relative_to(local).as_posix()}", path.read_bytes())
    base = f"az://{container}/donnees"
    settings = settings_for(tmp_path, base)
    with Runtime(settings) as runtime:
        first = harvest_source(runtime, settings.source(SOURCE))
        second = harvest_source(runtime, settings.source(SOURCE))
        observations = tmp_path / "obs.geojson"
        write_vector(observations, [point(-2.0, 47.9)], "Point", "EPSG:4326", driver="GeoJSON")
        fs.pipe(f"{container}/donnees/Faune/observations_loutre.geojson", observations.read_bytes())
        third = harvest_source(runtime, settings.source(SOURCE))
        hits = create_app(runtime).test_client().get("/api/search?size=50").get_json()["hits"]
        reasons = sorted(e["reason"].split(":")[0] for e in runtime.store.quarantined(SOURCE))
    assert first.report.status is RunStatus.COMPLETE
    found = sorted(h["sources"][0]["original_id"].removeprefix(base + "/") for h in hits)
    assert found == [
        "Agriculture/parcelles_bio.shp",
        "Faune/observations_loutre.geojson",
        "Faune/stations.csv",
        "Hydrographie/cours_eau.gpkg#stations",
        "Hydrographie/cours_eau.gpkg#troncons",
        "Livraisons/troncons_livres.zip",
        "Relief/mnt_25m.tif",
    ]
    assert reasons == ["Divers/bombe.zip", "Divers/corrompu.gpkg", "Divers/tronque.tif"]
    assert all(KEY not in str(h) for h in hits)
    assert second.report.seen == 0
    assert third.report.seen == 1 and third.report.outcomes[Outcome.UPDATED] == 1
