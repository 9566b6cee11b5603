"""API tests run the real app on a real SQLite store and a real SqliteBackend in tmp_path.

The catalogue is built by hand so every count the tests assert is known: six records from
two sources, written through `Store.write_page` (as a harvest does) and then indexed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_schema_validator import OAS30Validator
from werkzeug.test import TestResponse

from indexer.backends import build_backend
from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.config import IndexSettings, Settings, StoreSettings
from moisson.record import BBox, Contact, Harvested, Keyword, Link, Record
from pipeline.runtime import Runtime
from search_api.app import create_app

GEO = "geo"
OPEN = "opendata"


def _record(source: str, original_id: str, title: str, **fields: Any) -> Record:
    return Record.new(source, original_id, title=title, **fields)


def catalogue() -> dict[str, list[Record]]:
    """Two sources; 'eau' matches four records; dates span 2012..2022."""
    wms = Link(url="https://geo.example.org/wms", protocol="OGC:WMS", name="zh")
    wfs = Link(url="https://geo.example.org/wfs", protocol="OGC:WFS", name="cours_eau")
    download = Link(url="https://geo.example.org/zh.gpkg", protocol="download")
    return {
        GEO: [
            _record(
                GEO,
                "zh-bzh",
                "Zones humides de Bretagne",
                abstract="Inventaire des zones humides et des cours d'eau de Bretagne.",
                keywords=[Keyword(label="eau"), Keyword(label="zones humides")],
                contacts=[Contact(organisation="OFB", role="owner")],
                bboxes=[BBox(west=-5.2, south=47.2, east=-1.0, north=48.9)],
                revised=date(2020, 5, 1),
                formats=["GeoPackage"],
                links=[wms, download],
            ),
            _record(
                GEO,
                "hydro",
                "Réseau hydrographique",
                abstract="Cours d'eau et plans d'eau de France métropolitaine.",
                keywords=[Keyword(label="eau"), Keyword(label="hydrographie")],
                contacts=[Contact(organisation="IGN")],
                bboxes=[BBox(west=-5.0, south=41.0, east=10.0, north=51.0)],
                published=date(2018, 3, 1),
                formats=["Shapefile"],
                links=[wfs],
            ),
            _record(
                GEO,
                "corine",
                "Occupation du sol Corine Land Cover",
                abstract="Occupation biophysique des sols en Europe.",
                keywords=[Keyword(label="occupation du sol")],
                contacts=[Contact(organisation="EEA")],
                bboxes=[BBox(west=-31.0, south=27.0, east=44.0, north=71.0)],
                created=date(2012, 1, 1),
                links=[wms],
            ),
        ],
        OPEN: [
            _record(
                OPEN,
                "qualite-rivieres",
                "Qualité de l'eau des rivières",
                abstract="Mesures physico-chimiques de la qualité de l'eau du bassin du Rhône.",
                keywords=[Keyword(label="eau"), Keyword(label="qualité")],
                contacts=[Contact(organisation="Agence de l'eau")],
                bboxes=[BBox(west=4.0, south=43.0, east=6.0, north=46.0)],
                revised=date(2022, 9, 15),
                formats=["CSV"],
                links=[download],
            ),
            _record(
                OPEN,
                "meteo",
                "Stations météorologiques",
                abstract="Emplacement des stations et relevés de précipitations (eau de pluie).",
                keywords=[Keyword(label="climat")],
                contacts=[Contact(organisation="Météo-France")],
                published=date(2015, 6, 30),
                resource_type="series",
                formats=["CSV"],
            ),
            _record(
                OPEN,
                "population",
                "Population communale",
                abstract="Recensement de la population par commune.",
                keywords=[Keyword(label="démographie")],
                contacts=[Contact(organisation="INSEE")],
                bboxes=[BBox(west=-5.0, south=41.0, east=10.0, north=51.0)],
                published=date(2021, 1, 1),
                formats=["CSV"],
            ),
        ],
    }


def raw_xml(record: Record) -> bytes:
    """A stand-in for the harvested payload: distinct bytes per record."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<record><id>{record.provenance.original_id}</id><title>{record.title}</title></record>"
    ).encode()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        store=StoreSettings(url=f"sqlite:///{tmp_path / 'store.db'}"),
        index=IndexSettings(url=f"sqlite:///{tmp_path / 'index.db'}"),
        sources=[
            {"id": GEO, "kind": "csw", "url": "https://geo.example.org/csw", "name": "GéoPortail"},
            {"id": OPEN, "kind": "csw", "url": "https://data.example.org/csw"},
            {"id": "empty", "kind": "csw", "url": "https://empty.example.org/csw"},
        ],
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    with Store(settings.store.url) as opened:
        yield opened


@pytest.fixture
def backend(settings: Settings) -> Iterator[SearchBackend]:
    built = build_backend(settings.index.url)
    built.open()
    try:
        yield built
    finally:
        built.close()


def load_catalogue(store: Store, backend: SearchBackend) -> dict[str, Record]:
    """Harvest the catalogue into the store (one complete run per source) and index it;
    the records by original id."""
    written: dict[str, Record] = {}
    for source, items in catalogue().items():
        run = store.begin_run(source)
        page = store.write_page(
            run,
            source,
            [
                Harvested(
                    original_id=r.provenance.original_id,
                    raw=raw_xml(r),
                    content_type="application/xml",
                    record=r,
                )
                for r in items
            ],
            declared_total=len(items),
        )
        store.finish_run(run, status="complete", complete=True)
        backend.index(page.changed)
        written.update({r.provenance.original_id: r for r in page.changed})
    return written


@pytest.fixture
def records(store: Store, backend: SearchBackend) -> dict[str, Record]:
    return load_catalogue(store, backend)


@pytest.fixture
def app(
    settings: Settings, store: Store, backend: SearchBackend, records: dict[str, Record]
) -> Flask:
    return create_app(Runtime(settings, store=store, backend=backend))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def assert_error(response: TestResponse, status: int, *, contains: str = "") -> str:
    """The one error shape; returns the message for further checks."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.content_type
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "type", "message"}
    assert body["error"]["status"] == status
    assert isinstance(body["error"]["type"], str) and body["error"]["type"]
    message = body["error"]["message"]
    assert isinstance(message, str) and message
    assert "Traceback" not in message
    assert contains in message, message
    return message


def check_against(doc: dict[str, Any], path: str, method: str, response: TestResponse) -> None:
    """The status is documented for the operation, and a JSON body matches its schema."""
    operation = doc["paths"][path][method]
    documented = operation["responses"]
    spec = documented.get(str(response.status_code)) or documented.get("default")
    assert spec is not None, f"{method.upper()} {path}: {response.status_code} undocumented"
    content = spec.get("content", {})
    media = content.get(response.mimetype) or content.get("*/*")
    assert media is not None, f"{method.upper()} {path}: {response.mimetype} undocumented"
    if response.mimetype == "application/json":
        schema = {"allOf": [media["schema"]], "components": doc["components"]}
        validator = OAS30Validator(schema, format_checker=OAS30Validator.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(response.get_json()), key=str)
        assert not errors, f"{method.upper()} {path}: {errors[0]}"
    if not 200 <= response.status_code < 300:
        assert_error(response, response.status_code)
    response.close()  # static files stream from an open file
