"""Licence classes of a record: the short keys open-data portals filter on (the
geonetwork-ui datahub's `license` facet: pddl, odbl, odc-by, cc-by-sa, cc-by, cc0,
etalab-v2, etalab, unknown), read from the licence statement and use limitations.

The rules are the datahub's own (its `runtime_mappings.license` Painless script), computed
once at index time so the `licence` keyword field (moisson/query.py) filters and counts the
same way on both backends.
"""

from __future__ import annotations

from moisson.record import Record

__all__ = ["licence_classes"]

# (class, phrases that name it), in the datahub script's order.
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pddl", ("pddl", "public domain dedication and licence")),
    ("odbl", ("odbl", "open database license")),
    ("odc-by", ("odc-by", "opendatacommons.org/licenses/by/summary/")),
)
_ETALAB = ("etalab", "licence ouverte", "open licence", "open license")
_ETALAB_2 = (
    "etalab-2.0",
    "etalab-v2",
    "etalab 2",
    "licence ouverte v2",
    "licence ouverte 2",
    "open licence 2",
    "open license 2",
    "open licence version 2",
    "licence-ouverte-v2",
)


def licence_classes(record: Record) -> list[str]:
    """The record's licence classes, each once; ['unknown'] when none is recognised."""
    raw = " | ".join([record.licence or "", *record.constraints]).lower()
    found: list[str] = [name for name, phrases in _RULES if any(p in raw for p in phrases)]
    if "cc-by-sa" in raw or "creative commons attribution share-alike" in raw:
        found.append("cc-by-sa")
    elif any(p in raw for p in ("cc-by", "cc by", "creative commons attribution")):
        found.append("cc-by")
    if "cc0" in raw or "cc-0" in raw or "creative commons zero" in raw:
        found.append("cc0")
    if any(p in raw for p in _ETALAB_2):
        found.append("etalab-v2")
    elif any(p in raw for p in _ETALAB):
        found.append("etalab")
    return found or ["unknown"]
