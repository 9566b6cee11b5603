"""Filter Encoding 1.1 and CQL text into the neutral query tree (pure: no server)."""

from __future__ import annotations

from datetime import date

import pytest
from lxml import etree

from moisson.query import (
    And,
    BBox,
    Exists,
    FieldFilter,
    Not,
    Or,
    Phrase,
    Prefix,
    Range,
    Spatial,
)
from publish.csw.cql import cql_node
from publish.csw.errors import CswError
from publish.csw.fes import filter_node

FILTER = (
    '<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc" '
    'xmlns:gml="http://www.opengis.net/gml">{}</ogc:Filter>'
)


def fes(body: str):  # type: ignore[no-untyped-def]
    return filter_node(etree.fromstring(FILTER.format(body)))


def prop(op: str, name: str, value: str, attrs: str = "") -> str:
    return (
        f"<ogc:{op}{attrs}><ogc:PropertyName>{name}</ogc:PropertyName>"
        f"<ogc:Literal>{value}</ogc:Literal></ogc:{op}>"
    )


def test_like_patterns_become_word_prefixes_and_phrases() -> None:
    assert fes(prop("PropertyIsLike", "csw:AnyText", "%eau%")) == Prefix(text="eau")
    assert fes(prop("PropertyIsLike", "dc:title", "zones hum*", ' wildCard="*"')) == Prefix(
        text="zones hum", fields=("title",)
    )
    assert fes(prop("PropertyIsLike", "apiso:Title", "Bretagne")) == Phrase(
        text="Bretagne", fields=("title",)
    )
    assert fes(prop("PropertyIsLike", "csw:AnyText", "%")) is None
    assert fes(prop("PropertyIsLike", "csw:AnyText", "100!%%", ' escapeChar="!"')) == Prefix(
        text="100%"
    )
    assert fes(prop("PropertyIsLike", "dc:subject", "%eau%")) == Prefix(
        text="eau", fields=("keywords",)
    )


def test_keyword_fields_compare_exactly_and_types_as_scope_codes() -> None:
    assert fes(
        prop("PropertyIsEqualTo", "dc:type", "http://purl.org/dc/dcmitype/Dataset")
    ) == FieldFilter(field="resource_type", values=("dataset",))
    assert fes(prop("PropertyIsLike", "apiso:OrganisationName", "IGN%")) == FieldFilter(
        field="organisation", values=("IGN",), prefix=True
    )
    assert fes(prop("PropertyIsNotEqualTo", "apiso:Format", "CSV")) == Not(
        child=FieldFilter(field="format", values=("CSV",))
    )
    with pytest.raises(CswError) as refused:
        fes(prop("PropertyIsLike", "apiso:TopicCategory", "%env%"))
    assert (refused.value.code, refused.value.locator) == ("InvalidParameterValue", "constraint")


def test_dates_are_day_ranges() -> None:
    day = date(2020, 5, 1)
    assert fes(prop("PropertyIsGreaterThan", "dct:modified", "2020-05-01T10:00:00Z")) == Range(
        field="modified", gte=date(2020, 5, 2)
    )
    assert fes(prop("PropertyIsLessThanOrEqualTo", "apiso:CreationDate", "2020-05-01")) == Range(
        field="created", lte=day
    )
    between = (
        "<ogc:PropertyIsBetween><ogc:PropertyName>apiso:PublicationDate"
        "</ogc:PropertyName><ogc:LowerBoundary><ogc:Literal>2019</ogc:Literal>"
        "</ogc:LowerBoundary><ogc:UpperBoundary><ogc:Literal>2020-05-01</ogc:Literal>"
        "</ogc:UpperBoundary></ogc:PropertyIsBetween>"
    )
    assert fes(between) == Range(field="published", gte=date(2019, 1, 1), lte=day)


@pytest.mark.parametrize(
    ("srs", "lower", "upper"),
    [
        ("urn:ogc:def:crs:EPSG::4326", "47 -5", "49 -1"),
        ("EPSG:4326", "47 -5", "49 -1"),
        ("http://www.opengis.net/def/crs/EPSG/0/4326", "47 -5", "49 -1"),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", "-5 47", "-1 49"),
        (None, "47 -5", "49 -1"),
    ],
)
def test_bbox_axis_order_follows_the_crs(srs: str | None, lower: str, upper: str) -> None:
    attr = f' srsName="{srs}"' if srs else ""
    node = fes(
        "<ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName>"
        f"<gml:Envelope{attr}><gml:lowerCorner>{lower}</gml:lowerCorner>"
        f"<gml:upperCorner>{upper}</gml:upperCorner></gml:Envelope></ogc:BBOX>"
    )
    assert node == Spatial(bbox=BBox(west=-5, south=47, east=-1, north=49))


def test_boolean_nesting_is_kept() -> None:
    a = prop("PropertyIsLike", "csw:AnyText", "%eau%")
    b = prop("PropertyIsEqualTo", "dc:type", "service")
    node = fes(f"<ogc:And>{a}<ogc:Or>{b}<ogc:Not>{a}</ogc:Not></ogc:Or></ogc:And>")
    eau = Prefix(text="eau")
    service = FieldFilter(field="resource_type", values=("service",))
    assert node == And(children=(eau, Or(children=(service, Not(child=eau)))))


def test_cql_means_the_same_as_fes() -> None:
    assert cql_node("AnyText LIKE '%eau%'") == Prefix(text="eau")
    assert cql_node("dc:title = 'L''eau'") == Phrase(text="L'eau", fields=("title",))
    assert cql_node("BBOX(ows:BoundingBox, -5, 47, -1, 49)") == Spatial(
        bbox=BBox(west=-5, south=47, east=-1, north=49)
    )
    assert cql_node(
        "dc:type = 'service' AND NOT (AnyText LIKE 'eau%' OR dct:modified > '2020-01-01')"
    ) == And(
        children=(
            FieldFilter(field="resource_type", values=("service",)),
            Not(
                child=Or(
                    children=(Prefix(text="eau"), Range(field="modified", gte=date(2020, 1, 2)))
                )
            ),
        )
    )
    assert cql_node("apiso:Modified IS NULL") == Not(child=Exists(field="modified"))


@pytest.mark.parametrize(
    "text",
    [
        "dc:title LIKE",
        "dc:title ~ 'x'",
        "unknown:thing = 'x'",
        "dc:title = 'x' AND",
        "BBOX(dc:title, 1, 2, 3, 4)",
        "(dc:title = 'x'",
        "dc:title = 'x' extra",
        "dct:modified > 'yesterday'",
        "BBOX(ows:BoundingBox, 1, 2, 3)",
    ],
)
def test_bad_cql_is_refused_at_the_constraint(text: str) -> None:
    with pytest.raises(CswError) as refused:
        cql_node(text)
    assert (refused.value.code, refused.value.locator) == ("InvalidParameterValue", "constraint")
