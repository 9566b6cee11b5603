"""A GeoNetwork 4 API facade for the geonetwork-ui datahub (docs/datahub.md).

Each `[[gn4]]` mount (moisson/config_sections.Gn4Settings) answers under its prefix
(default `/geonetwork/srv/api`), with its fixed filter ANDed into every search, count,
aggregation and record lookup:

- `GET /me` (204 anonymous; the GN4 "me" shape for a geOrchestra or token caller),
  `/site/settings`, `/groups` (`[]`), `/sources` (the configured sources),
  `/i18n/packages/gnui` (theme labels in the Accept-Language), `/records/{uuid}/attachments`
  (`[]`), `/records/{uuid}/formatters/xml` (the record's ISO 19139, publish/iso_raw.py);
- `POST /search/records/_search`: the ES DSL subset of publish/gn4/search_body.py into a
  neutral Query, run by the search service (access, collapse, labels), written as an ES 7
  response (`hits.total.value`, `_id` = uuid, `_source` filtered, aggregations from
  publish/gn4/aggregations.py).

Errors are Elasticsearch-style JSON (`{"error": {"root_cause", "type", "reason"},
"status"}`), never a traceback.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from flask import Blueprint, Response, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from moisson.config import Settings
from moisson.config_outputs import Gn4Settings
from moisson.errors import BadQuery, MoissonError, NotFound
from moisson.query import FieldFilter, Node, Query
from moisson.record import Record
from publish.base import StateGetter
from publish.gn4.aggregations import (
    MAX_BUCKETS,
    extra_conditions,
    facet_fields,
    parse_aggregations,
    render,
)
from publish.gn4.documents import gn4_document, source_filtered
from publish.gn4.fields import EVERYTHING, both
from publish.gn4.search_body import Translator, parse_body
from publish.iso_raw import iso_document
from publish.scheme import ThemeScheme
from search_api.auth import identity, query_roles

__all__ = ["Gn4Facade"]

logger = logging.getLogger(__name__)

_GENERIC = "internal error; the server logged the details"
_TYPES = {400: "parsing_exception", 404: "resource_not_found_exception", 405: "method_not_allowed"}


def es_error(status: int, reason: str, kind: str | None = None) -> Response:
    """An Elasticsearch-style error body."""
    kind = kind or _TYPES.get(status, "illegal_argument_exception" if status < 500 else "exception")
    cause = {"type": kind, "reason": reason}
    body = {"error": {"root_cause": [cause], **cause}, "status": status}
    return Response(json.dumps(body), status=status, content_type="application/json")


@dataclass
class Gn4Facade:
    """The protocol (publish.base.OutputProtocol): every configured mount."""

    mounts: list[Gn4Settings] = field(default_factory=lambda: [Gn4Settings()])
    name: str = "gn4"

    @classmethod
    def from_settings(cls, settings: Settings) -> Gn4Facade:
        return cls(mounts=list(settings.gn4))

    def blueprint(self, state: StateGetter) -> Blueprint:
        bp = Blueprint("publish_gn4", __name__)
        for index, mount in enumerate(self.mounts):
            routes = _Mount(mount, state)
            p, n = mount.prefix, f"m{index}"
            bp.add_url_rule(f"{p}/me", f"{n}_me", routes.me)
            bp.add_url_rule(f"{p}/site/settings", f"{n}_settings", routes.site_settings)
            bp.add_url_rule(f"{p}/groups", f"{n}_groups", partial(_json, []))
            bp.add_url_rule(f"{p}/sources", f"{n}_sources", routes.sources)
            bp.add_url_rule(f"{p}/i18n/packages/gnui", f"{n}_i18n", routes.i18n)
            bp.add_url_rule(
                f"{p}/records/<uuid>/attachments", f"{n}_attachments", routes.attachments
            )
            bp.add_url_rule(f"{p}/records/<uuid>/formatters/xml", f"{n}_xml", routes.xml)
            bp.add_url_rule(
                f"{p}/search/records/_search", f"{n}_search", routes.search, methods=["POST"]
            )
        bp.register_error_handler(Exception, self.render_error)
        return bp

    def render_error(self, exc: Exception) -> Response:
        if isinstance(exc, ValidationError):  # a value over a neutral-query bound
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem.get("loc", ()))
            return es_error(400, f"query value out of bounds ({where}): {problem.get('msg')}")
        if isinstance(exc, MoissonError):
            if exc.http_status >= 500:
                logger.error("%s: %s (detail: %s)", type(exc).__name__, exc.message, exc.detail)
            return es_error(exc.http_status, exc.message)
        if isinstance(exc, HTTPException):
            return es_error(exc.code or 500, exc.description or exc.name)
        logger.exception("unhandled error in the GN4 facade", exc_info=exc)
        return es_error(500, _GENERIC)


def _json(value: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(value, ensure_ascii=False), status=status, content_type="application/json"
    )


class _Mount:
    """The routes of one mount."""

    def __init__(self, mount: Gn4Settings, state: StateGetter) -> None:
        self.mount = mount
        self.state = state
        self.fixed: Node = both(
            [FieldFilter(field=k, values=tuple(v)) for k, v in mount.filters.items() if v]
        )

    # -- small endpoints ---------------------------------------------------------------

    def me(self) -> Response:
        who = identity()
        if who.kind == "anonymous":
            return Response(status=204)
        user = who.user or who.kind
        return _json(
            {
                "id": user,
                "username": user,
                "name": user,
                "surname": "",
                "email": "",
                "organisation": who.org or "",
                "profile": "Administrator" if who.admin else "RegisteredUser",
                "admin": who.admin,
                "groupsWithRegisteredUser": [],
                "groupsWithEditor": [],
                "groupsWithReviewer": [],
                "groupsWithUserAdmin": [],
            }
        )

    def site_settings(self) -> Response:
        values: dict[str, Any] = {
            "system/platform/version": self.mount.version,
            "system/platform/subVersion": "0",
            "system/site/name": self.mount.site_name,
            "system/site/organization": self.mount.organisation,
            "system/userFeedback/enable": False,
            "system/harvester/enableEditing": False,
            "system/users/selfRegistration": False,
            "system/metadata/prefergrouplogo": False,
        }
        keys = request.args.getlist("key")
        if keys:
            values = {k: v for k, v in values.items() if k in keys}
        return _json(values)

    def sources(self) -> Response:
        settings = self.state().settings
        return _json(
            [
                {"uuid": s.id, "name": s.name or s.id, "type": "harvester", "label": {}}
                for s in settings.sources
            ]
        )

    def language(self) -> str:
        best = request.accept_languages.best or ""
        return self.state().search.language(best.split("-")[0].lower() or None)

    def i18n(self) -> Response:
        runtime = self.state()
        lang = self.language()
        fallback = runtime.settings.themes.languages
        labels: dict[str, str] = {}
        for concept in runtime.themer.thesaurus.concepts.values():
            label = concept.pref(lang, fallback)
            labels[concept.id] = label
            labels[concept.uri] = label
        return _json(labels)

    def record(self, uuid: str) -> Record:
        """The record if this mount's caller may see it (NotFound otherwise)."""
        query = self.query(FieldFilter(field="id", values=(uuid,)), size=1, collapse=False)
        results = self.state().search.search(query)
        found = self.state().store.active([h.id for h in results.hits])
        if not found:
            raise NotFound(f"no record with uuid {uuid[:80]!r}")
        return found[0]

    def attachments(self, uuid: str) -> Response:
        self.record(uuid)
        return _json([])

    def xml(self, uuid: str) -> Response:
        runtime = self.state()
        record = self.record(uuid)
        raw = None
        if record.raw is not None:
            try:
                raw = runtime.store.raw_payload(record.raw.sha256)
            except MoissonError:
                raw = None
        scheme = ThemeScheme.from_thesaurus(
            runtime.themer.thesaurus, tuple(runtime.settings.themes.languages)
        )
        return Response(iso_document(record, scheme, raw), content_type="application/xml")

    # -- search -------------------------------------------------------------------------

    def query(self, where: Node, **update: Any) -> Query:
        tree = both([self.fixed, where])
        return Query(
            where=None if tree == EVERYTHING else tree,
            roles=query_roles(),
            collapse=update.pop("collapse", self.mount.collapse),
            lang=self.language(),
            facets=[],
            **update,
        )

    def resolve_theme(self, value: str) -> list[str]:
        thesaurus = self.state().themer.thesaurus
        if value in thesaurus.concepts:
            return [value]
        key = value.strip().casefold()
        return sorted(
            {
                concept.id
                for concept in thesaurus.concepts.values()
                if any(label.casefold() == key for _, _, label in concept.all_labels())
            }
        )

    def search(self) -> Response:
        started = time.monotonic()
        try:
            body = json.loads(request.get_data(cache=False) or b"{}")
        except RecursionError:
            raise BadQuery("the request body nests too deeply") from None
        except ValueError as exc:
            raise BadQuery(f"the request body is not JSON: {str(exc)[:100]}") from None
        parsed = parse_body(body, self.resolve_theme)
        translator = Translator(self.resolve_theme)
        aggs = parse_aggregations(parsed.aggregations, lambda q: translator.query(q, 1))
        facets = facet_fields(aggs)
        query = self.query(
            parsed.where,
            start=parsed.start,
            size=parsed.size,
            sort_by=parsed.sort,
            collapse=False if parsed.by_ids else self.mount.collapse,
        )
        if parsed.sort == [] and query.where is not None:
            query = query.model_copy(update={"sort": "relevance"})
        query = query.model_copy(update={"facets": facets, "facet_size": MAX_BUCKETS})
        runtime = self.state()
        results = runtime.search.search(query)
        counts: dict[Node, int] = {}
        for condition in extra_conditions(aggs):
            if condition not in counts:
                counted = query.model_copy(
                    update={
                        "where": both([query.where or EVERYTHING, condition]),
                        "size": 0,
                        "facets": [],
                    }
                )
                counts[condition] = runtime.search.search(
                    Query.model_validate(counted.model_dump())
                ).total
        by_id = {r.id: r for r in runtime.store.active([h.id for h in results.hits])}
        lang = query.lang or runtime.settings.themes.languages[0]
        hits: list[dict[str, Any]] = []
        for hit in results.hits:
            record = by_id.get(hit.id)
            if record is None:
                continue  # retired since it was indexed
            doc = gn4_document(
                record, hit, runtime.themer.thesaurus, lang, runtime.settings.themes.languages
            )
            hits.append(
                {
                    "_index": "gn-records",
                    "_type": "_doc",
                    "_id": record.id,
                    "_score": hit.score if hit.score is not None else 1.0,
                    "_source": source_filtered(doc, parsed.source, parsed.excludes),
                    "edit": False,
                    "owner": False,
                    "isPublishedToAll": True,
                    "view": True,
                    "download": True,
                    "dynamic": True,
                    "featured": False,
                    "selected": False,
                }
            )
        scores: list[float] = [h["_score"] for h in hits]
        answer: dict[str, Any] = {
            "took": int((time.monotonic() - started) * 1000),
            "timed_out": False,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {
                "total": {"value": results.total, "relation": "eq"},
                "max_score": max(scores) if scores else None,
                "hits": hits,
            },
        }
        if "aggregations" in body or "aggs" in body:
            answer["aggregations"] = render(aggs, results.facets, counts, results.total)
        return _json(answer)
