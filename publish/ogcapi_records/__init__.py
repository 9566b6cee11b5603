"""OGC API - Records Part 1 over the catalogue (docs/ogcapi-records.md).

Routes under a configurable base (default `/ogcapi`): landing page, `/conformance`,
`/collections` (the whole catalogue, one per source the caller may see, one per top-level
company theme), `/collections/{id}`, `.../items`, `.../items/{recordId}`, `.../queryables`,
`.../sortables`, `/openapi`. JSON (GeoJSON for records) or HTML by `f=` or the Accept header.
Errors are OGC API exceptions: `application/problem+json` with `type`, `title`, `status`,
`detail`, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, json, request

from moisson.config import Settings
from moisson.errors import BadQuery, NotFound
from publish.base import StateGetter
from publish.geojson import record_feature
from publish.ogcapi_records import documents
from publish.ogcapi_records.html import html_page
from publish.ogcapi_records.params import parse_items_args
from publish.ogcapi_records.search import in_collection, run_items
from publish.problems import problem
from publish.scheme import ThemeScheme
from search_api.auth import access_policy, query_roles, visible_record

__all__ = ["OgcApiRecords"]


PROBLEM = "application/problem+json"
_EXCEPTIONS = "http://www.opengis.net/def/exceptions/ogcapi-common-1/1.0/"
_PROBLEM_TYPES = {400: "invalid-parameter-value", 404: "not-found", 405: "method-not-allowed"}


@dataclass
class OgcApiRecords:
    """The protocol (publish.base.OutputProtocol). `base` is the URL path prefix."""

    base: str = "/ogcapi"
    default_limit: int = 10
    max_limit: int = 100
    title: str = "Moisson catalogue"
    description: str = "Harvested, themed and de-duplicated spatial data catalogue."
    name: str = "ogcapi-records"

    @classmethod
    def from_settings(cls, settings: Settings) -> OgcApiRecords:
        """The protocol as the app mounts it (the outputs plug point)."""
        return cls()

    def blueprint(self, state: StateGetter) -> Blueprint:
        return _Routes(self, state).blueprint

    def render_error(self, exc: Exception) -> Response:
        status, title, detail = problem(exc, "OGC API Records")
        body = {
            "type": _EXCEPTIONS
            + _PROBLEM_TYPES.get(status, "server-error" if status >= 500 else "bad-request"),
            "title": title,
            "status": status,
            "detail": detail,
        }
        return Response(json.dumps(body), status=status, content_type=PROBLEM)


class _Routes:
    def __init__(self, protocol: OgcApiRecords, state: StateGetter) -> None:
        self.protocol = protocol
        self.state = state
        bp = Blueprint("publish_ogcapi_records", __name__, url_prefix=protocol.base)
        bp.add_url_rule("/", "landing", self.landing)
        bp.add_url_rule("/conformance", "conformance", self.conformance)
        bp.add_url_rule("/openapi", "openapi", self.openapi)
        bp.add_url_rule("/collections", "collections", self.collections)
        bp.add_url_rule("/collections/<collection_id>", "collection", self.collection)
        bp.add_url_rule("/collections/<collection_id>/items", "items", self.items)
        bp.add_url_rule("/collections/<collection_id>/items/<record_id>", "item", self.item)
        bp.add_url_rule("/collections/<collection_id>/queryables", "queryables", self.queryables)
        bp.add_url_rule("/collections/<collection_id>/sortables", "sortables", self.sortables)
        bp.register_error_handler(Exception, protocol.render_error)
        self.blueprint = bp

    # -- helpers ---------------------------------------------------------------------------

    def url(self) -> str:
        return request.url_root.rstrip("/") + self.protocol.base

    @cached_property
    def scheme(self) -> ThemeScheme:
        themer = self.state().themer
        return ThemeScheme.from_thesaurus(
            themer.thesaurus, tuple(self.state().settings.themes.languages)
        )

    def _format(self, allowed: tuple[str, ...] = ("json", "html")) -> str:
        fmt = request.args.get("f")
        if fmt:
            if fmt not in allowed:
                raise BadQuery(f"f must be one of {', '.join(allowed)}; got {fmt[:30]!r}")
            return fmt
        best = request.accept_mimetypes.best_match(
            ["application/json", "application/geo+json", "text/html"], default="application/json"
        )
        return "html" if best == "text/html" and "html" in allowed else "json"

    def _answer(
        self, kind: str, doc: dict[str, Any], fmt: str, content_type: str = "application/json"
    ) -> Response:
        if fmt == "html":
            title = str(
                doc.get("title")
                or (doc.get("properties") or {}).get("title")
                or self.protocol.title
            )
            return Response(html_page(kind, title, doc), content_type="text/html; charset=utf-8")
        return Response(json.dumps(doc), content_type=content_type)

    def _only(self, *names: str) -> None:
        unknown = sorted(set(request.args) - {"f", *names})
        if unknown:
            raise BadQuery(f"unknown parameter {unknown[0]!r} here")

    def _roles(self) -> list[str] | None:
        return query_roles()

    def _collections(self) -> list[documents.Collection]:
        app = self.state()
        roles = self._roles()
        found = [
            documents.Collection(
                "catalogue",
                self.protocol.title,
                "Every record of the catalogue, one per duplicate cluster.",
            )
        ]
        for source in app.settings.sources:
            if access_policy().may_see(source.id, roles):
                found.append(
                    documents.Collection(
                        f"source-{source.id}",
                        source.name or source.id,
                        f"Records harvested from {source.name or source.id} ({source.kind}).",
                        "source",
                        source.id,
                    )
                )
        thesaurus = app.themer.thesaurus
        lang = app.settings.themes.languages
        for concept_id in thesaurus.tops():
            concept = thesaurus.concepts[concept_id]
            label = concept.pref(lang[0], lang[1:])
            found.append(
                documents.Collection(
                    f"theme-{concept_id}",
                    label,
                    next((concept.definitions[x] for x in lang if x in concept.definitions), label),
                    "theme",
                    concept_id,
                )
            )
        return found

    def _collection(self, collection_id: str) -> documents.Collection:
        for collection in self._collections():
            if collection.id == collection_id:
                return collection
        raise NotFound(f"no collection {collection_id!r}; see {self.url()}/collections")

    # -- views -------------------------------------------------------------------------------

    def landing(self) -> Response:
        self._only()
        doc = documents.landing_document(self.url(), self.protocol.title, self.protocol.description)
        return self._answer("landing", doc, self._format())

    def conformance(self) -> Response:
        self._only()
        return self._answer("conformance", documents.conformance_document(), self._format())

    def openapi(self) -> Response:
        self._only()
        self._format(("json",))
        doc = documents.openapi_document(
            self.url(), self.protocol.title, self.protocol.max_limit, self.protocol.default_limit
        )
        return Response(
            json.dumps(doc), content_type="application/vnd.oai.openapi+json;version=3.0"
        )

    def collections(self) -> Response:
        self._only()
        doc = documents.collections_document(self.url(), self._collections())
        return self._answer("collections", doc, self._format())

    def collection(self, collection_id: str) -> Response:
        self._only()
        doc = documents.collection_document(self.url(), self._collection(collection_id))
        return self._answer("collection", doc, self._format())

    def queryables(self, collection_id: str) -> Response:
        self._only()
        self._format(("json",))
        doc = documents.queryables_document(self.url(), self._collection(collection_id))
        return Response(json.dumps(doc), content_type="application/schema+json")

    def sortables(self, collection_id: str) -> Response:
        self._only()
        self._format(("json",))
        doc = documents.sortables_document(self.url(), self._collection(collection_id))
        return Response(json.dumps(doc), content_type="application/schema+json")

    def items(self, collection_id: str) -> Response:
        args = request.args.to_dict(flat=False)
        parsed = parse_items_args(
            args, default_limit=self.protocol.default_limit, max_limit=self.protocol.max_limit
        )
        fmt = parsed.format if "f" in args else self._format()
        collection = self._collection(collection_id)
        app = self.state()
        base = f"{self.url()}/collections/{collection_id}"
        page = run_items(
            parsed,
            collection,
            store=app.store,
            service=app.search,
            scheme=self.scheme,
            roles=self._roles(),
            item_url=lambda rid: f"{base}/items/{rid}",
        )
        doc: dict[str, Any] = {
            "type": "FeatureCollection",
            "features": page.features,
            "numberMatched": page.matched,
            "numberReturned": len(page.features),
            "links": self._paging_links(
                base, args, parsed.offset, parsed.limit, page.matched, len(page.features)
            ),
        }
        if page.facets is not None:
            doc["facets"] = page.facets
        return self._answer("items", doc, fmt, "application/geo+json")

    def _paging_links(
        self,
        base: str,
        args: dict[str, list[str]],
        offset: int,
        limit: int,
        matched: int,
        returned: int,
    ) -> list[dict[str, Any]]:
        kept = {k: v for k, v in args.items() if k not in ("offset", "startindex", "f")}

        def href(new_offset: int, fmt: str = "json") -> str:
            pairs = [(k, x) for k, values in kept.items() for x in values]
            pairs += [("offset", str(new_offset)), ("f", fmt)]
            return f"{base}/items?{urlencode(pairs)}"

        links = [
            {"href": href(offset), "rel": "self", "type": "application/geo+json"},
            {"href": href(offset, "html"), "rel": "alternate", "type": "text/html"},
            {"href": base, "rel": "collection", "type": "application/json"},
        ]
        if offset + returned < matched and returned:
            links.append(
                {"href": href(offset + limit), "rel": "next", "type": "application/geo+json"}
            )
        if offset > 0:
            links.append(
                {
                    "href": href(max(0, offset - limit)),
                    "rel": "prev",
                    "type": "application/geo+json",
                }
            )
        return links

    def item(self, collection_id: str, record_id: str) -> Response:
        self._only()
        collection = self._collection(collection_id)
        record = visible_record(record_id)
        if not in_collection(record, collection):
            raise NotFound(f"no record with id {record_id!r} in collection {collection_id!r}")
        base = f"{self.url()}/collections/{collection_id}"
        links = [
            {"href": f"{base}/items/{record_id}", "rel": "self", "type": "application/geo+json"},
            {"href": f"{base}/items/{record_id}?f=html", "rel": "alternate", "type": "text/html"},
            {"href": base, "rel": "collection", "type": "application/json"},
        ]
        feature = record_feature(record, self.scheme, links=links)
        return self._answer("item", feature, self._format(), "application/geo+json")
