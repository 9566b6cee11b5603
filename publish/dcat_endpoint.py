"""DCAT-AP 3.0 / GeoDCAT-AP out (docs/dcat.md): what open-data portals harvest.

- `GET /dcat`: a `dcat:Catalog` page with hydra paging: the page is a
  `hydra:PagedCollection` (`hydra:firstPage` / `nextPage` / `previousPage` / `lastPage`,
  `totalItems`, `itemsPerPage`: what ckanext-dcat and udata read) and the catalogue's
  `hydra:view` is a `hydra:PartialCollectionView` (`first` / `next` / `previous` /
  `last`). The search parameters are those of /api/search (`q`, `bbox`, `from`, `to`, the
  facets: `theme=water` harvests one theme; `page`, `size` capped like /api/search), so
  the datasets and counts are the same; one dataset per duplicate cluster, its copies'
  origins as `prov:wasDerivedFrom`.
- `GET /dcat/datasets/{id}`: one dataset (404 when the caller may not see it).
- Syntax by `?format=turtle|xml|jsonld|nt` or the Accept header (`text/turtle`,
  `application/rdf+xml`, `application/ld+json`, `application/n-triples`); Turtle by default.
- Errors: `application/problem+json` (`type`, `title`, `status`, `detail`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, json, request
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, RDF, XSD

from moisson.config import Settings
from moisson.errors import BadQuery
from moisson.record import Hit
from publish.base import StateGetter
from publish.dcat import HYDRA, CatalogInfo, Copy, add_dataset, bind_prefixes, catalog_node
from publish.problems import problem
from publish.scheme import ThemeScheme
from search_api.auth import query_roles, visible_record
from search_api.params import check_capabilities, parse_search_args

__all__ = ["SYNTAXES", "DcatEndpoint"]


# ?format= value -> (rdflib format, media type)
SYNTAXES = {
    "turtle": ("turtle", "text/turtle"),
    "xml": ("xml", "application/rdf+xml"),
    "jsonld": ("json-ld", "application/ld+json"),
    "nt": ("nt", "application/n-triples"),
}
_BY_MEDIA = {media: name for name, (_, media) in SYNTAXES.items()}


def _public_url(url: str) -> str | None:
    """A source endpoint as it may be published: http(s) only, no credentials, no query
    (tokens travel there)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass
class DcatEndpoint:
    """The protocol (publish.base.OutputProtocol)."""

    base: str = "/dcat"
    title: str = "Moisson catalogue"
    publisher: str = "Moisson"
    name: str = "dcat"

    @classmethod
    def from_settings(cls, settings: Settings) -> DcatEndpoint:
        """The protocol as the app mounts it (the outputs plug point)."""
        return cls()

    def blueprint(self, state: StateGetter) -> Blueprint:
        return _Routes(self, state).blueprint

    def render_error(self, exc: Exception) -> Response:
        status, title, detail = problem(exc, "the DCAT endpoint")
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
        return Response(json.dumps(body), status=status, content_type="application/problem+json")


class _Routes:
    def __init__(self, protocol: DcatEndpoint, state: StateGetter) -> None:
        self.protocol = protocol
        self.state = state
        bp = Blueprint("publish_dcat", __name__, url_prefix=protocol.base)
        bp.add_url_rule("", "catalog", self.catalog)
        bp.add_url_rule("/datasets/<record_id>", "dataset", self.dataset)
        bp.register_error_handler(Exception, protocol.render_error)
        self.blueprint = bp

    @cached_property
    def scheme(self) -> ThemeScheme:
        app = self.state()
        return ThemeScheme.from_thesaurus(
            app.themer.thesaurus, tuple(app.settings.themes.languages)
        )

    def info(self) -> CatalogInfo:
        root = request.url_root.rstrip("/")
        sources = {s.id: url for s in self.state().settings.sources if (url := _public_url(s.url))}
        return CatalogInfo(
            base=root,
            title=self.protocol.title,
            publisher=self.protocol.publisher,
            homepage=root + "/",
            sources=sources,
        )

    def syntax(self, args: dict[str, list[str]]) -> str:
        values = args.pop("format", [])
        if values:
            if len(values) > 1 or values[0] not in SYNTAXES:
                raise BadQuery(f"format must be one of {', '.join(SYNTAXES)}")
            return values[0]
        best = request.accept_mimetypes.best_match(list(_BY_MEDIA), default="text/turtle")
        return _BY_MEDIA.get(best or "text/turtle", "turtle")

    def answer(self, graph: Graph, syntax: str) -> Response:
        rdflib_format, media = SYNTAXES[syntax]
        body = graph.serialize(format=rdflib_format, encoding="utf-8")
        response = Response(body, content_type=f"{media}; charset=utf-8")
        response.headers["Vary"] = "Accept"
        return response

    def dataset(self, record_id: str) -> Response:
        args = request.args.to_dict(flat=False)
        syntax = self.syntax(args)
        if args:
            raise BadQuery(f"unknown parameter {sorted(args)[0]!r}; only format is accepted here")
        record = visible_record(record_id)
        graph = bind_prefixes(Graph())
        info = self.info()
        node = catalog_node(graph, info)
        dataset = add_dataset(graph, record, self.scheme, info)
        graph.add((node, _member(graph, dataset), dataset))
        return self.answer(graph, syntax)

    def catalog(self) -> Response:
        args = request.args.to_dict(flat=False)
        syntax = self.syntax(args)
        app = self.state()
        query = parse_search_args(args, app.settings)
        query = query.model_copy(update={"roles": query_roles()})
        check_capabilities(query, app.backend.capabilities)
        searched = app.search.run(query)  # expansion, access, labels as /api/search
        query, results = searched.query, searched.results
        info = self.info()
        graph = bind_prefixes(Graph())
        node = catalog_node(graph, info)
        by_id = {r.id: r for r in app.store.active([h.id for h in results.hits])}
        for hit in results.hits:
            record = by_id.get(hit.id)
            if record is None:
                continue
            dataset = add_dataset(graph, record, self.scheme, info, copies=_copies(hit))
            graph.add((node, _member(graph, dataset), dataset))
        self.paging(graph, node, args, syntax, results.total, query.page, query.size)
        return self.answer(graph, syntax)

    def paging(
        self,
        graph: Graph,
        catalog: URIRef,
        args: dict[str, Any],
        syntax: str,
        total: int,
        page: int,
        size: int,
    ) -> None:
        kept = [(k, v) for k, values in args.items() if k not in ("page",) for v in values]
        if syntax != "turtle":
            kept.append(("format", syntax))
        base = request.base_url

        def href(number: int) -> URIRef:
            return URIRef(f"{base}?{urlencode([*kept, ('page', str(number))])}")

        last = max(1, -(-total // size)) if size else 1
        this = href(page)
        graph.add((this, RDF.type, HYDRA.PagedCollection))
        graph.add((this, RDF.type, HYDRA.PartialCollectionView))
        graph.add((catalog, HYDRA.view, this))
        graph.add((this, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
        graph.add((this, HYDRA.itemsPerPage, Literal(size, datatype=XSD.integer)))
        graph.add((catalog, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
        for old, new, number in (
            (HYDRA.firstPage, HYDRA.first, 1),
            (HYDRA.lastPage, HYDRA.last, last),
        ):
            graph.add((this, old, href(number)))
            graph.add((this, new, href(number)))
        if page < last:
            graph.add((this, HYDRA.nextPage, href(page + 1)))
            graph.add((this, HYDRA.next, href(page + 1)))
        if page > 1:
            graph.add((this, HYDRA.previousPage, href(page - 1)))
            graph.add((this, HYDRA.previous, href(page - 1)))


def _member(graph: Graph, dataset: URIRef) -> URIRef:
    return DCAT.service if (dataset, RDF.type, DCAT.DataService) in graph else DCAT.dataset


def _copies(hit: Hit) -> list[Copy]:
    return [Copy(source.id, source.original_id) for source in hit.sources]
