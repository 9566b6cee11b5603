"""How often a resource is updated, as one vocabulary: ISO 19115 MD_MaintenanceFrequencyCode.

Catalogues say it in several ways: ISO codes (`annually`, `asNeeded`, ckanext-spatial's
`frequency-of-update`), the EU frequency authority table that DCAT-AP uses
(`.../authority/frequency/ANNUAL`), Dublin Core's collection frequencies
(`http://purl.org/cld/freq/annual`), ISO 8601 periods (`R/P1Y`, DCAT-US) and
`time:DurationDescription`s (`time:years 1`, datos.gob.es). Each is mapped to the ISO code
that says the same thing; anything else (`BIENNIAL`, free text) is kept as given rather than
lost. It is a maintenance frequency of the resource, never an access or use constraint.
"""

from __future__ import annotations

import re

__all__ = ["ISO_CODES", "maintenance_frequency", "period_frequency"]

ISO_CODES = (
    "continual",
    "daily",
    "weekly",
    "fortnightly",
    "monthly",
    "quarterly",
    "biannually",
    "annually",
    "asNeeded",
    "irregular",
    "notPlanned",
    "unknown",
)
_BY_LOWER = {code.lower(): code for code in ISO_CODES}
# EU authority table (publications.europa.eu/resource/authority/frequency) and Dublin Core
# collection frequencies (purl.org/cld/freq), by their last path segment, lower-cased.
_SYNONYMS = {
    "cont": "continual",
    "update_cont": "continual",
    "continuous": "continual",
    "daily_2": "daily",  # twice a day: updated at least daily
    "weekly_2": "weekly",
    "weekly_3": "weekly",
    "biweekly": "fortnightly",
    "semimonthly": "fortnightly",
    "monthly_2": "monthly",
    "monthly_3": "monthly",
    "bimonthly": "monthly",
    "annual": "annually",
    "annual_2": "biannually",
    "annual_3": "quarterly",
    "semiannual": "biannually",
    "as_needed": "asNeeded",
    "irreg": "irregular",
    "never": "notPlanned",
    "unknown": "unknown",
}


def maintenance_frequency(value: str | None) -> str | None:
    """The ISO code for a frequency code, IRI or label; other text as given; None if empty."""
    text = (value or "").strip()
    if not text:
        return None
    period = _iso_period(text)
    if period:
        return period
    key = text.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].strip().lower()
    key = key.replace(" ", "").replace("-", "")
    return _BY_LOWER.get(key) or _SYNONYMS.get(key) or _SYNONYMS.get(key.replace("_", "")) or text


# A period of one unit (or the listed multiples) -> the ISO code saying "every period".
_PERIODS = {
    ("Y", 1): "annually",
    ("M", 6): "biannually",
    ("M", 3): "quarterly",
    ("M", 1): "monthly",
    ("W", 2): "fortnightly",
    ("D", 14): "fortnightly",
    ("W", 1): "weekly",
    ("D", 7): "weekly",
    ("D", 1): "daily",
    ("H", 1): "continual",
    ("MIN", 1): "continual",
    ("S", 1): "continual",
}
_ISO_PERIOD = re.compile(
    r"^R\d*/P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$"
)


def period_frequency(unit: str, count: float) -> str | None:
    """The ISO code for "every `count` `unit`" (Y, M, W, D, H, MIN, S), when there is one."""
    if count <= 0 or count != int(count):
        return None
    return _PERIODS.get((unit, int(count)))


def _iso_period(text: str) -> str | None:
    match = _ISO_PERIOD.match(text.strip().upper())
    if not match:
        return None
    given = [
        (unit, int(value))
        for unit, value in zip(("Y", "M", "W", "D", "H", "MIN", "S"), match.groups(), strict=True)
        if value
    ]
    return period_frequency(*given[0]) if len(given) == 1 else None
