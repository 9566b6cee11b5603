"""The /qgis routes over the harvested samples: the platform list in both forms, the
projects, 404 for an unknown name, ETag / Last-Modified and 304, and a new ETag once the
index changes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from lxml import etree

from moisson.record import Harvested, Link, Record
from pipeline.runtime import Runtime
from search_api.app import create_app


@pytest.fixture(scope="module")
def client(sample_runtime: Runtime) -> Iterator[FlaskClient]:
    yield create_app(sample_runtime).test_client()


def _platforms(client: FlaskClient, query: str = "") -> object:
    response = client.get(f"/qgis/platforms.json{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def test_platforms_current_form(client: FlaskClient, sample_runtime: Runtime) -> None:
    body = _platforms(client)
    assert isinstance(body, list) and len(body) >= 2
    assert all(set(entry) == {"name", "url"} for entry in body)
    assert body[0] == {"name": "Moisson", "url": "http://localhost/qgis/projects/moisson.qgz"}
    tops = {
        c.pref("fr") for cid, c in sample_runtime.themer.thesaurus.concepts.items() if not c.broader
    }
    assert {entry["name"] for entry in body[1:]} <= tops  # one per top-level theme with layers


def test_platforms_legacy_form(client: FlaskClient) -> None:
    current = _platforms(client)
    legacy = _platforms(client, "?format=legacy")
    assert isinstance(legacy, dict) and isinstance(current, list)
    assert list(legacy.values()) == [entry["url"] for entry in current]
    assert all(url.endswith(f"/{name}.qgz") for name, url in legacy.items())


def test_every_listed_project_is_served_in_both_forms(client: FlaskClient) -> None:
    legacy = _platforms(client, "?format=legacy")
    assert isinstance(legacy, dict)
    for name in legacy:
        qgs = client.get(f"/qgis/projects/{name}.qgs")
        qgz = client.get(f"/qgis/projects/{name}.qgz")
        assert qgs.status_code == qgz.status_code == 200
        assert qgs.mimetype == "application/x-qgis-project"
        with zipfile.ZipFile(io.BytesIO(qgz.data)) as archive:
            assert archive.namelist() == [f"{name}.qgs"]
            assert archive.read(f"{name}.qgs") == qgs.data
        root = etree.fromstring(qgs.data.split(b"\n", 1)[1])
        links = {
            link.get("name"): link.get("url")
            for link in root.iterfind("projectMetadata/links/link")
        }
        assert links["icon"] == "http://localhost/qgis/icon.png"
        assert root.find("projectlayers/maplayer") is not None


def test_layer_metadata_links_open_the_record_page(client: FlaskClient) -> None:
    qgs = client.get("/qgis/projects/moisson.qgs").data
    root = etree.fromstring(qgs.split(b"\n", 1)[1])
    layers = root.findall("projectlayers/maplayer")
    assert layers
    for layer in layers[:5]:
        (link,) = layer.iterfind("resourceMetadata/links/link[@name='metadata']")
        url = link.get("url")
        assert url.startswith("http://localhost/")
        page = client.get(url.removeprefix("http://localhost"))
        assert page.status_code == 200 and page.mimetype == "text/html"
        assert layer.findtext("resourceMetadata/title") in page.get_data(as_text=True)


def test_icon(client: FlaskClient) -> None:
    response = client.get("/qgis/icon.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    "path", ["/qgis/projects/nope.qgs", "/qgis/projects/nope.qgz", "/qgis/projects/moisson.zip"]
)
def test_unknown_project_is_a_404_problem(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_bad_platform_format_is_a_400(client: FlaskClient) -> None:
    response = client.get("/qgis/platforms.json?format=xml")
    assert response.status_code == 400
    assert "format=legacy" in response.get_json()["detail"]


@pytest.mark.parametrize("path", ["/qgis/platforms.json", "/qgis/projects/moisson.qgz"])
def test_etag_and_last_modified_answer_304(client: FlaskClient, path: str) -> None:
    first = client.get(path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    since = client.get(path, headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    other = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data


def test_an_index_change_gives_new_projects_and_a_new_etag(
    client: FlaskClient, sample_runtime: Runtime
) -> None:
    """Last in the module: it adds a record to the shared catalogue."""
    before = client.get("/qgis/projects/moisson.qgs")
    record = Record.new(
        "sample-csw",
        "qgis-new-layer",
        title="Couche ajoutée après coup",
        links=[Link(url="https://new.example.org/wms", protocol="OGC:WMS", name="added")],
    )
    store, backend = sample_runtime.store, sample_runtime.backend
    run = store.begin_run("sample-csw")
    page = store.write_page(
        run, "sample-csw", [Harvested(original_id="qgis-new-layer", raw=b"<r/>", record=record)]
    )
    store.finish_run(run, status="complete", complete=False)
    backend.index(page.changed)
    after = client.get(
        "/qgis/projects/moisson.qgs", headers={"If-None-Match": before.headers["ETag"]}
    )
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert b"Couche ajout\xc3\xa9e apr\xc3\xa8s coup" in after.data
    assert b"Couche ajout" not in before.data
