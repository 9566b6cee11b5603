"""The endpoint answers on every configured path (a geOrchestra gateway's prefixed one too),
writes the configured public URL in its capabilities, and disappears when disabled."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from pipeline.runtime import Runtime
from search_api.app import create_app
from tests.csw.catalogue import CITE, conformance_sources, harvest_all, settings_for

pytestmark = pytest.mark.integration

CAPS = "?service=CSW&request=GetCapabilities"
HREF = "{http://www.w3.org/1999/xlink}href"


def test_every_path_answers_with_the_public_url(tmp_path: Path) -> None:
    conformance_sources()
    public = "https://sdi.example.org/moisson/csw"
    settings = settings_for(
        tmp_path,
        {"cite": CITE},
        paths=["/csw", "/moisson/csw"],
        url=public,
        title="Catalogue Moisson",
    )
    harvest_all(settings)
    runtime = Runtime(settings)
    app = create_app(runtime)
    try:
        client = app.test_client()
        for path in ("/csw", "/moisson/csw"):
            root = etree.fromstring(client.get(path + CAPS).data)
            assert root.findtext("{*}ServiceIdentification/{*}Title") == "Catalogue Moisson"
            hrefs = {e.get(HREF) for e in root.iter("{*}Get", "{*}Post")}
            assert hrefs == {public}
        assert client.get("/other/csw" + CAPS).status_code == 404
    finally:
        runtime.close()


def test_a_disabled_endpoint_is_not_served(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, {}, enabled=False)
    runtime = Runtime(settings)
    app = create_app(runtime)
    try:
        assert app.test_client().get("/csw" + CAPS).status_code == 404
    finally:
        runtime.close()
