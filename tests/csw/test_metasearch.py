"""QGIS MetaSearch itself (Debian's QGIS 3.22, system python3, offscreen) searching Moisson:
add the service, search by text and by the map extent, page with the dialog's buttons,
open a record, and see "Add WMS layer" offered for a record with a WMS link.

The dialog runs in QGIS's Python (tests/csw/metasearch_driver.py); this test serves the
catalogue and checks what the dialog showed against the CSW answers for the same requests.
scripts/test.sh installs QGIS; without it the test skips (and fails under CI).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from indexer.store import Store
from testkit.qgis_driver import qgis_importable, run_driver
from tests.conftest import require
from tests.csw.catalogue import Served

pytestmark = pytest.mark.integration

DRIVER = Path(__file__).with_name("metasearch_driver.py")
CSW = "{http://www.opengis.net/cat/csw/2.0.2}"
FRANCE = (-5.5, 41.0, 10.0, 51.5)


@pytest.fixture(scope="module")
def qgis() -> None:
    require(
        qgis_importable("qgis.core", "owslib")
        and Path("/usr/share/qgis/python/plugins/MetaSearch").is_dir(),
        "QGIS with MetaSearch not installed "
        "(apt-get install qgis python3-qgis; scripts/test.sh does it)",
    )


def _drive(csw: Served, tmp_path: Path, scenario: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = run_driver(DRIVER, [csw.url, json.dumps(scenario)], tmp_path / "home")
    return result


def _matches(csw: Served, cql: str) -> int:
    body = httpx.get(
        csw.url,
        params={
            "service": "CSW",
            "version": "2.0.2",
            "request": "GetRecords",
            "typenames": "csw:Record",
            "resulttype": "hits",
            "constraintlanguage": "CQL_TEXT",
            "constraint": cql,
        },
    ).content
    results = etree.fromstring(body).find(f"{CSW}SearchResults")
    assert results is not None, body[:300]
    return int(results.get("numberOfRecordsMatched") or -1)


def _wms_record(csw: Served) -> tuple[str, str]:
    store = Store(csw.settings.store.url).open()
    try:
        for record in store.iter_records("samples"):
            if any((link.protocol or "").upper() == "OGC:WMS" for link in record.links):
                return record.provenance.original_id, record.title
    finally:
        store.close()
    raise AssertionError("no sample record with a WMS link")


def test_metasearch_searches_pages_and_offers_wms(qgis: None, csw: Served, tmp_path: Path) -> None:
    shutil.rmtree(tmp_path / "home", ignore_errors=True)
    wms_id, wms_title = _wms_record(csw)
    scenario = {
        "text": "lorem",
        "page_size": 2,
        "extent": FRANCE,
        "wms_title": wms_title,
        "wms_id": wms_id,
    }
    shown = _drive(csw, tmp_path, scenario)
    # No error box; paging past the last page gives the dialog's own end-of-results notice.
    assert shown["messages"] == ["Navigation: End of results. Go to start?"]

    text = shown["text"]
    expected = _matches(csw, "csw:AnyText LIKE 'lorem'")
    assert text["matches"] == expected > scenario["page_size"]
    assert len(text["titles"]) == scenario["page_size"]
    paged = [i for page in shown["pages"] for i in page["ids"]]
    assert len(paged) == len(set(paged)) == expected  # every record once, through the pages

    west, south, east, north = FRANCE
    assert [float(x) for x in shown["bbox_fields"]] == pytest.approx(
        [west, south, east, north],
        abs=1.5,  # the canvas keeps its aspect ratio
    )
    box = [float(x) for x in shown["bbox_fields"]]
    assert (
        shown["extent"]["matches"]
        == _matches(csw, f"BBOX(ows:BoundingBox, {box[0]}, {box[1]}, {box[2]}, {box[3]})")
        > 0
    )

    assert shown["wms_found"], shown["wms_search"]
    assert shown["add_wms_enabled"] is True
    assert shown["services"].get("wms", "").startswith("http")
    assert wms_title.split()[0] in (shown["metadata"] or "")
