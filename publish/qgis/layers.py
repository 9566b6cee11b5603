"""The layers of the generated projects: one per distinct service layer of the catalogue.

Pure over records: the caller (publish/qgis/catalogue.py) hands in each visible catalogue
entry (one per duplicate cluster: the canonical record, with the links of its other visible
copies) in a stable order. A service layer offered by several entries is one layer: it takes
its name, abstract and metadata from the first entry that offers it and the themes of all of
them. A refused link (publish/qgis/service_links.py) is logged with the record id and the
reason, never with its URL (which may hold the very secret it is refused for): a warning
when it is unsafe (credentials, malformed), INFO when it merely names no layer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from moisson.record import Link, Record
from publish.qgis.datasource import DataSource, SourceOptions, data_source, layer_id
from publish.qgis.service_links import LayerRefused, ServiceKind, ServiceLayer, service_layer

__all__ = ["Entry", "ProjectLayer", "catalogue_layers"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """One catalogue entry: a record and the links it offers (its cluster's, in a
    collapsed catalogue)."""

    record: Record
    links: Sequence[Link]


@dataclass
class ProjectLayer:
    """One map layer of a project, with the metadata QGIS shows for it."""

    id: str
    service: ServiceLayer
    source: DataSource
    title: str
    abstract: str
    record_id: str
    record_url: str
    language: str | None
    resource_type: str
    keywords: list[str]
    topic_categories: list[str]
    themes: list[str] = field(default_factory=list)  # concept ids, first entry's first
    bbox: tuple[float, float, float, float] | None = None
    name: str = ""  # the layer's name in QGIS: the title, with the service when ambiguous

    def __post_init__(self) -> None:
        self.name = self.name or self.title


def _bbox(record: Record) -> tuple[float, float, float, float] | None:
    if not record.bboxes:
        return None
    return (
        min(b.west for b in record.bboxes),
        min(b.south for b in record.bboxes),
        max(b.east for b in record.bboxes),
        max(b.north for b in record.bboxes),
    )


def _layers_of(entry: Entry) -> Iterable[ServiceLayer]:
    seen: set[tuple[str, str, str]] = set()
    for link in entry.links:
        try:
            layer = service_layer(link)
        except LayerRefused as exc:
            logger.log(
                logging.WARNING if exc.unsafe else logging.INFO,
                "record %s: a %s link is left out of the QGIS projects: %s",
                entry.record.id,
                link.protocol,
                exc.reason,
            )
            continue
        if layer is not None and layer.key not in seen:
            seen.add(layer.key)
            yield layer


_SHORT = {
    ServiceKind.WMS: "WMS",
    ServiceKind.WMTS: "WMTS",
    ServiceKind.WFS: "WFS",
    ServiceKind.OAPIF: "OGC API Features",
}


def _name(title: str, service: ServiceLayer, kinds: Sequence[ServiceKind]) -> str:
    """The title, followed by the service when the record gives several layers (so a WMS
    and a WFS of one dataset can be told apart in the tree)."""
    if len(kinds) < 2:
        return title
    if kinds.count(service.kind) > 1:
        return f"{title} ({_SHORT[service.kind]} {service.layer_name})"
    return f"{title} ({_SHORT[service.kind]})"


def catalogue_layers(
    entries: Iterable[Entry], record_url: Callable[[str], str], options: SourceOptions
) -> list[ProjectLayer]:
    """Every distinct service layer of `entries`, in first-offered order."""
    found: dict[tuple[str, str, str], ProjectLayer] = {}
    for entry in entries:
        record = entry.record
        themes = [theme.id for theme in record.themes]
        services = list(_layers_of(entry))
        kinds = [service.kind for service in services]
        for service in services:
            known = found.get(service.key)
            if known is not None:
                known.themes.extend(t for t in themes if t not in known.themes)
                continue
            found[service.key] = ProjectLayer(
                id=layer_id(service),
                service=service,
                source=data_source(service, options),
                title=record.title,
                abstract=record.abstract or "",
                record_id=record.id,
                record_url=record_url(record.id),
                language=record.language,
                resource_type=record.resource_type,
                keywords=list(dict.fromkeys(k.label for k in record.keywords)),
                topic_categories=list(record.topic_categories),
                themes=list(themes),
                bbox=_bbox(record),
                name=_name(record.title, service, kinds),
            )
    return list(found.values())
