"""The ClusterStore on every database the store supports: SQLite and a real PostgreSQL
cluster (testkit/postgres_cluster.py). Same tables, same answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from indexer.cluster_store import ClusterStore
from indexer.store import Store
from moisson.config import DuplicatesSettings
from moisson.record import BBox, Identifier, Link, Record
from tests.contract.store_runs import harvest

ABSTRACT = (
    "Inventaire des haies bocagères du bassin versant, relevé par photo-interprétation des "
    "orthophotographies puis vérifié sur le terrain, avec la typologie des haies et leur état."
)
BOX = BBox(west=-4.5, south=47.8, east=-3.9, north=48.3)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/store.db"
    else:
        url = request.getfixturevalue("postgres_url")
    with Store(url) as opened:
        yield opened


def haies(source: str, original_id: str, title: str, **fields: object) -> Record:
    return Record.new(source, original_id, title=title, abstract=ABSTRACT, bboxes=[BOX], **fields)


def test_clusters_decisions_and_removal(store: Store) -> None:
    clusters = ClusterStore(store, DuplicatesSettings(source_priority=["sdi"])).open()
    sdi = [
        haies("sdi", "h-2019", "Haies bocagères 2019", revised=date(2019, 6, 1)),
        haies("sdi", "h-2021", "Haies bocagères 2021", revised=date(2021, 6, 1)),
        Record.new(
            "sdi",
            "wms",
            title="Cours d'eau",
            links=[
                Link(
                    url="https://geo.example.org/wms?service=WMS",
                    protocol="OGC:WMS",
                    name="cours_eau",
                )
            ],
        ),
    ]
    portal = [
        haies("portal", "p1", "HAIES BOCAGÈRES 2021", identifiers=[Identifier(code="P-1")]),
        Record.new(
            "portal",
            "p2",
            title="Réseau hydrographique",
            links=[
                Link(
                    url="https://GEO.example.org/wms/?SERVICE=wms&request=GetMap",
                    protocol="OGC:WMS",
                    name="cours_eau",
                )
            ],
        ),
    ]
    first = clusters.update(harvest(store, "sdi", sdi))
    assert (first.fingerprinted, first.pairs) == (3, 0)  # 2019 and 2021 stay apart
    second = clusters.update(harvest(store, "portal", portal))
    assert (second.fingerprinted, second.pairs) == (2, 2)

    views = {tuple(v.members): v for v in clusters.clusters()}
    by_id = {r.provenance.original_id: r.id for r in sdi + portal}
    text = tuple(sorted([by_id["h-2021"], by_id["p1"]]))
    layer = tuple(sorted([by_id["wms"], by_id["p2"]]))
    assert set(views) == {text, layer}
    assert views[text].canonical == by_id["h-2021"]
    assert [(p.kind, p.detail) for p in views[layer].pairs] == [
        ("key", "layer:OGC:WMS|geo.example.org/wms|cours_eau")
    ]
    assert [v.id for v in clusters.clusters("portal")] == sorted([text[0], layer[0]])

    assert clusters.pin(by_id["p1"]).canonical == by_id["p1"]
    clusters.split([by_id["p2"]])
    assert clusters.cluster_of(by_id["p2"]) is None
    assert [d["kind"] for d in clusters.decisions()] == ["pin", "apart"]

    assert clusters.remove([by_id["h-2021"]]) == 1
    assert clusters.clusters() == []
    assert clusters.counts_by_source() == {"sdi": 2, "portal": 2}


def landing(source: str, original_id: str, title: str, url: str) -> Record:
    return Record.new(
        source,
        original_id,
        title=title,
        abstract=f"{title}: jeu de données {original_id} du catalogue {source}.",
        links=[Link(url=url, protocol="landing page")],
    )


def test_link_keys_held_twice_in_a_source_never_join(store: Store) -> None:
    """A landing page two records of one source give (a portal's home page) joins nothing,
    whether both holders arrive on one page or one is stored and the other new; a landing
    page one record per source gives joins its holders. Counted from the stored holders
    and the page's (`_held_twice_in_a_source`), on both databases."""
    clusters = ClusterStore(store).open()
    home, page = "https://portal.example.org/", "https://data.example.org/ds/zones-humides"
    sdi = [
        landing("sdi", "a", "Carte des haies", home),
        landing("sdi", "x", "Zones humides", page),
    ]
    assert clusters.update(harvest(store, "sdi", sdi)).pairs == 0
    portal = [
        landing("portal", "p1", "Inventaire des mares", home),
        landing("portal", "p2", "Réseau routier", home),
        landing("portal", "y", "Inventaire zones humides", page),
    ]
    report = clusters.update(harvest(store, "portal", portal))
    ids = {r.provenance.original_id: r.id for r in sdi + portal}
    assert report.pairs == 1  # only the shared page: the home page is held twice in portal
    assert [v.members for v in clusters.clusters()] == [sorted([ids["x"], ids["y"]])]
    later = [landing("sdi", "b", "Plan de zonage", home)]  # home: now held twice in sdi too
    assert clusters.update(harvest(store, "sdi", later)).pairs == 0
    assert clusters.cluster_of(ids["a"]) is None
    assert len(clusters.clusters()) == 1
