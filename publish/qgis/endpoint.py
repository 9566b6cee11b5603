"""The `/qgis` routes (see publish/qgis/__init__.py) and the per-worker project cache."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask import Blueprint, Response, json, request

from moisson.config import Settings
from moisson.config_outputs import QgisSettings
from moisson.errors import BadQuery, NotFound
from moisson.record import Hit
from publish.base import StateGetter
from publish.problems import problem
from publish.qgis.catalogue import ProjectSet, entries, generation, scan
from publish.qgis.icon import icon_png

if TYPE_CHECKING:
    from pipeline.runtime import Runtime

__all__ = ["MEDIA_TYPES", "ProjectCache", "QgisProjects"]

MEDIA_TYPES = {
    "qgs": "application/x-qgis-project",
    "qgz": "application/x-qgis-project-container",
}
_SITES_KEPT = 4  # project sets kept per generation (one per public URL the API is reached by)


@dataclass
class ProjectCache:
    """The current generation's project sets, one per site URL. The index is scanned again
    (publish/qgis/catalogue.py `scan`) when the last look is older than `check_seconds`;
    a new generation drops the built projects."""

    config: QgisSettings
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _checked: float = float("-inf")
    _generation: str | None = None
    _modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    _hits: list[Hit] = field(default_factory=list)
    _sets: dict[str, ProjectSet] = field(default_factory=dict)

    def current(self, runtime: Runtime, site: str) -> ProjectSet:
        with self._lock:
            now = time.monotonic()
            if self._generation is None or now - self._checked >= self.config.check_seconds:
                hits = scan(runtime.search)
                found = generation(hits)
                if found != self._generation:
                    self._generation, self._hits, self._sets = found, hits, {}
                    self._modified = datetime.now(UTC).replace(microsecond=0)
                self._checked = now
            built = self._sets.get(site)
            if built is None:
                if len(self._sets) >= _SITES_KEPT:
                    self._sets.pop(next(iter(self._sets)))
                built = ProjectSet.build(
                    self.config,
                    runtime.themer.thesaurus,
                    runtime.settings.themes.languages,
                    site,
                    self._generation,
                    self._modified,
                    entries(runtime.store, self._hits),
                )
                self._sets[site] = built
            return built


@dataclass
class QgisProjects:
    """The protocol (publish.base.OutputProtocol)."""

    config: QgisSettings
    name: str = "qgis"

    @classmethod
    def from_settings(cls, settings: Settings) -> QgisProjects:
        """The protocol as the app mounts it (the outputs plug point)."""
        return cls(settings.qgis)

    def blueprint(self, state: StateGetter) -> Blueprint:
        return _Routes(self, state).blueprint

    def render_error(self, exc: Exception) -> Response:
        status, title, detail = problem(exc, "the QGIS projects")
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
        return Response(json.dumps(body), status=status, content_type="application/problem+json")


def _etag(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


class _Routes:
    def __init__(self, protocol: QgisProjects, state: StateGetter) -> None:
        self.protocol = protocol
        self.state = state
        self.cache = ProjectCache(protocol.config)
        bp = Blueprint("publish_qgis", __name__, url_prefix=protocol.config.prefix)
        if protocol.config.enabled:
            bp.add_url_rule("/platforms.json", "platforms", self.platforms)
            bp.add_url_rule("/projects/<filename>", "project", self.project)
            bp.add_url_rule("/icon.png", "icon", self.icon)
        bp.register_error_handler(Exception, protocol.render_error)
        self.blueprint = bp

    def site(self) -> str:
        return (self.protocol.config.site_url or request.url_root).rstrip("/")

    def current(self) -> ProjectSet:
        return self.cache.current(self.state(), self.site())

    def answer(self, body: bytes, media: str, etag: str, modified: datetime | None) -> Response:
        response = Response(body, content_type=media)
        response.set_etag(etag)
        if modified is not None:
            response.last_modified = modified
        response.headers["Cache-Control"] = "public, no-cache"  # revalidate every time
        response.make_conditional(request)  # 304 (body dropped) when the client has it
        return response

    def platforms(self) -> Response:
        args = request.args.to_dict(flat=False)
        form = args.pop("format", ["current"])
        if args or len(form) != 1 or form[0] not in ("current", "legacy"):
            raise BadQuery("platforms.json takes only format=legacy (or format=current)")
        projects = self.current()
        body = json.dumps(projects.platform_list(legacy=form[0] == "legacy"))
        tag = _etag(projects.generation, projects.site, "platforms", form[0])
        media = "application/json; charset=utf-8"
        return self.answer(body.encode(), media, tag, projects.modified)

    def project(self, filename: str) -> Response:
        name, dot, suffix = filename.rpartition(".")
        if not dot or suffix not in MEDIA_TYPES:
            raise NotFound(f"no QGIS project file {filename!r} (<name>.qgs or <name>.qgz)")
        projects = self.current()
        body = projects.project(name, suffix)
        tag = _etag(projects.generation, projects.site, filename)
        response = self.answer(body, MEDIA_TYPES[suffix], tag, projects.modified)
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
        return response

    def icon(self) -> Response:
        path = self.protocol.config.icon
        body = path.read_bytes() if path is not None else icon_png()
        return self.answer(body, "image/png", _etag(hashlib.sha256(body).hexdigest()), None)
