"""GET /api/records/<id>: the full record with provenance, and the raw payload as harvested."""

from __future__ import annotations

from flask.testing import FlaskClient

from indexer.store import Store
from moisson.record import Record
from tests.api.conftest import GEO, raw_xml


def test_a_record_comes_whole_with_its_provenance(
    client: FlaskClient, store: Store, records: dict[str, Record]
) -> None:
    record = records["zh-bzh"]
    response = client.get(f"/api/records/{record.id}")
    assert response.status_code == 200
    body = response.get_json()
    stored = store.get(record.id)
    expected = stored.model_dump(mode="json", exclude={"provenance"})
    assert {k: v for k, v in body.items() if k != "provenance"} == expected
    provenance = body["provenance"]
    assert provenance["source_id"] == GEO
    assert provenance["original_id"] == "zh-bzh"
    assert provenance["harvest_run"] == stored.provenance.harvest_run
    assert provenance["content_hash"] == stored.provenance.content_hash
    # Stored as naive UTC; served as RFC 3339 with the offset said.
    assert provenance["first_seen"].endswith("Z")
    assert provenance["last_seen"].endswith("Z")
    assert body["raw"]["content_type"] == "application/xml"


def test_raw_returns_the_harvested_bytes_and_content_type(
    client: FlaskClient, records: dict[str, Record]
) -> None:
    record = records["qualite-rivieres"]
    response = client.get(f"/api/records/{record.id}?raw=1")
    assert response.status_code == 200
    assert response.data == raw_xml(record)
    assert response.mimetype == "application/xml"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_raw_false_is_the_json_record(client: FlaskClient, records: dict[str, Record]) -> None:
    record = records["meteo"]
    response = client.get(f"/api/records/{record.id}?raw=false")
    assert response.is_json
    assert response.get_json()["id"] == record.id
