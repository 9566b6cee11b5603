"""The config sections of the output protocols: `[csw]` (publish/csw/), `[[gn4]]` mounts
(publish/gn4/) and `[qgis]` (publish/qgis/). moisson/config.py composes them into
`Settings` with the other sections."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from moisson.config_sections import Section
from moisson.errors import ConfigError
from moisson.query import KEYWORD_FIELDS

__all__ = ["CswSettings", "Gn4Settings", "QgisSettings"]


class CswSettings(Section):
    """The OGC CSW 2.0.2 / ISO AP endpoint (publish/csw/, docs/csw.md)."""

    enabled: bool = Field(True, description="Serve the CSW endpoint.")
    paths: list[str] = Field(
        ["/csw"],
        min_length=1,
        description="Paths the endpoint answers on (GET and POST), e.g. `/csw` and the "
        "prefixed path a geOrchestra gateway forwards (`/moisson/csw`).",
    )
    url: str | None = Field(
        None,
        description="Public URL of the endpoint, written in the capabilities' operation "
        "links. None: the URL the request came in on.",
    )
    max_records: int = Field(
        100,
        ge=1,
        le=100,
        description="Largest maxRecords honoured: a GetRecords asking for more gets this "
        "many, with nextRecord pointing on (at most 100, the search page limit).",
    )
    collapse: bool = Field(
        True,
        description="One record per duplicate cluster (the canonical, listing the other "
        "copies' links); false: every copy is its own record.",
    )
    title: str = Field("Moisson", description="ows:ServiceIdentification title.")
    abstract: str = Field(
        "Harvested, themed and de-duplicated catalogue of spatial data.",
        description="ows:ServiceIdentification abstract.",
    )
    keywords: list[str] = Field(
        ["catalogue", "discovery"], description="ows:ServiceIdentification keywords."
    )
    fees: str = Field("none", description="ows:ServiceIdentification Fees.")
    access_constraints: str = Field(
        "none", description="ows:ServiceIdentification AccessConstraints."
    )
    provider_name: str = Field("Moisson", description="ows:ServiceProvider name.")
    provider_url: str | None = Field(None, description="ows:ServiceProvider site.")
    contact_name: str | None = Field(None, description="Service contact: individual name.")
    contact_position: str | None = Field(None, description="Service contact: position.")
    contact_email: str | None = Field(None, description="Service contact: e-mail address.")
    contact_phone: str | None = Field(None, description="Service contact: phone.")
    contact_city: str | None = Field(None, description="Service contact: city.")
    contact_country: str | None = Field(None, description="Service contact: country.")

    @field_validator("paths")
    @classmethod
    def _absolute_paths(cls, value: list[str]) -> list[str]:
        for path in value:
            if not path.startswith("/") or path.startswith("/api/") or "<" in path:
                raise ValueError(f"{path!r}: CSW paths start with / and stay out of /api/")
        if len(set(value)) != len(value):
            raise ValueError("CSW paths are listed twice")
        return value


class Gn4Settings(Section):
    """One GeoNetwork 4 API facade mount for a geonetwork-ui datahub (publish/gn4/,
    docs/datahub.md). Several mounts serve one datahub each, every one seeing only the
    records of its fixed filter."""

    prefix: str = Field(
        "/geonetwork/srv/api",
        pattern=r"^/[A-Za-z0-9._/-]*[A-Za-z0-9]$",
        description="URL path of the API (the datahub's `geonetwork4_api_url`).",
    )
    filters: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Fixed filter of this mount, invisible to users: keyword field -> "
        "values (values OR'ed, fields AND'ed), e.g. `{ theme = [\"water\"] }`, "
        '`{ source = ["agency-x"] }`, `{ organisation = [...] }`, `{ keyword = [...] }`.',
    )
    site_name: str = Field("Moisson", description="`system/site/name` of /site/settings.")
    organisation: str = Field(
        "Moisson", description="`system/site/organization` of /site/settings."
    )
    version: str = Field(
        "4.4.0",
        pattern=r"^4\.\d+\.\d+",
        description="`system/platform/version` (the datahub needs 4.2.3 or later).",
    )
    collapse: bool = Field(
        True, description="One record per duplicate cluster, other copies as `recordLink`."
    )

    @field_validator("filters")
    @classmethod
    def _known_fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(KEYWORD_FIELDS))
        if unknown:
            raise ConfigError(
                f"[[gn4]] filters: unknown field {unknown[0]!r}; known: {', '.join(KEYWORD_FIELDS)}"
            )
        return value


class QgisSettings(Section):
    """The generated QGIS projects for the IDG plugin and its forks (publish/qgis/,
    docs/qgis.md): `/qgis/platforms.json`, one project for the whole catalogue and one per
    top-level theme, and `moisson qgis export DIR`."""

    enabled: bool = Field(True, description="Serve /qgis/platforms.json and the projects.")
    prefix: str = Field(
        "/qgis",
        pattern=r"^/[A-Za-z0-9._/-]*[A-Za-z0-9]$",
        description="URL path of the platform list, the projects and the icon.",
    )
    site_url: str | None = Field(
        None,
        description="Public URL of Moisson (e.g. `https://gis.example.org/moisson`), written "
        "in platforms.json, the record links and the icon link. None: the URL the request "
        "came in on (`moisson qgis export` then needs `--site-url`).",
    )
    catalogue_name: str = Field(
        "moisson",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="File name (without .qgs/.qgz) of the whole-catalogue project.",
    )
    title: str = Field("Moisson", description="Platform name of the whole-catalogue project.")
    catalogue_project: bool = Field(
        True,
        description="Publish the whole-catalogue project; false for large catalogues (QGIS "
        "3.22 reads a 2,000-layer project in seconds, a 10,000-layer one in minutes: "
        "bench/README.md), leaving the per-theme projects.",
    )
    per_theme: bool = Field(
        True, description="Also one project (and platform) per top-level theme with layers."
    )
    project_format: Literal["qgs", "qgz"] = Field(
        "qgz", description="Which file platforms.json points at (both are served)."
    )
    language: str | None = Field(
        None,
        description="Language of group labels and platform names; None: the first of "
        "`[themes] languages`.",
    )
    unthemed_label: str | None = Field(
        "Autres données",
        description="Group of the whole-catalogue project for layers with no theme; empty: "
        "such layers are left out.",
    )
    record_url: str = Field(
        "{site}/ogcapi/collections/catalogue/items/{id}?f=html",
        description="Link back to the record in each layer's metadata, the page the IDG "
        "plugin opens for 'Voir les métadonnées' (`{site}`: the site URL, `{id}`: the record "
        "id); default: the record's HTML page of the OGC API Records endpoint.",
    )
    raster_crs: str = Field(
        "EPSG:3857", description="CRS asked of WMS/WMTS layers, and the projects' CRS."
    )
    vector_crs: str = Field("EPSG:4326", description="CRS asked of WFS layers.")
    image_format: str = Field("image/png", description="Image format asked of WMS/WMTS.")
    wmts_tile_matrix_sets: dict[str, str] = Field(
        {"data.geopf.fr": "PM"},
        description="WMTS tile matrix set per service host, when the link names none.",
    )
    wmts_default_tile_matrix_set: str = Field(
        "GoogleMapsCompatible", description="WMTS tile matrix set for other hosts."
    )
    wmts_styles: dict[str, str] = Field(
        {"data.geopf.fr": "normal"}, description="WMTS style per service host."
    )
    wmts_default_style: str = Field("default", description="WMTS style for other hosts.")
    icon: Path | None = Field(
        None,
        description="PNG served as the platforms' icon (`<prefix>/icon.png`); None: the "
        "bundled Moisson icon.",
    )
    check_seconds: float = Field(
        5.0,
        ge=0,
        description="How long a worker trusts its last look at the index before looking "
        "again for changes (0: at every request).",
    )
