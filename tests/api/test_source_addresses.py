"""GET /api/sources shows server-side paths and internal addresses to admins only
(issue 20, item 6)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from indexer.backends.base import SearchBackend
from indexer.store import Store
from moisson.config import Settings
from moisson.record import Record
from pipeline.runtime import Runtime
from search_api.app import create_app
from search_api.sources import public_url

TOKEN = "s3cret-admin-token"
ADDRESSES = {
    "public": (
        "https://geo.example.org/csw?service=CSW",
        "https://geo.example.org/csw?service=CSW",
    ),
    "folder": ("file:///srv/moisson/catalogues/dcat", None),
    "relative-folder": ("file:dcat", None),
    "private-ip": ("http://10.12.0.5:8080/geonetwork/srv/eng/csw", None),
    "loopback": ("http://127.0.0.1:5000/csw", None),
    "intranet-name": ("http://geoserver:8080/csw", None),
    "internal-domain": ("https://gn.agence.internal/csw", None),
    "credentials": ("https://harvest:pw@data.example.org/api", None),
    "api-key": (
        "https://data.example.org/api/3/action?apikey=abc&fq=x",
        "https://data.example.org/api/3/action?fq=x",
    ),
}


@pytest.fixture
def settings_with_addresses(settings: Settings) -> Settings:
    data = settings.model_dump(mode="python")
    data["sources"] = [
        {"id": name, "kind": "csw", "url": url} for name, (url, _) in ADDRESSES.items()
    ]
    data["api"]["admin_token"] = TOKEN
    return Settings.model_validate(data)


def listed(
    settings: Settings, store: Store, backend: SearchBackend, headers: dict[str, str]
) -> dict[str, str | None]:
    app = create_app(Runtime(settings, store=store, backend=backend))
    response = app.test_client().get("/api/sources", headers=headers)
    assert response.status_code == 200
    return {s["id"]: s["url"] for s in response.get_json()["sources"]}


def test_anonymous_callers_see_public_web_addresses_only(
    settings_with_addresses: Settings,
    store: Store,
    backend: SearchBackend,
    records: dict[str, Record],
) -> None:
    urls = listed(settings_with_addresses, store, backend, {})
    assert urls == {name: shown for name, (_, shown) in ADDRESSES.items()}


def test_admins_see_every_address(
    settings_with_addresses: Settings,
    store: Store,
    backend: SearchBackend,
    records: dict[str, Record],
) -> None:
    assert isinstance(settings_with_addresses.api.admin_token, SecretStr)
    urls = listed(settings_with_addresses, store, backend, {"Authorization": f"Bearer {TOKEN}"})
    assert urls == {name: url for name, (url, _) in ADDRESSES.items()}


@pytest.mark.parametrize(
    "url", ["http://[::1]/csw", "http://169.254.169.254/latest", "ftp://data.example.org/x", ""]
)
def test_other_non_public_addresses(url: str) -> None:
    assert public_url(url) is None
