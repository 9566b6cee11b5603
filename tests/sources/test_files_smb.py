"""kind = "files" over a real Samba share (smb://, smbprotocol through fsspec): the same
share as the local test, read remotely; rasters by byte ranges, vector sets copied."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import smbclient

from moisson.config import Settings
from moisson.record import Outcome
from pipeline.harvest import harvest_source
from pipeline.runs import RunStatus
from pipeline.runtime import Runtime
from search_api.app import create_app
from testkit.geodata import build_share
from tests.sources.samba_server import SMB_PASSWORD, SMB_USER, SambaShare

SOURCE = "partage-smb"


@pytest.fixture
def folder(samba: SambaShare, tmp_path: Path) -> str:
    name = f"run-{uuid.uuid4().hex[:8]}"
    build_share(samba.data / name, tmp_path / "ailleurs", links=False)
    return name


def settings_for(tmp_path: Path, url: str) -> Settings:
    source = {
        "id": SOURCE,
        "kind": "files",
        "url": url,
        "username": SMB_USER,
        "password_env": "SMB_PASSWORD",
    }
    return Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp_path}/store.db"},
            "index": {"url": f"sqlite:///{tmp_path}/index.db"},
            "sources": [source],
        }
    )


def test_an_smb_share_is_harvested_like_a_folder(
    tmp_path: Path, samba: SambaShare, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMB_PASSWORD", SMB_PASSWORD)
    base = samba.url(folder)
    settings = settings_for(tmp_path, base)
    with Runtime(settings) as runtime:
        first = harvest_source(runtime, settings.source(SOURCE))
        second = harvest_source(runtime, settings.source(SOURCE))
        reasons = sorted(e["reason"] for e in runtime.store.quarantined(SOURCE))
        client = create_app(runtime).test_client()
        hits = client.get("/api/search?size=50").get_json()["hits"]
    assert first.report.status is RunStatus.COMPLETE
    found = sorted(h["sources"][0]["original_id"].removeprefix(base + "/") for h in hits)
    assert found == [
        "Agriculture/parcelles_bio.shp",
        "Divers/mosaique_10go.tif",  # 10 GB over SMB: a few ranges
        "Faune/observations_loutre.geojson",
        "Faune/stations.csv",
        "Hydrographie/cours_eau.gpkg#stations",
        "Hydrographie/cours_eau.gpkg#troncons",
        "Livraisons/troncons_livres.zip",
        "Relief/mnt_25m.tif",
    ]
    assert [r.split(":")[0] for r in reasons] == [
        "Divers/bombe.zip",
        "Divers/corrompu.gpkg",
        "Divers/enorme.geojson",
        "Divers/tronque.tif",
    ]
    titles = {h["title"] for h in hits}
    assert "Parcelles en agriculture biologique 2024" in titles  # the sidecar, read remotely
    assert all(SMB_PASSWORD not in str(h) and "@" not in h["links"][0]["url"] for h in hits)
    assert first.report.outcomes[Outcome.NEW] == 8
    assert second.report.seen == 0  # nothing changed: nothing read


def test_a_wrong_password_fails_the_run_with_its_reason(
    tmp_path: Path, samba: SambaShare, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # smbclient keeps logged-on sessions per server for the process: forget the good one.
    smbclient.reset_connection_cache()
    monkeypatch.setenv("SMB_PASSWORD", "not-the-password")
    settings = settings_for(tmp_path, samba.url(folder))
    with Runtime(settings) as runtime:
        result = harvest_source(runtime, settings.source(SOURCE))
    assert result.report.status is RunStatus.FAILED
    assert "cannot connect to smb://127.0.0.1" in (result.report.error or "")
