"""Value normalisers shared by every format mapper: dates, languages, protocols, licences.

Facets and filters only work when the same thing is spelt the same way whatever the source:
'fra', 'fr' and 'fre' are one language, 'OGC:WMS-1.1.1-http-get-map' and 'OGC Web Map
Service' one protocol. Each function is pure and tolerant: a value it cannot read gives None
(or is kept as given), never an exception, because one odd value must not cost a record.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "is_doi",
    "looks_like_licence",
    "normalise_language",
    "normalise_protocol",
    "one_line",
    "parse_date",
    "tidy_text",
]


def one_line(text: str | None) -> str | None:
    """Collapse runs of whitespace: titles and names wrapped by XML pretty-printers
    ('Physiographic Map ... (Sample record,\\n      please remove!)') are single-line values."""
    if not text:
        return None
    collapsed = " ".join(text.split())
    return collapsed or None


_BLANK_LINES = re.compile(r"\n{3,}")


def tidy_text(text: str | None) -> str | None:
    """Multi-line text (abstracts, lineage) without the indentation XML pretty-printers add
    to every wrapped line; line breaks and paragraphs are kept, they carry meaning."""
    if not text:
        return None
    text = text.strip()
    if "\n" not in text:
        return text or None
    lines = "\n".join(line.strip() for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", lines) or None


# -- dates ---------------------------------------------------------------------------------

_DATE = re.compile(r"\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T\s].*)?\s*$")
_COMPACT_DATE = re.compile(r"\s*(\d{4})(\d{2})(\d{2})\s*$")


def parse_date(text: str | None) -> date | None:
    """The calendar date of an ISO 8601 date or date-time, reduced precision allowed.

    '2018' and '2018-05' mean the first day of the period: catalogues publish partial dates
    and sorting by date still needs a value. Times and zones are dropped (records are dated
    to the day). Anything unreadable (negative years, '2018-13-40', 'unknown') gives None.
    """
    if not text:
        return None
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":  # the common full date: C speed
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            pass
    found = _DATE.match(text) or _COMPACT_DATE.match(text)
    if found is None:
        return None
    year, month, day = (int(part) if part else 1 for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


# -- languages -----------------------------------------------------------------------------

# ISO 639-1 (two letters) to ISO 639-2/B, for the languages catalogues in and around Europe
# use; the 639-2/T spellings that differ from /B; and names some editors type instead.
# fmt: off
_LANGUAGES: dict[str, str] = {
    "ar": "ara", "bg": "bul", "bs": "bos", "ca": "cat", "cs": "cze", "cy": "wel", "da": "dan",
    "de": "ger", "el": "gre", "en": "eng", "es": "spa", "et": "est", "eu": "baq", "fa": "per",
    "fi": "fin", "fr": "fre", "ga": "gle", "gl": "glg", "he": "heb", "hr": "hrv", "hu": "hun",
    "hy": "arm", "is": "ice", "it": "ita", "ja": "jpn", "ka": "geo", "ko": "kor", "lb": "ltz",
    "lt": "lit", "lv": "lav", "mk": "mac", "ms": "may", "mt": "mlt", "nb": "nob", "nl": "dut",
    "nn": "nno", "no": "nor", "pl": "pol", "pt": "por", "rm": "roh", "ro": "rum", "ru": "rus",
    "sk": "slo", "sl": "slv", "sq": "alb", "sr": "srp", "sv": "swe", "tr": "tur", "uk": "ukr",
    "zh": "chi",
    "bod": "tib", "ces": "cze", "cym": "wel", "deu": "ger", "ell": "gre", "eus": "baq",
    "fas": "per", "fra": "fre", "hye": "arm", "isl": "ice", "kat": "geo", "mkd": "mac",
    "mri": "mao", "msa": "may", "mya": "bur", "nld": "dut", "ron": "rum", "slk": "slo",
    "sqi": "alb", "zho": "chi",
    "english": "eng", "french": "fre", "francais": "fre", "français": "fre", "german": "ger",
    "deutsch": "ger", "italian": "ita", "italiano": "ita", "spanish": "spa", "dutch": "dut",
    "nederlands": "dut", "portuguese": "por",
}
# fmt: on
_LANGUAGE_TOKEN = re.compile(r"[^\s;,_/-]+")


def normalise_language(value: str | None) -> str | None:
    """ISO 639-2/B three-letter lower-case code ('fre', 'eng', 'ger'), or None if unknown.

    Accepts 639-1 ('en'), 639-2/T ('fra', 'deu'), locales ('fr-FR', 'en_GB'), GeoNetwork's
    'eng; CAN' and a few language names: the first token decides.
    """
    if not value:
        return None
    token = _LANGUAGE_TOKEN.search(value.strip().lower())
    if token is None:
        return None
    code = token.group(0)
    if code in _LANGUAGES:
        return _LANGUAGES[code]
    return code if len(code) == 3 and code.isalpha() else None


# -- protocols -----------------------------------------------------------------------------

_SERVICES = ("WMTS", "WMS", "WFS", "WCS")
# One pass over the upper-cased protocol: a bare service acronym (not inside a longer word),
# or the service's long name. WMTS is tried first as 'web map tile' also says 'web map'.
_SERVICE = re.compile(
    r"(?<![A-Z])(WMTS|WMS|WFS|WCS)(?![A-Z])"
    r"|WEB MAP TILE SERVICE|WEB MAP SERVICE|WEB FEATURE SERVICE|WEB COVERAGE SERVICE"
)
_SERVICE_NAMES = {
    "WEB MAP TILE SERVICE": "WMTS",
    "WEB MAP SERVICE": "WMS",
    "WEB FEATURE SERVICE": "WFS",
    "WEB COVERAGE SERVICE": "WCS",
}


def normalise_protocol(
    protocol: str | None, url: str | None = None, function: str | None = None
) -> str | None:
    """One spelling per kind of link, so the UI and facets can rely on it.

    Precedence: a recognisable OGC service in the protocol ('OGC:WMS-1.1.1-http-get-map',
    'OGC Web Map Service', '.../serviceType/ogc/wms' -> 'OGC:WMS'; same for WMTS, WFS, WCS;
    OGC API Features) > 'WWW:DOWNLOAD*' -> 'download' > a service=WMS|WFS|... query parameter
    in the URL (GetCapabilities links labelled WWW:LINK or left blank) > 'WWW:LINK*' ->
    'WWW:LINK' > an ISO function 'download' -> 'download' > the protocol as given.
    """
    given = (protocol or "").strip()
    key = given.upper().replace("_", " ")
    found = _SERVICE.search(key) if key else None
    if found is not None:
        return f"OGC:{found.group(1) or _SERVICE_NAMES[found.group(0)]}"
    if "OGC API" in key.replace("-", " ") and "FEATURE" in key:
        return "OGC API - Features"
    if key.startswith("WWW:DOWNLOAD"):
        return "download"
    service = _service_in_url(url)
    if service is not None:
        return service
    if key.startswith("WWW:LINK"):
        return "WWW:LINK"
    if function and function.strip().lower() == "download":
        return "download"
    return given or None


def _service_in_url(url: str | None) -> str | None:
    if not url or "service=" not in url.lower():
        return None
    try:
        query = parse_qsl(urlsplit(url.strip()).query)
    except ValueError:
        return None
    for name, value in query:
        if name.lower() == "service" and value.upper() in _SERVICES:
            return f"OGC:{value.upper()}"
    return None


# -- licences and identifiers -------------------------------------------------------------

# Plain substrings of the lower-cased text (fast on long useLimitation texts), then the
# short abbreviations that need word boundaries.
_LICENCE_MARKERS = (
    "licen",
    "creativecommons.org",
    "etalab",
    "opendatacommons",
    "public domain",
)
_ABBREVIATION_HINTS = ("cc-by", "cc by", "ccby", "cc0", "odbl")
_LICENCE_ABBREVIATIONS = re.compile(r"\bcc[- ]?by\b|\bcc0\b|\bodbl\b")
_DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?10\.\d{4,9}/\S+$", re.IGNORECASE)


def looks_like_licence(text: str | None) -> bool:
    """True for constraint texts that name a licence ('Licence Ouverte / Etalab 2.0',
    'CC-BY 4.0', a creativecommons.org URL), as opposed to warnings or access rules."""
    if not text:
        return False
    lowered = text.lower()
    if any(marker in lowered for marker in _LICENCE_MARKERS):
        return True
    # The regex only confirms word boundaries once a cheap substring test found a candidate.
    return any(abbreviation in lowered for abbreviation in _ABBREVIATION_HINTS) and (
        _LICENCE_ABBREVIATIONS.search(lowered) is not None
    )


def is_doi(code: str | None) -> bool:
    """True for a DOI, bare ('10.3390/rs12142299'), prefixed or as a doi.org URL."""
    return bool(code) and _DOI.match((code or "").strip()) is not None
