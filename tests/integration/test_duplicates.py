"""Duplicate clusters end to end: real ISO fixture records harvested through the Ingestor
into a real SQLite store and index, clusters updated incrementally, admin decisions kept
across re-harvests, and the `moisson duplicates` report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree

from harvester.base import Page
from harvester.formats.iso19139 import parse_iso
from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from indexer.cluster_store import ClusterStore
from indexer.duplicates_report import overlaps
from indexer.store import Store
from indexer.store.schema import dup_pairs
from moisson.config import DuplicatesSettings
from moisson.errors import NotFound
from moisson.record import Harvested, Query, Record
from pipeline.cli import main
from pipeline.ingest import Ingestor
from tests.unit.test_fingerprints import iso_element, republish

# Real records: two PLU of one DDT (same bbox, other commune), the FAO physiographic map,
# a Greek orthophoto and an INSPIRE land-use example.
REGIONAL = [
    ("udata/geoide_fr_single_dataset.xml", 0),
    ("udata/geonetwork_fr_iso19139_page1.xml", 1),
    ("udata/geonetwork_fr_iso19139_page3.xml", 1),
    ("geonetwork/GetRecordById_7e926fbf.xml", 0),
    ("pycsw/GetRecordById_iso_full.xml", 0),
    ("records/semic_inspire_dataset_2.0_example.xml", 0),
]


@dataclass
class Env:
    store: Store
    backend: SearchBackend
    clusters: ClusterStore
    ingestor: Ingestor
    elements: list[etree._Element]


@pytest.fixture
def env(tmp_path: Path, shared_fixtures: Path) -> Iterator[Env]:
    settings = DuplicatesSettings(source_priority=["regional"])
    with Store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        backend = build_backend(f"sqlite:///{tmp_path / 'index.db'}")
        backend.open()
        clusters = ClusterStore(store, settings).open()
        elements = [iso_element(shared_fixtures, name, i) for name, i in REGIONAL]
        try:
            yield Env(store, backend, clusters, Ingestor(store, backend, None, clusters), elements)
        finally:
            backend.close()


def harvest(env: Env, source: str, elements: list[etree._Element]) -> None:
    run = env.ingestor.begin_run(source, None)
    items = []
    for element in elements:
        record = parse_iso(element, source)
        raw = etree.tostring(element)
        items.append(Harvested(original_id=record.provenance.original_id, raw=raw, record=record))
    env.ingestor.write_page(run, source, Page(items))
    env.store.finish_run(run, status="complete", complete=True)


def record(source: str, element: etree._Element) -> Record:
    return parse_iso(element, source)


def national_copies(env: Env) -> list[etree._Element]:
    """The national platform republishes the PLU of Combles and the FAO map."""
    plu, fao = env.elements[0], env.elements[3]
    return [
        republish(plu, "nat-plu-combles", record("x", plu).title.upper()),
        republish(fao, "nat-fao-physio", record("x", fao).title.lower()),
    ]


def test_copies_from_a_second_source_are_clustered_and_canonical_is_the_priority_source(
    env: Env,
) -> None:
    harvest(env, "regional", env.elements)
    assert env.clusters.clusters() == []  # six distinct datasets, PLU included
    harvest(env, "national", national_copies(env))

    views = env.clusters.clusters()

    regional = [record("regional", e).id for e in env.elements]
    national = [record("national", e).id for e in national_copies(env)]
    assert sorted(sorted(v.members) for v in views) == sorted(
        [sorted([regional[0], national[0]]), sorted([regional[3], national[1]])]
    )
    assert {v.canonical for v in views} == {regional[0], regional[3]}
    plu = env.clusters.cluster_of(national[0])
    assert plu is not None and plu.pairs[0].kind == "key"
    fao = env.clusters.cluster_of(national[1])
    assert fao is not None and fao.pairs[0].detail.startswith("layer:OGC:WMS|")


def test_incremental_update_touches_only_changed_records(env: Env) -> None:
    harvest(env, "regional", env.elements)
    harvest(env, "national", national_copies(env))
    assert env.clusters.totals.fingerprinted == len(env.elements) + 2
    before = env.clusters.totals.fingerprinted, env.clusters.totals.reclustered

    harvest(env, "regional", env.elements)  # nothing changed at the source
    assert (env.clusters.totals.fingerprinted, env.clusters.totals.reclustered) == before

    changed = [*env.elements]
    changed[3] = republish(env.elements[3], "7e926fbf-00fb-4ff5-a99e-c8576027c4e7", "Physio map")
    harvest(env, "regional", changed)

    assert env.clusters.totals.fingerprinted == before[0] + 1
    # the changed record and its former partner only; the other cluster was not touched
    assert env.clusters.totals.reclustered == before[1] + 2
    fao_copy = record("national", national_copies(env)[1]).id
    assert env.clusters.cluster_of(fao_copy) is not None  # still joined by its WMS layers


def test_a_split_survives_re_harvests(env: Env) -> None:
    harvest(env, "regional", env.elements)
    harvest(env, "national", national_copies(env))
    copy = record("national", national_copies(env)[0]).id

    env.clusters.split([copy], note="the portal's copy is a different edition")
    assert env.clusters.cluster_of(copy) is None

    edited = national_copies(env)
    edited[0] = republish(env.elements[0], "nat-plu-combles", "Plan local d'urbanisme, Combles")
    harvest(env, "national", edited)  # the copy changed: re-fingerprinted, re-matched
    harvest(env, "regional", env.elements)

    assert env.clusters.cluster_of(copy) is None
    assert [d["kind"] for d in env.clusters.decisions()] == ["apart"]
    with env.store.engine.connect() as conn:  # the evidence is still there: the decision won
        joined = conn.execute(sa.select(dup_pairs.c.kind).where(dup_pairs.c.b == copy)).all()
        joined += conn.execute(sa.select(dup_pairs.c.kind).where(dup_pairs.c.a == copy)).all()
    assert [row.kind for row in joined] == ["key"]


def test_a_pin_survives_re_harvests(env: Env) -> None:
    harvest(env, "regional", env.elements)
    harvest(env, "national", national_copies(env))
    copy = record("national", national_copies(env)[1]).id

    assert env.clusters.pin(copy).canonical == copy

    edited = [*env.elements]
    edited[3] = republish(env.elements[3], "7e926fbf-00fb-4ff5-a99e-c8576027c4e7", "Physio")
    harvest(env, "regional", edited)  # the regional original changed and was re-matched
    harvest(env, "national", national_copies(env))

    view = env.clusters.cluster_of(copy)
    assert view is not None and len(view.members) == 2
    assert view.canonical == copy


def test_pinning_a_record_in_no_cluster_is_not_found(env: Env) -> None:
    harvest(env, "regional", env.elements)
    with pytest.raises(NotFound):
        env.clusters.pin(record("regional", env.elements[1]).id)


def test_rebuild_finds_what_incremental_updates_found(env: Env) -> None:
    harvest(env, "regional", env.elements)
    harvest(env, "national", national_copies(env))
    incremental = sorted(sorted(v.members) for v in env.clusters.clusters())

    report = env.clusters.rebuild(env.store.iter_records())

    assert report.fingerprinted == len(env.elements) + 2
    assert sorted(sorted(v.members) for v in env.clusters.clusters()) == incremental


def test_share_of_duplicates_per_pair_of_sources(env: Env) -> None:
    harvest(env, "regional", env.elements)
    harvest(env, "national", national_copies(env))
    views = env.clusters.clusters()

    found = overlaps(
        views,
        env.clusters.sources_of(m for v in views for m in v.members),
        env.clusters.counts_by_source(),
    )

    assert [(o.a, o.b, o.in_a, o.in_b, o.share_a, o.share_b) for o in found] == [
        ("national", "regional", 2, 2, 1.0, 2 / 6)
    ]


def test_duplicates_command_lists_clusters_with_evidence(
    env: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    harvest(env, "regional", env.elements)
    harvest(env, "national", national_copies(env))
    config = tmp_path / "moisson.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "store.db"}"\n'
        f'[index]\nurl = "sqlite:///{tmp_path / "index.db"}"\n'
        '[duplicates]\nsource_priority = ["regional"]\n',
        encoding="utf-8",
    )

    code = main(["--config", str(config), "duplicates", "--source", "national"])
    out = capsys.readouterr().out

    assert code == 0
    assert out.splitlines()[0] == "2 clusters with a record of national"
    assert "nat-plu-combles\tPLAN LOCAL D'URBANISME DE LA COMMUNE DE COMBLES" in out
    assert ": key id:catalogue.geo-ide.developpement-durable.gouv.fr/" in out
    assert (
        "  national / regional: 2 of national (100.0%) and 2 of regional (33.3%) "
        "are copies of each other"
    ) in out


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "moisson.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "store.db"}"\n'
        f'[index]\nurl = "sqlite:///{tmp_path / "index.db"}"\n'
        '[duplicates]\nsource_priority = ["regional"]\n',
        encoding="utf-8",
    )
    return config


def _totals(backend: SearchBackend) -> tuple[int, int]:
    """Hits with and without collapse, as an admin (every record visible)."""
    return (
        backend.search(Query(size=0, roles=None)).total,
        backend.search(Query(size=0, roles=None, collapse=False)).total,
    )


def test_the_index_follows_the_clusters_as_pages_arrive(env: Env) -> None:
    harvest(env, "regional", env.elements)
    assert _totals(env.backend) == (6, 6)
    harvest(env, "national", national_copies(env))
    assert _totals(env.backend) == (6, 8)
    original = record("regional", env.elements[0]).id
    hit = next(h for h in env.backend.search(Query(size=100, roles=None)).hits if h.id == original)
    assert [s.id for s in hit.sources] == ["regional", "national"]  # re-indexed on the join


def test_reindex_keeps_one_hit_per_cluster(
    env: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    harvest(env, "regional", env.elements)
    harvest(env, "national", national_copies(env))

    assert main(["--config", str(_config(tmp_path)), "reindex"]) == 0

    assert "reindexed 8 records" in capsys.readouterr().out
    assert _totals(env.backend) == (6, 8)


def test_duplicates_rebuild_re_indexes_what_changed(
    env: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    harvest(env, "regional", env.elements)
    harvest(env, "national", national_copies(env))
    env.clusters.split([record("national", national_copies(env)[0]).id])  # index not told
    assert _totals(env.backend) == (6, 8)

    assert main(["--config", str(_config(tmp_path)), "duplicates", "--rebuild"]) == 0

    assert "re-indexed 4 records" in capsys.readouterr().out  # both clusters' members
    assert _totals(env.backend) == (7, 8)
