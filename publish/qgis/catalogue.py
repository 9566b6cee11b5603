"""What the projects are made of, read through the runtime, and the projects themselves.

- `scan(service)`: the catalogue entries a QGIS user may add: records with a WMS, WMTS, WFS
  or OGC API Features link (the `protocol` facet), as an anonymous caller sees them (public
  records only: the IDG plugin sends no credentials), one per duplicate cluster (the same
  search as /api/search, so access and collapse are the same), in title order.
- `generation(hits)`: a digest of what the scan found. It is the cache key of the projects:
  any index change that can change a project (a record added, edited, retired, re-themed,
  re-clustered, hidden) changes it; changes to records without service links do not. The
  backends keep no generation counter the protocols can read, so the scan is the check; the
  endpoint repeats it at most every `[qgis] check_seconds`.
- `entries(store, hits)`: each hit's stored record, with the links of its cluster's other
  visible copies appended (as CSW does), so a service layer only a copy offers is kept.
- `ProjectSet`: the layers, and each project built on first request and kept.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from indexer.search_service import SearchService
from indexer.store import Store
from indexer.thesaurus import Thesaurus
from moisson.config_outputs import QgisSettings
from moisson.errors import NotFound
from moisson.query import Query
from moisson.record import Hit, Link, record_id
from publish.qgis.datasource import SourceOptions
from publish.qgis.layers import Entry, ProjectLayer, catalogue_layers
from publish.qgis.project_builder import ProjectInfo, project_document, qgs_bytes, qgz_bytes
from publish.qgis.service_links import ServiceKind
from publish.qgis.tree import Group, theme_tree
from publish.scheme import ThemeScheme

__all__ = ["Platform", "ProjectSet", "entries", "generation", "scan", "source_options"]

_PAGE = 100
_BATCH = 500


def scan(service: SearchService) -> list[Hit]:
    """Every public catalogue entry with a service link (see the module docstring)."""
    hits: list[Hit] = []
    start = 0
    protocols = [kind.value for kind in ServiceKind]
    while True:
        query = Query(
            filters={"protocol": protocols},
            sort="title",
            start=start,
            size=_PAGE,
            roles=[],
            facets=[],
            collapse=True,
        )
        page = service.search(query)
        hits.extend(page.hits)
        start += len(page.hits)
        if not page.hits or start >= page.total:
            return hits


def generation(hits: Sequence[Hit]) -> str:
    """A digest of the scanned entries: equal when the projects would be equal."""
    digest = hashlib.sha256()
    for hit in hits:
        digest.update(hit.model_dump_json(exclude={"score", "snippet"}).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:32]


def entries(store: Store, hits: Sequence[Hit]) -> Iterator[Entry]:
    """The hits' stored records (retired ones skipped), each with its copies' links."""
    for at in range(0, len(hits), _BATCH):
        batch = hits[at : at + _BATCH]
        copies = {
            hit.id: [i for s in hit.sources if (i := record_id(s.id, s.original_id)) != hit.id]
            for hit in batch
        }
        wanted = [hit.id for hit in batch] + [i for ids in copies.values() for i in ids]
        records = {r.id: r for r in store.active(wanted)}
        for hit in batch:
            record = records.get(hit.id)
            if record is None:
                continue
            links: list[Link] = list(record.links)
            for other in copies[hit.id]:
                if other in records:
                    links.extend(records[other].links)
            yield Entry(record, links)


def source_options(config: QgisSettings) -> SourceOptions:
    return SourceOptions(
        raster_crs=config.raster_crs,
        vector_crs=config.vector_crs,
        image_format=config.image_format,
        tile_matrix_sets=tuple(sorted(config.wmts_tile_matrix_sets.items())),
        default_tile_matrix_set=config.wmts_default_tile_matrix_set,
        wmts_styles=tuple(sorted(config.wmts_styles.items())),
        default_wmts_style=config.wmts_default_style,
    )


@dataclass(frozen=True)
class Platform:
    """One entry of platforms.json: a project's name (file stem) and displayed title."""

    name: str
    title: str
    concept: str | None  # the top-level theme; None: the whole catalogue


@dataclass
class ProjectSet:
    """The projects of one index generation for one site URL. Projects are built on first
    request and kept; safe to share between threads."""

    config: QgisSettings
    thesaurus: Thesaurus
    languages: tuple[str, ...]
    site: str  # public URL of Moisson, no trailing slash
    base: str  # URL the platform list, projects and icon are served under
    generation: str
    modified: datetime
    layers: list[ProjectLayer]
    _built: dict[tuple[str, str], bytes] = field(default_factory=dict, repr=False)
    _trees: dict[str | None, Group] = field(default_factory=dict, repr=False)
    _elements: dict[str, etree._Element] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @classmethod
    def build(
        cls,
        config: QgisSettings,
        thesaurus: Thesaurus,
        languages: Sequence[str],
        site: str,
        generation: str,
        modified: datetime,
        catalogue: Iterator[Entry],
        base: str | None = None,
    ) -> ProjectSet:
        """The set for `site` (Moisson's public URL); files served under `base` (default:
        the site's `[qgis] prefix`)."""
        language = config.language or languages[0]
        ordered = (language, *[x for x in languages if x != language])
        site = site.rstrip("/")

        def record_url(rid: str) -> str:
            return config.record_url.format(site=site, id=rid)

        layers = catalogue_layers(catalogue, record_url, source_options(config))
        base = (base or site + config.prefix).rstrip("/")
        return cls(config, thesaurus, ordered, site, base, generation, modified, layers)

    # -- what there is ----------------------------------------------------------------------

    def tree(self, concept: str | None) -> Group:
        """The layer tree of the project of `concept` (None: the whole catalogue)."""
        with self._lock:
            found = self._trees.get(concept)
            if found is None:
                unthemed = self.config.unthemed_label or None
                found = theme_tree(self.layers, self.thesaurus, self.languages, concept, unthemed)
                self._trees[concept] = found
            return found

    def platforms(self) -> list[Platform]:
        """The whole catalogue first (unless `catalogue_project` is off and there are
        per-theme projects), then each top-level theme with layers, by title."""
        found = []
        if self.config.catalogue_project or not self.config.per_theme:
            found.append(Platform(self.config.catalogue_name, self.config.title, None))
        if self.config.per_theme:
            tops = self.tree(None).groups
            found += [
                Platform(group.concept, group.label, group.concept)
                for group in tops
                if group.concept is not None and group.concept != self.config.catalogue_name
            ]
        return found

    def platform(self, name: str) -> Platform:
        for platform in self.platforms():
            if platform.name == name:
                return platform
        raise NotFound(f"no QGIS project named {name!r}")

    # -- files ------------------------------------------------------------------------------

    def project_url(self, name: str) -> str:
        return f"{self.base}/projects/{name}.{self.config.project_format}"

    def platform_list(self, legacy: bool = False) -> list[dict[str, str]] | dict[str, str]:
        """platforms.json: `[{name, url}]` as the IDG plugin's current releases read it
        (name: the displayed title); `legacy`: `{name: url}` as older forks read it (name:
        the file stem, which they name their local copy after)."""
        if legacy:
            return {p.name: self.project_url(p.name) for p in self.platforms()}
        return [{"name": p.title, "url": self.project_url(p.name)} for p in self.platforms()]

    def project(self, name: str, suffix: str) -> bytes:
        """The bytes of `<name>.<suffix>` (suffix qgs or qgz); NotFound for another name."""
        if suffix not in ("qgs", "qgz"):
            raise NotFound(f"no QGIS project file {name}.{suffix} (.qgs or .qgz)")
        with self._lock:
            found = self._built.get((name, suffix))
        if found is not None:
            return found
        platform = self.platform(name)
        with self._lock:  # one build at a time: they share the layer elements
            qgs = self._built.get((name, "qgs")) or self._qgs(platform)
            self._built[(name, "qgs")] = qgs
            self._built[(name, "qgz")] = qgz_bytes(name, qgs, self.modified)
            return self._built[(name, suffix)]

    def _qgs(self, platform: Platform) -> bytes:
        tree = self.tree(platform.concept)
        language = self.languages[0]
        abstract = (
            self.thesaurus.concepts[platform.concept].definitions.get(language, "")
            if platform.concept
            else ""
        )
        info = ProjectInfo(
            name=platform.name,
            title=platform.title,
            abstract=abstract,
            crs=self.config.raster_crs,
            icon_url=f"{self.base}/icon.png",
            home_url=self.site + "/",
            themes_vocabulary=_scheme_title(self.thesaurus, self.languages),
            language=language,
            saved=self.modified,
        )
        labels = {
            cid: concept.pref(language, self.languages[1:])
            for cid, concept in self.thesaurus.concepts.items()
        }
        by_id = {layer.id: layer for layer in self.layers}
        return qgs_bytes(project_document(info, tree, by_id, labels, self._elements))


def _scheme_title(thesaurus: Thesaurus, languages: Sequence[str]) -> str:
    titles = ThemeScheme.from_thesaurus(thesaurus).titles
    return next((titles[x] for x in (*languages, "") if titles.get(x)), "Moisson themes")
