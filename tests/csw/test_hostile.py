"""Hostile and malformed CSW requests end in an ows:ExceptionReport with the right code and
locator: never a 500, a traceback, JSON, an expanded entity or a partial answer."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from lxml import etree

from tests.csw.catalogue import Served
from tests.csw.schemas import validate

pytestmark = pytest.mark.integration

OWS = "{http://www.opengis.net/ows}"
KVP = "service=CSW&version=2.0.2&request=GetRecords&typenames=csw:Record&resulttype=results"
GET_RECORDS = (
    '<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" '
    'xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml" '
    'service="CSW" version="2.0.2" resultType="results">'
    '<csw:Query typeNames="csw:Record"><csw:ElementSetName>brief</csw:ElementSetName>'
    '<csw:Constraint version="1.1.0"><ogc:Filter>{}</ogc:Filter></csw:Constraint>'
    "</csw:Query></csw:GetRecords>"
)


def _exception(response: httpx.Response) -> tuple[str, str | None, str]:
    assert response.headers["content-type"].startswith("application/xml"), response.text[:200]
    root = etree.fromstring(response.content)
    assert root.tag == f"{OWS}ExceptionReport", response.text[:300]
    assert validate(response.content), validate(response.content).errors
    exception = root.find(f"{OWS}Exception")
    assert exception is not None
    text = exception.findtext(f"{OWS}ExceptionText") or ""
    assert "Traceback" not in text
    return exception.get("exceptionCode") or "", exception.get("locator"), text


def _post(csw: Served, body: bytes | str) -> httpx.Response:
    data = body.encode() if isinstance(body, str) else body
    return httpx.post(
        csw.url, content=data, timeout=60, headers={"Content-Type": "application/xml"}
    )


def test_xxe_reads_no_file(csw: Served, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        + GET_RECORDS.format(
            "<ogc:PropertyIsLike wildCard='%' singleChar='_' escapeChar='\\'>"
            "<ogc:PropertyName>csw:AnyText</ogc:PropertyName>"
            "<ogc:Literal>&x;</ogc:Literal></ogc:PropertyIsLike>"
        )
    )
    response = _post(csw, body)
    assert response.status_code == 200
    assert _exception(response)[0] == "NoApplicableCode"
    assert "TOP-SECRET" not in response.text


def test_entity_bomb_is_refused_unexpanded(csw: Served) -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    body = f'<?xml version="1.0"?><!DOCTYPE r [{entities}]>' + GET_RECORDS.format(
        "<ogc:PropertyIsEqualTo><ogc:PropertyName>dc:title</ogc:PropertyName>"
        "<ogc:Literal>&a9;</ogc:Literal></ogc:PropertyIsEqualTo>"
    )
    response = _post(csw, body)
    assert response.status_code == 200
    assert _exception(response)[0] == "NoApplicableCode"
    assert len(response.content) < 10_000


def test_ten_megabyte_body_is_refused_before_parsing(csw: Served) -> None:
    filler = "<!-- " + "x" * (10 * 1024 * 1024) + " -->"
    response = _post(csw, GET_RECORDS.format(filler))
    assert response.status_code == 413
    assert _exception(response)[0] == "NoApplicableCode"


@pytest.mark.parametrize("depth", [100, 1000])
def test_deeply_nested_filters_are_refused(csw: Served, depth: int) -> None:
    leaf = (
        "<ogc:PropertyIsLike wildCard='%' singleChar='_' escapeChar='\\'>"
        "<ogc:PropertyName>csw:AnyText</ogc:PropertyName><ogc:Literal>eau</ogc:Literal>"
        "</ogc:PropertyIsLike>"
    )
    nested = "<ogc:Not>" * depth + leaf + "</ogc:Not>" * depth
    code, _, text = _exception(_post(csw, GET_RECORDS.format(nested)))
    assert code in ("InvalidParameterValue", "NoApplicableCode")
    assert "deep" in text or "depth" in text


def test_deeply_nested_cql_is_refused(csw: Served) -> None:
    cql = "(" * 1000 + "dc:title LIKE '%a%'" + ")" * 1000
    query = httpx.QueryParams(KVP).merge({"constraintlanguage": "CQL_TEXT", "constraint": cql})
    response = httpx.get(csw.url, params=query)
    code, locator, text = _exception(response)
    assert (code, locator) == ("InvalidParameterValue", "constraint")
    assert "deeper" in text


def test_overlong_values_are_refused(csw: Served) -> None:
    long = "a" * 5000
    like = (
        "<ogc:PropertyIsLike wildCard='%' singleChar='_' escapeChar='\\'>"
        f"<ogc:PropertyName>csw:AnyText</ogc:PropertyName><ogc:Literal>%{long}%"
        "</ogc:Literal></ogc:PropertyIsLike>"
    )
    assert _exception(_post(csw, GET_RECORDS.format(like)))[:2] == (
        "InvalidParameterValue",
        "constraint",
    )
    query = httpx.QueryParams(KVP).merge(
        {"constraintlanguage": "CQL_TEXT", "constraint": f"dc:type = '{long}'"}
    )
    assert _exception(httpx.get(csw.url, params=query))[:2] == (
        "InvalidParameterValue",
        "constraint",
    )
    response = httpx.get(
        csw.url,
        params={"service": "CSW", "version": "2.0.2", "request": "GetRecordById", "id": long},
    )
    assert _exception(response)[:2] == ("InvalidParameterValue", "id")


def test_thousands_of_conditions_are_refused(csw: Served) -> None:
    leaves = "".join(
        f"<ogc:PropertyIsEqualTo><ogc:PropertyName>dc:type</ogc:PropertyName>"
        f"<ogc:Literal>t{i}</ogc:Literal></ogc:PropertyIsEqualTo>"
        for i in range(5000)
    )
    code, locator, _ = _exception(_post(csw, GET_RECORDS.format(f"<ogc:Or>{leaves}</ogc:Or>")))
    assert (code, locator) == ("InvalidParameterValue", "constraint")


@pytest.mark.parametrize(
    ("extra", "code", "locator"),
    [
        ("&maxrecords=1e9", "InvalidParameterValue", "maxRecords"),
        ("&maxrecords=-1", "InvalidParameterValue", "maxRecords"),
        ("&startposition=-5", "InvalidParameterValue", "startPosition"),
        ("&startposition=abc", "InvalidParameterValue", "startPosition"),
        ("&resulttype=results&resulttype=hits", "InvalidParameterValue", "resulttype"),
        ("&elementsetname=huge", "InvalidParameterValue", "ElementSetName"),
        ("&outputschema=http://example.org/x", "InvalidParameterValue", "outputSchema"),
        ("&outputformat=application/json", "InvalidParameterValue", "outputFormat"),
        ("&typenames=foo:Bar", "InvalidParameterValue", "typeNames"),
        ("&constraintlanguage=SQL&constraint=1=1", "InvalidParameterValue", "constraintLanguage"),
        (
            "&constraintlanguage=CQL_TEXT&constraint=dc:title LIKE",
            "InvalidParameterValue",
            "constraint",
        ),
        (
            "&constraintlanguage=CQL_TEXT&constraint=dct:modified > 'last tuesday'",
            "InvalidParameterValue",
            "constraint",
        ),
        (
            "&constraintlanguage=CQL_TEXT&constraint=foo:bar = 'x'",
            "InvalidParameterValue",
            "constraint",
        ),
        ("&constraintlanguage=FILTER&constraint=<ogc:Filter", "NoApplicableCode", "constraint"),
        ("&sortby=dc:title:X", "InvalidParameterValue", "sortby"),
    ],
)
def test_bad_kvp_values(csw: Served, extra: str, code: str, locator: str) -> None:
    base = KVP if "typenames" not in extra else KVP.replace("&typenames=csw:Record", "")
    response = httpx.get(f"{csw.url}?{base}{extra}")
    assert response.status_code == 200
    assert _exception(response)[:2] == (code, locator)


@pytest.mark.parametrize(
    ("operator", "locator_text"),
    [
        (
            "<ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName>"
            "<gml:Envelope srsName='EPSG:2154'><gml:lowerCorner>0 0</gml:lowerCorner>"
            "<gml:upperCorner>1 1</gml:upperCorner></gml:Envelope></ogc:BBOX>",
            "CRS",
        ),
        (
            "<ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName>"
            "<gml:Envelope><gml:lowerCorner>95 0</gml:lowerCorner>"
            "<gml:upperCorner>99 1</gml:upperCorner></gml:Envelope></ogc:BBOX>",
            "bounding box",
        ),
        (
            "<ogc:PropertyIsGreaterThan><ogc:PropertyName>dct:modified</ogc:PropertyName>"
            "<ogc:Literal>2020-13-45</ogc:Literal></ogc:PropertyIsGreaterThan>",
            "date",
        ),
        (
            "<ogc:PropertyIsLessThan><ogc:PropertyName>dc:title</ogc:PropertyName>"
            "<ogc:Literal>b</ogc:Literal></ogc:PropertyIsLessThan>",
            "not ordered",
        ),
        (
            "<ogc:Contains><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName>"
            "<gml:Envelope><gml:lowerCorner>0 0</gml:lowerCorner>"
            "<gml:upperCorner>1 1</gml:upperCorner></gml:Envelope></ogc:Contains>",
            "Contains",
        ),
        (
            "<ogc:PropertyIsEqualTo><ogc:Function name='upper'/>"
            "<ogc:Literal>X</ogc:Literal></ogc:PropertyIsEqualTo>",
            "PropertyName",
        ),
    ],
)
def test_unsupported_or_bad_filters_are_refused(
    csw: Served, operator: str, locator_text: str
) -> None:
    code, locator, text = _exception(_post(csw, GET_RECORDS.format(operator)))
    assert (code, locator) == ("InvalidParameterValue", "constraint")
    assert locator_text in text


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "NoApplicableCode"),
        (b"\xff\xfe\x00garbage", "NoApplicableCode"),
        (b"<notcsw/>", "InvalidParameterValue"),
        (
            b'<csw:Harvest xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" service="CSW" '
            b'version="2.0.2"/>',
            "OperationNotSupported",
        ),
        (
            b'<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" service="CSW" '
            b'version="2.0.2"/>',
            "MissingParameterValue",
        ),
        (
            b'<csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" service="WMS" '
            b'version="2.0.2"/>',
            "InvalidParameterValue",
        ),
    ],
)
def test_bad_bodies(csw: Served, body: bytes, code: str) -> None:
    assert _exception(_post(csw, body))[0] == code


def test_kvp_without_request_or_with_a_wrong_version(csw: Served) -> None:
    assert _exception(httpx.get(f"{csw.url}?service=CSW"))[:2] == (
        "MissingParameterValue",
        "request",
    )
    response = httpx.get(f"{csw.url}?service=CSW&version=3.0.0&request=GetRecords")
    assert _exception(response)[:2] == ("InvalidParameterValue", "version")
    response = httpx.get(f"{csw.url}?service=CSW&request=GetCapabilities&acceptversions=3.0.0")
    assert _exception(response)[:2] == ("VersionNegotiationFailed", "acceptVersions")


def test_a_huge_maxrecords_is_capped_with_paging_intact(csw: Served) -> None:
    response = httpx.get(f"{csw.url}?{KVP}&maxrecords=1000000000&elementsetname=brief")
    results = etree.fromstring(response.content).find(
        "{http://www.opengis.net/cat/csw/2.0.2}SearchResults"
    )
    assert results is not None
    returned = int(results.get("numberOfRecordsReturned") or -1)
    matched = int(results.get("numberOfRecordsMatched") or -1)
    assert returned == min(matched, csw.settings.csw.max_records)
    assert int(results.get("nextRecord") or -1) == (returned + 1 if returned < matched else 0)
