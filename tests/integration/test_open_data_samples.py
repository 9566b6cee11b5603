"""The demo's sample sources (samples/moisson.toml: CSW, DCAT, CKAN and OGC API - Records
folders) harvest cleanly through `moisson harvest` and meet in one search."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The demo's own config on a copy of the sample folders, with a fresh var/."""
    shutil.copytree(SAMPLES, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "moisson.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("../var/", "var/"), encoding="utf-8")
    return path


def test_every_sample_kind_harvests_and_is_searchable(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--config", str(config), "harvest"])
    out = capsys.readouterr().out
    assert code == 0, out
    for line in (
        "sample-dcat: complete — 4 seen (new 4, updated 0, unchanged 0, quarantined 0)",
        "sample-ckan: complete — 3 seen (new 3, updated 0, unchanged 0, quarantined 0)",
        "sample-ogcapi: complete — 2 seen (new 2, updated 0, unchanged 0, quarantined 0)",
    ):
        assert line in out
    main(["--config", str(config), "search", "zones humides", "--json"])
    response = json.loads(capsys.readouterr().out)
    sources = {bucket["value"] for bucket in response["facets"]["source"]}
    assert {"sample-csw", "sample-ckan", "sample-ogcapi"} <= sources
    main(["--config", str(config), "search", "haies bocagères", "--json"])
    hits = json.loads(capsys.readouterr().out)["hits"]
    wms = [link for hit in hits for link in hit["links"] if link["protocol"] == "OGC:WMS"]
    assert hits[0]["title"] == "Linéaire de haies bocagères en Bretagne (exemple)"
    assert wms


def test_the_demo_folds_the_republished_sample_records(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # samples/README.md: two CSW records were republished by a national body in the same
    # catalogue, with a new fileIdentifier and recased title but the same resource identifier.
    assert main(["--config", str(config), "harvest"]) == 0
    capsys.readouterr()
    main(["--config", str(config), "duplicates"])
    report = capsys.readouterr().out
    assert report.startswith("2 clusters"), report
    assert "key id:sdi.example.org/eptb-vilaine/eptb-vil-zh-2022" in report
    assert "within sample-csw: 4 records (11.1%) are copies" in report
    main(["--config", str(config), "search", "zones humides vilaine", "--json"])
    hits = json.loads(capsys.readouterr().out)["hits"]
    folded = [
        h for h in hits if h["title"].lower() == "zones humides du bassin versant de la vilaine"
    ]
    assert len(folded) == 1
    assert len(folded[0]["sources"]) == 2
