"""The MinHash signature computed in numpy (indexer/fingerprints.py) is bit for bit the one
datasketch computes, on the shared fixture records and on generated ones: stored signatures
and band postings of existing stores stay valid, no rebuild needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

from bench.generate import generate_iso_records
from harvester.formats.iso19139 import parse_iso
from harvester.formats.xmlsafe import parse_xml
from indexer.fingerprints import (
    _PERMUTATIONS,
    _SCHEME,
    NUM_PERM,
    _shingles,
    fingerprint,
    normalise_text,
    signature,
)
from moisson.record import Provenance, Record
from testkit.fixture_records import fixture_records


def reference(record: Record) -> np.ndarray:
    """The signature as datasketch computes it (the code fingerprints.py replaced)."""
    title, abstract = normalise_text(record.title), normalise_text(record.abstract)
    minhash = MinHash(num_perm=NUM_PERM, seed=1, permutations=_PERMUTATIONS, scheme=_SCHEME)
    minhash.update_batch([shingle.encode() for shingle in _shingles(title, abstract)])
    return np.asarray(minhash.hashvalues, dtype=np.uint64)


def assert_same(records: list[Record]) -> None:
    differing = [r.id for r in records if not np.array_equal(signature(r), reference(r))]
    assert differing == [], f"{len(differing)} of {len(records)} signatures differ"
    for record in records[:50]:
        fp = fingerprint(record)
        assert fp.signature.dtype == np.uint64
        assert np.array_equal(fp.signature, reference(record))


def test_signatures_match_datasketch_on_fixture_records(shared_fixtures: Path) -> None:
    records = fixture_records(shared_fixtures)
    assert len(records) > 100
    assert_same(records)


def test_signatures_match_datasketch_on_generated_records() -> None:
    records = [parse_iso(parse_xml(xml), "sdi") for _, xml in generate_iso_records(300, seed=7)]
    assert_same(records)


@pytest.mark.parametrize(
    ("title", "abstract"),
    [
        ("—", None),  # no words at all: one empty shingle
        ("Air", ""),
        ("Air temperature (copie)", "Température de l'air à 2 m, Œuvre, straße, ﬁchier"),
        ("Один два", "三 四 五 六 七 八 — ñandú ǖ x\u0301y"),
        ("a b c d e", "f"),
    ],
)
def test_signatures_match_datasketch_on_short_and_unusual_texts(
    title: str, abstract: str | None
) -> None:
    provenance = Provenance(source_id="s", original_id="x")
    record = Record(id="s:x", title=title, abstract=abstract, provenance=provenance)
    assert np.array_equal(signature(record), reference(record))
