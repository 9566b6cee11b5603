"""Records from the shared fixtures, for the theme tests: CSW/ISO/Dublin Core through the
real parsers, DCAT and CKAN through the small readers below.

The DCAT and CKAN readers only take what the matcher reads (title, description, keywords
and theme URIs, tags and groups); they stand in until harvester/formats has DCAT and CKAN
mappings, and use rdflib / json on the real fixture files, never invented content.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import rdflib
from rdflib.namespace import DCAT, DCTERMS, RDF, SKOS

from harvester.formats.csw_response import read_document
from moisson.errors import MoissonError
from moisson.record import Keyword, Record

__all__ = ["ckan_records", "csw_records", "dcat_records", "fixture_records"]

_RDF_FORMATS = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".jsonld": "json-ld"}


def csw_records(root: Path) -> Iterator[Record]:
    """Every record the CSW/ISO/Dublin Core parser accepts under `root` (source = folder)."""
    for path in sorted(root.rglob("*.xml")):
        try:
            document = read_document(path.read_bytes(), f"csw-{path.parent.name}")
        except MoissonError:  # capabilities and exception reports hold no records
            continue
        yield from (item.record for item in document.items if item.record is not None)


def _text(graph: rdflib.Graph, node: rdflib.term.Node, predicate: rdflib.URIRef) -> str | None:
    values = [v for v in graph.objects(node, predicate) if isinstance(v, rdflib.Literal)]
    values.sort(key=lambda v: (v.language not in (None, "en", "fr"), str(v)))
    return str(values[0]) if values else None


def dcat_records(root: Path) -> Iterator[Record]:
    """dcat:Dataset resources of every parseable RDF file under `root`."""
    for path in sorted(root.rglob("*")):
        fmt = _RDF_FORMATS.get(path.suffix)
        if fmt is None:
            continue
        graph = rdflib.Graph()
        try:
            graph.parse(path, format=fmt)
        except Exception:  # one fixture is invalid Turtle on purpose (see MANIFEST.md)
            continue
        for node in sorted(set(graph.subjects(RDF.type, DCAT.Dataset)), key=str):
            title = _text(graph, node, DCTERMS.title)
            if not title:
                continue
            keywords = [Keyword(label=str(k)) for k in graph.objects(node, DCAT.keyword)]
            for theme in graph.objects(node, DCAT.theme):
                label = _text(graph, theme, SKOS.prefLabel) or str(theme)
                uri = str(theme) if isinstance(theme, rdflib.URIRef) else None
                keywords.append(Keyword(label=label, uri=uri))
            yield Record.new(
                f"dcat-{path.parent.name}",
                f"{path.name}#{node}",
                title=title,
                abstract=_text(graph, node, DCTERMS.description),
                keywords=keywords,
            )


def _packages(data: object) -> list[dict[str, object]]:
    if isinstance(data, dict) and "result" in data:
        data = data["result"]
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    if isinstance(data, dict) and "title" in data:
        return [data]
    if isinstance(data, list):
        return [p for p in data if isinstance(p, dict) and "title" in p]
    return []


def ckan_records(root: Path) -> Iterator[Record]:
    """CKAN packages (package_show / package_search bodies and bare package dicts)."""
    for path in sorted(root.rglob("*.json")):
        for package in _packages(json.loads(path.read_text(encoding="utf-8"))):
            tags = package.get("tags") or []
            groups = package.get("groups") or []
            labels = [
                str(t.get("display_name") or t.get("name")) if isinstance(t, dict) else str(t)
                for t in tags
            ]
            labels += [str(g.get("title") or g.get("name")) for g in groups if isinstance(g, dict)]
            yield Record.new(
                f"ckan-{path.parent.name}",
                f"{path.name}#{package.get('id') or package.get('name')}",
                title=str(package["title"]),
                abstract=str(package.get("notes") or "") or None,
                keywords=[Keyword(label=label) for label in labels if label.strip()],
            )


def fixture_records(fixtures: Path) -> list[Record]:
    return [
        *csw_records(fixtures / "csw"),
        *dcat_records(fixtures / "dcat"),
        *ckan_records(fixtures / "ckan"),
    ]
