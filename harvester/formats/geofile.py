"""A geodata file (or one layer of it) as a Record, merged with the metadata beside it (pure).

harvester/file_readers.py reads a file's headers with GDAL into `LayerFacts`; this module
turns them into a Record, and merges an ISO sidecar's Record (parsed by
harvester/formats/iso19139.py) over it: what a person wrote (title, abstract, keywords,
contacts, dates, licence, lineage) wins over what the file says; what the file says fills the
rest (extent when the sidecar has none, format, size) and the link to open the file is always
added. No file system, no GDAL, no clock here.

What each fact becomes (docs/sources-files.md has the table):

- title: the sidecar's, else a readable name from the file name (and the layer name for a
  file with several layers)
- abstract: the sidecar's, then a summary: driver, geometry and feature count, or raster
  size, bands and resolution; the CRS; the fields; the path, size and modified date
- bboxes: the extent transformed to WGS84 by the reader; revised: the modified date
- keywords: the folder names on the path (option), then the sidecar's
- formats: the GDAL driver's long name; links: the file's store URL (no credentials)
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime

from moisson.geometry import BBox
from moisson.record import Harvested, Keyword, Link, Record

__all__ = [
    "FileFacts",
    "LayerFacts",
    "file_record",
    "harvested",
    "merge_sidecar",
    "original_id",
    "readable_name",
]


@dataclass(frozen=True)
class LayerFacts:
    """What GDAL says of one vector layer or one raster."""

    layer: str | None  # None for a raster or a single-layer file
    driver: str
    crs: str | None
    bbox: tuple[float, float, float, float] | None  # WGS84
    geometry_type: str | None = None
    features: int | None = None
    fields: list[str] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
    bands: int | None = None
    resolution: tuple[float, float] | None = None
    data_type: str | None = None
    layer_count: int = 1  # layers of the file this one belongs to


@dataclass(frozen=True)
class FileFacts:
    """Where a file is, as the store tells it."""

    url: str  # the store URL shown to users (never with credentials)
    path: str  # relative to the source's root
    size: int
    modified: datetime | None
    owner: str | None = None


def readable_name(name: str) -> str:
    """`cours_eau-2024.gpkg` -> `Cours eau 2024`."""
    stem = name.rsplit("/", 1)[-1]
    stem = stem.split(".", 1)[0] if "." in stem else stem
    words = re.sub(r"[_\-.]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


def payload(file: FileFacts, layer: LayerFacts) -> bytes:
    facts = {"file": asdict(file), "layer": asdict(layer)}
    facts["file"]["modified"] = file.modified.isoformat() if file.modified else None
    return json.dumps(facts, sort_keys=True, ensure_ascii=False).encode("utf-8")


def original_id(file: FileFacts, layer: LayerFacts) -> str:
    return f"{file.url}#{layer.layer}" if layer.layer and layer.layer_count > 1 else file.url


def file_record(
    source_id: str, file: FileFacts, layer: LayerFacts, *, folder_keywords: bool = True
) -> Record:
    """The Record of one file or layer from its facts alone. Raises ValueError when the
    facts cannot make a valid record (an extent outside WGS84 bounds)."""
    title = readable_name(file.path)
    if layer.layer and layer.layer_count > 1:
        title = f"{title} — {layer.layer}"
    keywords: list[Keyword] = []
    if folder_keywords:
        folders = [p for p in file.path.split("/")[:-1] if p]
        keywords = [Keyword(label=re.sub(r"[_]+", " ", f)) for f in folders]
    bboxes = [BBox(west=b[0], south=b[1], east=b[2], north=b[3]) for b in [layer.bbox] if b]
    name = file.path.rsplit("/", 1)[-1]
    return Record.new(
        source_id,
        original_id(file, layer),
        title=title,
        abstract=summary(file, layer),
        keywords=keywords,
        bboxes=bboxes,
        revised=file.modified.date() if file.modified else None,
        formats=[layer.driver],
        links=[Link(url=file.url, protocol="download", name=name, function="download")],
    )


def summary(file: FileFacts, layer: LayerFacts) -> str:
    lines = []
    if layer.width is not None:
        lines.append(
            f"{layer.driver} raster, {layer.width} x {layer.height} pixels, "
            f"{layer.bands} band(s) of {layer.data_type}"
            + (
                f", resolution {layer.resolution[0]:g} x {layer.resolution[1]:g}"
                if layer.resolution
                else ""
            )
            + "."
        )
    else:
        what = f"layer {layer.layer} of " if layer.layer and layer.layer_count > 1 else ""
        count = f"{layer.features} " if layer.features is not None else ""
        lines.append(
            f"{what}{layer.driver}: {count}{layer.geometry_type or 'no geometry'} features."
        )
    if layer.crs:
        lines.append(f"CRS: {layer.crs}.")
    if layer.fields:
        lines.append("Fields: " + ", ".join(layer.fields) + ".")
    modified = f", modified {file.modified:%Y-%m-%d}" if file.modified else ""
    owner = f", owner {file.owner}" if file.owner else ""
    lines.append(f"File {file.path} ({file.size} bytes{modified}{owner}).")
    return "\n".join(line[:1].upper() + line[1:] for line in lines)


def merge_sidecar(found: Record, sidecar: Record) -> Record:
    """`found` (from the file) with what the sidecar's author wrote laid over it. The id and
    provenance stay the file's: the sidecar describes this file, it does not replace it."""
    update: dict[str, object] = {}
    for name in (
        "title",
        "language",
        "identifiers",
        "topic_categories",
        "contacts",
        "temporal",
        "created",
        "published",
        "revised",
        "metadata_date",
        "licence",
        "constraints",
        "maintenance_frequency",
        "lineage",
        "thumbnails",
    ):
        value = getattr(sidecar, name)
        if value:
            update[name] = value
    abstract = "\n\n".join(a for a in (sidecar.abstract, found.abstract) if a)
    update["abstract"] = abstract or None
    update["keywords"] = found.keywords + [k for k in sidecar.keywords if k not in found.keywords]
    update["bboxes"] = sidecar.bboxes or found.bboxes
    update["formats"] = found.formats + [f for f in sidecar.formats if f not in found.formats]
    update["links"] = found.links + [link for link in sidecar.links if link not in found.links]
    return found.model_copy(update=update)


def harvested(file: FileFacts, layer: LayerFacts, record: Record) -> Harvested:
    return Harvested(
        original_id=original_id(file, layer),
        raw=payload(file, layer),
        content_type="application/json",
        record=record,
    )
