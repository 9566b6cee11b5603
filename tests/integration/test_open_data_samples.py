"""The hand-written open-data samples (samples/dcat, samples/ckan, samples/ogcapi) harvest
cleanly as `file:` sources next to the CSW sample, through `moisson harvest`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moisson.cli import main
from tests.integration.sinks import write_config

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_every_sample_kind_harvests_and_is_searchable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        tmp_path,
        [
            {"id": "sample-csw", "kind": "csw", "url": (SAMPLES / "csw").as_uri()},
            {"id": "sample-dcat", "kind": "dcat", "url": (SAMPLES / "dcat").as_uri()},
            {"id": "sample-ckan", "kind": "ckan", "url": (SAMPLES / "ckan").as_uri()},
            {"id": "sample-ogcapi", "kind": "ogcapi-records", "url": (SAMPLES / "ogcapi").as_uri()},
        ],
    )
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
