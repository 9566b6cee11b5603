"""kind = "postgis" end to end on a real PostGIS: config -> harvest -> search with facets
and themes -> record page; incremental runs; the read-only and timeout guarantees."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from harvester.postgis_catalog import connect_read_only
from moisson.config import Settings
from moisson.errors import ConfigError
from moisson.record import Outcome, record_id
from pipeline.harvest import harvest_source
from pipeline.runs import RunStatus
from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.sources.conftest import run_sql
from tests.sources.postgis_data import READER_PASSWORD, reader_role

SOURCE = "metier"


def settings_for(tmp_path: Path, dsn: str, **options: Any) -> Settings:
    parts = urlsplit(dsn)
    database = parts.path.lstrip("/")
    url = f"postgresql://{reader_role(database)}@{parts.hostname}:{parts.port}/{database}"
    source = {
        "id": SOURCE,
        "kind": "postgis",
        "name": "Bases métier",
        "url": url,
        "password_env": "METIER_DB_PASSWORD",
        "updated_at_column": "updated_at",
        "keyword_rules": [
            {"pattern": "parcelle", "keywords": ["Parcellaire agricole"]},
            {"pattern": "cours_eau|rivière", "keywords": ["Hydrographie"]},
        ],
        "links": [
            {
                "url": "https://geo.example.org/geoserver/{schema}/wms",
                "protocol": "OGC:WMS",
                "name": "{schema}:{table}",
            }
        ],
        **options,
    }
    return Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp_path}/store.db"},
            "index": {"url": f"sqlite:///{tmp_path}/index.db"},
            "sources": [source],
        }
    )


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METIER_DB_PASSWORD", READER_PASSWORD)


def original(dsn: str, table: str) -> str:
    return f"{urlsplit(dsn).path.lstrip('/')}.{table}"


def test_business_tables_become_searchable_themed_records(tmp_path: Path, business_db: str) -> None:
    settings = settings_for(tmp_path, business_db)
    with Runtime(settings) as runtime:
        result = harvest_source(runtime, settings.source(SOURCE))
        client = create_app(runtime).test_client()
        found = client.get("/api/search?q=parcellaire&size=50").get_json()
        everything = client.get("/api/search?size=50").get_json()
        parcels = client.get(
            f"/api/records/{record_id(SOURCE, original(business_db, 'metier.parcelles_agricoles'))}"
        ).get_json()
        big = client.get(
            f"/api/records/{record_id(SOURCE, original(business_db, 'metier.capteurs_mesures'))}"
        ).get_json()
        unnamed = client.get(
            f"/api/records/{record_id(SOURCE, original(business_db, 'metier.troncons_cours_eau'))}"
        ).get_json()
    assert result.report.status is RunStatus.COMPLETE
    ids = sorted(h["sources"][0]["original_id"].split(".", 1)[1] for h in everything["hits"])
    # Spatial tables and views the account may read; not the non-spatial table (option off),
    # not the schema it has no right on.
    assert ids == [
        "metier.capteurs_mesures",
        "metier.observations_faune",
        "metier.parcelles_agricoles",
        "metier.releves_vides",
        "metier.troncons_cours_eau",
        "metier.v_parcelles_ble",
    ]
    assert [h["title"] for h in found["hits"]][:1] == [
        "Parcellaire agricole des exploitations suivies"
    ]
    themes = {b["value"] for b in everything["facets"]["theme"]}
    assert {"agricultural-parcels", "hydrography"} <= themes
    # The record page: title and abstract from the comments, the columns, the extent of the
    # Lambert-93 polygons in WGS84 (Rennes area), the last change of the updated_at column.
    assert parcels["abstract"].startswith("Îlots culturaux déclarés")
    assert "- culture (text) — Code culture PAC" in parcels["abstract"]
    assert "Geometry geom: MULTIPOLYGON, EPSG:2154." in parcels["abstract"]
    west, south, east, north = (parcels["bboxes"][0][k] for k in ("west", "south", "east", "north"))
    assert -1.9 < west < east < -1.4 and 48.0 < south < north < 48.3
    assert parcels["revised"] == "2025-06-02"
    assert parcels["contacts"] == [
        {"organisation": None, "name": "moisson", "email": None, "role": "owner"}
    ]
    urls = {link["protocol"]: link for link in parcels["links"]}
    assert urls["OGC:WMS"]["name"] == "metier:parcelles_agricoles"
    assert "@" not in urls["PostgreSQL"]["url"] and READER_PASSWORD not in str(parcels)
    # The planner's estimate for a table too big to count; a readable name without comment.
    assert "Rows: about 25 000 000." in big["abstract"]
    assert unnamed["title"] == "Troncons cours eau (metier)"


def test_a_second_run_reads_only_the_tables_that_changed(tmp_path: Path, business_db: str) -> None:
    settings = settings_for(tmp_path, business_db)
    with Runtime(settings) as runtime:
        first = harvest_source(runtime, settings.source(SOURCE))
        second = harvest_source(runtime, settings.source(SOURCE))
        run_sql(
            business_db,
            "INSERT INTO metier.observations_faune (espece, geom) "
            "VALUES ('Martes martes', ST_SetSRID(ST_MakePoint(-2.9, 47.7), 4326))",
        )
        third = harvest_source(runtime, settings.source(SOURCE))
        full = harvest_source(runtime, settings.source(SOURCE), full=True)
    assert first.report.seen == 6
    # Views have no counters: always read. Everything else unchanged is skipped.
    assert second.report.seen == 1 and not second.retirement.retired
    assert third.report.seen == 2 and third.report.outcomes[Outcome.UPDATED] == 1
    assert full.report.seen == 6 and full.report.outcomes[Outcome.UNCHANGED] == 6


def test_a_table_that_times_out_is_quarantined_and_the_run_goes_on(
    tmp_path: Path, business_db: str
) -> None:
    run_sql(
        business_db,
        "CREATE VIEW metier.v_lente AS SELECT id, geom FROM metier.observations_faune, "
        "LATERAL (SELECT pg_sleep(5)) AS s",
    )
    run_sql(
        business_db,
        f"GRANT SELECT ON metier.v_lente TO {reader_role(business_db.rsplit('/', 1)[1])}",
    )
    settings = settings_for(tmp_path, business_db, statement_timeout_ms=300)
    with Runtime(settings) as runtime:
        result = harvest_source(runtime, settings.source(SOURCE))
        quarantined = runtime.store.quarantined(SOURCE)
    assert result.report.seen == 7
    assert result.report.outcomes[Outcome.QUARANTINED] == 1
    assert any("statement timeout" in str(entry) for entry in quarantined)


def test_the_harvest_transaction_is_read_only(business_db: str) -> None:
    with (
        connect_read_only(business_db, None, 1000, 100) as conn,
        pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
    ):
        conn.execute("CREATE TABLE metier.intrus (id int)")


def test_a_missing_password_variable_is_a_config_error(
    tmp_path: Path, business_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Like a missing HTTP auth secret: the harvest refuses to start, naming the variable.
    monkeypatch.delenv("METIER_DB_PASSWORD")
    settings = settings_for(tmp_path, business_db)
    with Runtime(settings) as runtime, pytest.raises(ConfigError, match="METIER_DB_PASSWORD"):
        harvest_source(runtime, settings.source(SOURCE))


def test_a_password_in_the_url_is_refused_at_config_load() -> None:
    source = {"id": "x", "kind": "postgis", "url": "postgresql://u:secret@127.0.0.1:5432/db"}
    with pytest.raises(ValueError, match="password_env"):
        Settings.model_validate({"sources": [source]})
