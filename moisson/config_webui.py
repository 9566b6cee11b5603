"""The `[webui]` section: what the web interface (webui/) lets a deployment choose. Map tiles
are off by default because nothing outside the host may be reachable: the search map then
draws the bundled world outline only."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from moisson.config_sections import Section

__all__ = ["ThemeStyle", "WebUiSettings"]

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ICON = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class ThemeStyle(Section):
    colour: str | None = Field(
        None, description="Tile colour as `#rrggbb` (dark enough for white text)."
    )
    icon: str | None = Field(
        None,
        description="Icon name: `webui/static/icons/<icon>.svg` (bundled: one per bundled "
        "top-level theme).",
    )

    @field_validator("colour")
    @classmethod
    def _colour(cls, value: str | None) -> str | None:
        if value is not None and not _COLOUR.match(value):
            raise ValueError(f"colour must be #rrggbb, got {value!r}")
        return value

    @field_validator("icon")
    @classmethod
    def _icon(cls, value: str | None) -> str | None:
        if value is not None and not _ICON.match(value):
            raise ValueError(f"icon must be a file name without extension, got {value!r}")
        return value


class WebUiSettings(Section):
    """The web interface's map and theme tiles (docs/webui.md)."""

    tile_url: str | None = Field(
        None,
        description="XYZ tile URL template for the search map "
        "(`https://tiles.example.org/{z}/{x}/{y}.png`); its host is added to the pages' "
        "Content-Security-Policy. None: only the bundled world outline is drawn.",
    )
    tile_attribution: str = Field(
        "", description="Attribution text shown on the map with the tiles."
    )
    themes: dict[str, ThemeStyle] = Field(
        default_factory=dict,
        description="Colour and icon of the home page tile of a top-level theme, by concept "
        "id (`[webui.themes.water]`); unset ones use the bundled defaults.",
    )

    @field_validator("tile_url")
    @classmethod
    def _tile_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"tile_url must be an http(s) URL, got {value!r}")
        missing = [part for part in ("{z}", "{x}", "{y}") if part not in value]
        if missing:
            raise ValueError(f"tile_url must hold {', '.join(missing)} (an XYZ template)")
        return value
