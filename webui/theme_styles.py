"""Colour and icon of each top-level theme's tile: `[webui.themes.<id>]` in the config, else
the bundled defaults for the bundled thesaurus, else a colour from a small palette (stable
per concept id). Every colour holds white text at WCAG AA contrast (>= 4.5:1).

The colours reach the page through a generated stylesheet (GET /themes.css), not inline
styles, so the pages keep a Content-Security-Policy without 'unsafe-inline'.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from moisson.config_webui import WebUiSettings

__all__ = ["DEFAULTS", "PALETTE", "TileStyle", "style_of", "stylesheet"]

ICONS = Path(__file__).resolve().parent / "static" / "icons"

# Bundled thesaurus (thesaurus/themes.ttl) top concepts.
DEFAULTS: dict[str, str] = {
    "biodiversity": "#2e6b30",
    "water": "#0b5cad",
    "land": "#7a4a1e",
    "agriculture-forestry": "#56641a",
    "climate-energy": "#a3420b",
    "risks": "#b3261e",
    "landscape-heritage": "#6a3d8f",
    "marine-coastal": "#00677a",
    "soil-geology": "#5d4037",
    "planning": "#3f5166",
    "reference": "#37474f",
}
PALETTE = ("#0b5cad", "#2e6b30", "#a3420b", "#6a3d8f", "#00677a", "#b3261e", "#3f5166")


@dataclass(frozen=True)
class TileStyle:
    colour: str
    icon: str  # file name under static/icons, without .svg


def style_of(concept_id: str, settings: WebUiSettings) -> TileStyle:
    configured = settings.themes.get(concept_id)
    colour = (configured.colour if configured else None) or DEFAULTS.get(concept_id)
    if colour is None:
        digest = hashlib.sha256(concept_id.encode()).digest()
        colour = PALETTE[digest[0] % len(PALETTE)]
    icon = (configured.icon if configured else None) or concept_id
    if not (ICONS / f"{icon}.svg").is_file():
        icon = "theme"
    return TileStyle(colour, icon)


def _css_ident(concept_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in concept_id)


def stylesheet(concept_ids: list[str], settings: WebUiSettings) -> str:
    """One rule per concept: `.theme-<id>` gets its tile colour."""
    rules = [
        f".theme-{_css_ident(cid)} {{ --theme-colour: {style_of(cid, settings).colour}; }}"
        for cid in concept_ids
    ]
    return "\n".join(rules) + "\n"
