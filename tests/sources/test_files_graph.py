"""kind = "files" over a SharePoint / OneDrive drive through Microsoft Graph, against a
loopback replay shaped as Microsoft documents (tests/sources/graph_replay.py; not a real
server): token, delta paging with a 429, content by redirect, cTags as change tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from moisson.config import Settings
from moisson.errors import ConfigError
from moisson.record import Outcome
from pipeline.harvest import harvest_source
from pipeline.runs import RunStatus
from pipeline.runtime import Runtime
from search_api.app import create_app
from testkit.geodata import build_share, point, write_vector
from testkit.http_replay import ReplayServer
from tests.sources.graph_replay import DRIVE, SITE, TEMPAUTH, TOKEN, GraphDrive

SOURCE = "sharepoint-sig"


def settings_for(tmp_path: Path, base: str) -> Settings:
    source = {
        "id": SOURCE,
        "kind": "files",
        "url": f"{base}/v1.0/drives/{DRIVE}",
        "tenant_id": "contoso",
        "client_id": "6731de76-14a6-49ae-97bc-6eba6914391e",
        "client_secret_env": "GRAPH_SECRET",
        "token_url": f"{base}/contoso/oauth2/v2.0/token",
    }
    return Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp_path}/store.db"},
            "index": {"url": f"sqlite:///{tmp_path}/index.db"},
            "harvest": {
                "allowed_hosts": ["127.0.0.1"],
                "rate_limit": 0,
                "backoff_base": 0.01,
            },
            "sources": [source],
        }
    )


def test_a_sharepoint_drive_is_harvested_through_graph_delta(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRAPH_SECRET", "app-secret")
    local = tmp_path / "bibliotheque"
    build_share(local, tmp_path / "ailleurs", links=False, huge=False)
    drive = GraphDrive.from_folder(local)
    with ReplayServer(drive) as server:
        drive.base = server.url
        settings = settings_for(tmp_path, server.url)
        with Runtime(settings) as runtime:
            first = harvest_source(runtime, settings.source(SOURCE))
            read_first = len(drive.content_requests)
            second = harvest_source(runtime, settings.source(SOURCE))
            read_second = len(drive.content_requests) - read_first
            changed = tmp_path / "obs.geojson"
            write_vector(changed, [point(-2.0, 47.9)], "Point", "EPSG:4326", driver="GeoJSON")
            drive.files["Faune/observations_loutre.geojson"] = changed.read_bytes()
            third = harvest_source(runtime, settings.source(SOURCE))
            hits = create_app(runtime).test_client().get("/api/search?size=50").get_json()["hits"]
    assert first.report.status is RunStatus.COMPLETE, first.report.error
    found = sorted(h["sources"][0]["original_id"].removeprefix(SITE + "/") for h in hits)
    assert found == [
        "Agriculture/parcelles_bio.shp",
        "Faune/observations_loutre.geojson",
        "Faune/stations.csv",
        "Hydrographie/cours_eau.gpkg#stations",
        "Hydrographie/cours_eau.gpkg#troncons",
        "Livraisons/troncons_livres.zip",
        "Relief/mnt_25m.tif",
    ]
    # The throttled page was asked again after Retry-After; the token and the download URL's
    # tempauth never reach a record.
    assert drive.throttled
    assert all(TOKEN not in str(h) and TEMPAUTH not in str(h) for h in hits)
    assert "Parcelles en agriculture biologique 2024" in {h["title"] for h in hits}
    assert read_first > 0 and read_second == 0 and second.report.seen == 0
    assert third.report.outcomes[Outcome.UPDATED] == 1
    assert drive.content_requests[-1] == "Faune/observations_loutre.geojson"


def test_a_missing_client_secret_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRAPH_SECRET", raising=False)
    settings = settings_for(tmp_path, "http://127.0.0.1:9")
    with Runtime(settings) as runtime, pytest.raises(ConfigError, match="GRAPH_SECRET"):
        harvest_source(runtime, settings.source(SOURCE))
