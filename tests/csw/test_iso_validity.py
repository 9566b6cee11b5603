"""Every ISO 19139 record the CSW serves, checked against the ISO 19139 XSDs (shipped in
pycsw's ISO AP plugin; see tests/csw/schemas.py) and read back by OWSLib's MD_Metadata.

Harvested ISO payloads are served as harvested (plus the company themes block): they must
validate unless the source document itself does not. Records generated from other formats
(the CITE Dublin Core records here) come from publish/iso19139.py.
"""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from tests.csw.catalogue import APISO, SAMPLES, Served
from tests.csw.schemas import iso_errors, validate

pytestmark = pytest.mark.integration

GMD = "http://www.isotc211.org/2005/gmd"


def _iso_records(csw: Served) -> dict[str, list[str]]:
    """fileIdentifier -> schema errors of every ISO record an admin-free caller sees."""
    response = httpx.get(
        csw.url,
        timeout=60,
        params={
            "service": "CSW",
            "version": "2.0.2",
            "request": "GetRecords",
            "typenames": "gmd:MD_Metadata",
            "resulttype": "results",
            "maxrecords": "100",
            "outputschema": GMD,
            "elementsetname": "full",
        },
    )
    verdict = validate(response.content)
    assert verdict.errors == []  # the CSW envelope
    root = etree.fromstring(response.content)
    found = {}
    for record in root.iter(f"{{{GMD}}}MD_Metadata"):
        ident = record.findtext(f"{{{GMD}}}fileIdentifier/*") or ""
        found[ident] = verdict.iso_errors.get(ident, [])
    return found


def _source_ids(folder) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    """fileIdentifier -> is the source document itself schema-valid."""
    found = {}
    for path in folder.glob("*.xml"):
        root = etree.parse(str(path)).getroot()
        if root.tag == f"{{{GMD}}}MD_Metadata":
            ident = root.findtext(f"{{{GMD}}}fileIdentifier/*") or ""
            found[ident] = not iso_errors(root)
    return found


def test_harvested_iso_records_validate_unless_their_source_does_not(csw: Served) -> None:
    served = _iso_records(csw)
    sources = {**_source_ids(SAMPLES), **_source_ids(APISO)}
    checked = [i for i in served if sources.get(i)]
    assert len(checked) >= 20
    bad = {i: served[i][:2] for i in checked if served[i]}
    assert bad == {}


def test_generated_iso_records_validate(csw: Served) -> None:
    served = _iso_records(csw)
    generated = [i for i in served if i.startswith("urn:uuid:")]  # the CITE DC records
    assert len(generated) >= 9
    assert {i: served[i][:1] for i in generated if served[i]} == {}
