"""The right copy is shown (issue 20, item 3): of a dataset's copies, the producer's own
record is the canonical one (before the more complete or fresher republications), the
cluster API says why, and a result line names each source once.

The samples hold two republished datasets (samples/README.md): EPTB Vilaine's wetlands
republished by OFB (fresher), DREAL Bretagne's wind farms republished in capitals by IGN
(fresher). Both copies keep the producer's identifier and its namespace."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from indexer.clusters import RankFacts, canonical_reason, rank_members
from moisson.config import load_settings
from pipeline.cli import main
from pipeline.runtime import Runtime
from search_api.app import create_app

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
EPTB = "Zones humides du bassin versant de la Vilaine"  # the producer's casing
DREAL = "Parcs éoliens terrestres autorisés en Bretagne"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    folder = tmp_path_factory.mktemp("samples")
    shutil.copytree(SAMPLES, folder, dirs_exist_ok=True)
    config = folder / "moisson.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("../var/", "var/"), encoding="utf-8"
    )
    assert main(["--config", str(config), "harvest", "sample-csw"]) == 0
    with Runtime(load_settings(config)) as runtime:
        yield create_app(runtime).test_client()


def _cluster_of(client: FlaskClient, title: str) -> dict[str, Any]:
    hits = client.get("/api/search", query_string={"q": title, "size": 5}).get_json()["hits"]
    [hit] = [h for h in hits if h["title"].casefold() == title.casefold()]
    cluster: dict[str, Any] = client.get(f"/api/records/{hit['id']}/cluster").get_json()["cluster"]
    assert cluster is not None and len(cluster["members"]) == 2
    return {"hit": hit, **cluster}


@pytest.mark.parametrize(("title", "producer"), [(EPTB, "EPTB Vilaine"), (DREAL, "DREAL Bretagne")])
def test_the_producers_copy_is_shown_and_the_cluster_says_why(
    client: FlaskClient, title: str, producer: str
) -> None:
    cluster = _cluster_of(client, title)
    assert cluster["hit"]["title"] == title  # not the republished casing
    canonical = next(m for m in cluster["members"] if m["canonical"])
    assert canonical["title"] == title
    assert cluster["canonical_reason"].startswith("the producer's own copy: its identifier")
    assert producer in cluster["canonical_reason"]


def test_a_result_line_names_each_source_once(client: FlaskClient) -> None:
    hit = _cluster_of(client, EPTB)["hit"]
    # Both copies come from the same catalogue: one source on the line, not the same twice.
    names = [s["name"] for s in hit["sources"]]
    assert len(hit["sources"]) == 2
    assert hit["source_names"] == ["Sample regional SDI (fictional records)"]
    assert names == ["Sample regional SDI (fictional records)"] * 2


def _facts(record_id: str, **fields: Any) -> RankFacts:
    base = {"source_id": "s", "completeness": 10, "freshness": "2020-01-01", "producer": ""}
    return RankFacts(record_id=record_id, **{**base, **fields})  # type: ignore[arg-type]


def test_the_canonical_order_and_its_reasons() -> None:
    original = _facts("a", producer="its identifier X is in the namespace of its owner Y")
    copy = _facts("b", completeness=12, freshness="2024-01-01")
    assert rank_members([copy, original]) == ["a", "b"]
    assert canonical_reason([copy, original], "a").startswith("the producer's own copy")
    assert canonical_reason([copy, original], "b") == "pinned by an admin"
    assert rank_members([copy, original], ["s2"]) == ["a", "b"]
    preferred = _facts("c", source_id="national")
    assert canonical_reason([original, preferred], "c", ["national"]) == (
        "its source national comes first in duplicates.source_priority"
    )
    fuller = _facts("d", completeness=11)
    assert canonical_reason([fuller, _facts("e")], "d").startswith("the most complete copy")
    fresher = _facts("f", freshness="2021-01-01")
    assert canonical_reason([fresher, _facts("g")], "f").startswith("the freshest copy")
    assert canonical_reason([_facts("h"), _facts("i")], "h").endswith("first by record id")
