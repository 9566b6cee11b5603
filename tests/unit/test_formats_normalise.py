"""Value normalisers: one spelling per protocol, language and date."""

from __future__ import annotations

from datetime import date

import pytest

from harvester.formats.normalise import (
    is_doi,
    looks_like_licence,
    normalise_language,
    normalise_protocol,
    parse_date,
    tidy_text,
)


@pytest.mark.parametrize(
    ("protocol", "url", "function", "expected"),
    [
        ("OGC:WMS", None, None, "OGC:WMS"),
        ("OGC:WMS-1.1.1-http-get-map", None, None, "OGC:WMS"),
        ("OGC:WMS-1.3.0-http-get-capabilities", None, None, "OGC:WMS"),
        ("OGC Web Map Service", None, None, "OGC:WMS"),
        ("OGC:WFS-1.1.0-http-get-feature", None, None, "OGC:WFS"),
        ("OGC Web Feature Service", None, None, "OGC:WFS"),
        ("OGC:WMTS-1.0.0-http-get-tile", None, None, "OGC:WMTS"),
        ("OGC Web Map Tile Service", None, None, "OGC:WMTS"),
        ("OGC:WCS", None, None, "OGC:WCS"),
        ("OGC API - Features", None, None, "OGC API - Features"),
        ("WWW:DOWNLOAD-1.0-http--download", None, None, "download"),
        ("WWW:LINK-1.0-http--link", None, None, "WWW:LINK"),
        ("WWW:LINK", "https://x.org/ows?SERVICE=WMS&request=GetCapabilities", None, "OGC:WMS"),
        (None, "https://x.org/wfs?service=wfs&version=2.0.0", None, "OGC:WFS"),
        (None, "https://x.org/data.zip", "download", "download"),
        ("ESRI:REST", None, None, "ESRI:REST"),
        ("", None, None, None),
    ],
)
def test_protocols_are_normalised(
    protocol: str | None, url: str | None, function: str | None, expected: str | None
) -> None:
    assert normalise_protocol(protocol, url, function) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("fre", "fre"),
        ("fra", "fre"),
        ("fr", "fre"),
        ("fr-FR", "fre"),
        ("FR", "fre"),
        ("en", "eng"),
        ("eng; CAN", "eng"),
        ("deu", "ger"),
        ("de_CH", "ger"),
        ("nld", "dut"),
        ("cze", "cze"),
        ("French", "fre"),
        ("YPAAT", None),
        ("", None),
        (None, None),
    ],
)
def test_languages_become_iso_639_2b(value: str | None, expected: str | None) -> None:
    assert normalise_language(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018", date(2018, 1, 1)),
        ("2018-05", date(2018, 5, 1)),
        ("2018-05-12", date(2018, 5, 12)),
        ("2020-09-02T09:05:59.024Z", date(2020, 9, 2)),
        ("2007-11-06T12:10:47", date(2007, 11, 6)),
        ("20180512", date(2018, 5, 12)),
        ("2018-13-40", None),
        ("-10000-01-01T00:00:00", None),
        ("unknown", None),
        ("", None),
    ],
)
def test_dates_tolerate_reduced_precision(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Licence Ouverte / Open Licence Version 2.0", True),
        ("https://creativecommons.org/licenses/by/4.0/", True),
        ("CC-BY 4.0", True),
        ("ODbL", True),
        ("Aucune restriction d'accès", False),
        ("De verstrekte gegevens mogen niet gebruikt worden", False),
    ],
)
def test_licence_detection(text: str, expected: bool) -> None:
    assert looks_like_licence(text) is expected


def test_doi_detection() -> None:
    assert [is_doi(c) for c in ("10.3390/rs12142299", "https://doi.org/10.1000/x", "123")] == [
        True,
        True,
        False,
    ]


def test_tidy_text_drops_pretty_print_indentation_but_keeps_paragraphs() -> None:
    assert tidy_text("  First line,\n      wrapped.\n\n\n\n   Second.  ") == (
        "First line,\nwrapped.\n\nSecond."
    )
