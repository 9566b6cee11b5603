"""Band postings of duplicate detection (`dup_band_keys`, 64-bit integer keys) on both
databases: a record's postings follow its fingerprint through updates and removals, and a
store made before the integer table has its text postings (`dup_bands`) rebuilt on open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from indexer.cluster_store import ClusterStore
from indexer.fingerprints import BANDS
from indexer.store import Store
from moisson.record import BBox, Record
from tests.contract.store_runs import harvest

ABSTRACT = (
    "Inventaire des haies bocagères du bassin versant, relevé par photo-interprétation des "
    "orthophotographies puis vérifié sur le terrain, avec la typologie des haies et leur état."
)
BOX = BBox(west=-4.5, south=47.8, east=-3.9, north=48.3)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    with Store(url) as opened:
        yield opened


def haies(source: str, original_id: str, title: str, abstract: str = ABSTRACT) -> Record:
    return Record.new(source, original_id, title=title, abstract=abstract, bboxes=[BOX])


def postings(store: Store) -> list[tuple[int, str]]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT band, record_id FROM dup_band_keys")
        return sorted((int(band), record_id) for band, record_id in rows)


def test_postings_follow_updates_and_removals(store: Store) -> None:
    clusters = ClusterStore(store).open()
    first = harvest(
        store, "sdi", [haies("sdi", "a", "Haies bocagères"), haies("sdi", "b", "Mares")]
    )
    clusters.update(first)
    before = postings(store)
    assert len(before) == 2 * BANDS
    assert all(isinstance(band, int) for band, _ in before)

    # The same record re-harvested with another text: its old postings are gone, not kept.
    changed = harvest(store, "sdi", [haies("sdi", "a", "Haies", "Un tout autre résumé ici.")])
    clusters.update(changed)
    after = postings(store)
    assert len(after) == 2 * BANDS
    mine = {band for band, rid in after if rid == changed[0].id}
    assert mine.isdisjoint({band for band, rid in before if rid == changed[0].id})

    clusters.remove([changed[0].id])
    assert {rid for _, rid in postings(store)} == {first[1].id}


def test_old_text_postings_are_rebuilt_on_open(url: str) -> None:
    with Store(url) as store:
        clusters = ClusterStore(store).open()
        clusters.update(harvest(store, "sdi", [haies("sdi", "h", "Haies bocagères 2021")]))
        expected = postings(store)
        with store.engine.begin() as conn:  # the layout of a store made before the change
            conn.exec_driver_sql("DELETE FROM dup_band_keys")
            conn.exec_driver_sql(
                "CREATE TABLE dup_bands (band VARCHAR(24) NOT NULL, "
                "record_id VARCHAR(64) NOT NULL, PRIMARY KEY (band, record_id))"
            )
            conn.exec_driver_sql("INSERT INTO dup_bands VALUES ('00abc', 'x')")

    with Store(url) as store:
        clusters = ClusterStore(store).open()
        assert not sa.inspect(store.engine).has_table("dup_bands")
        assert postings(store) == expected
        # The rebuilt postings find a copy by its text alone (no shared key).
        copy = harvest(store, "portal", [haies("portal", "p", "HAIES BOCAGÈRES 2021")])
        assert clusters.update(copy).pairs == 1
