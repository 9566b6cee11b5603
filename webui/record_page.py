"""GET /records/<id>: the record page (HTML; GET /api/records/<id> is the JSON).

Everything the record holds, its links grouped by what a user does with them (view, download,
documentation), "add to QGIS" (the WMS address to copy; the QGIS project link only when that
route is mounted), provenance (each copy of its duplicate cluster with source and harvest
dates, the raw payload for admins), themes with their evidence in plain words, similar
records. Visibility is the API's: `visible_record` answers 404 for what the caller may not see.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, url_for

from indexer.thesaurus import Thesaurus
from moisson.query import FieldFilter, Not, Or, Term
from moisson.record import Link, Query, Record, Theme, ThemeEvidence
from publish.qgis.service_links import LayerRefused, service_layer
from search_api.auth import query_roles, visible_record
from search_api.clusters import cluster_payload, clusters, related_payload
from search_api.search import search_service
from search_api.serialise import record_response, source_names
from search_api.state import state
from webui.i18n import locale, t, t_or
from webui.identity import current_user
from webui.pages import page_blueprint, render_page, script_json

__all__ = ["blueprint", "evidence_sentence", "link_groups"]

blueprint = page_blueprint("webui_record", __name__)

VIEW_PROTOCOLS = ("OGC:WMS", "OGC:WMTS")
DATA_SERVICES = ("OGC:WFS", "OGC:WCS", "OGC API - Features", "OGC API - Records")
SIMILAR = 5
# Words of the title and keywords a similar record may share: each one is an index lookup,
# in its own field only (a title word in abstracts matches half the catalogue at 100k).
SIMILAR_WORDS = 6
_WORD = re.compile(r"\w{4,}")
_QUOTED = re.compile(r"'([^']+)'")


def _kind(link: Link) -> str:
    protocol = link.protocol or ""
    if protocol in VIEW_PROTOCOLS:
        return "view"
    if protocol in DATA_SERVICES or protocol == "download" or link.function == "download":
        return "download"
    return "documentation"


def link_groups(links: list[Link]) -> dict[str, list[Link]]:
    """Links by what a user does with them: view (WMS/WMTS), download (files and data
    services), documentation (everything else: landing pages, specifications...)."""
    groups: dict[str, list[Link]] = {"view": [], "download": [], "documentation": []}
    for link in links:
        if link.url.startswith(("http://", "https://", "ftp://")):  # never javascript: etc.
            groups[_kind(link)].append(link)
    return groups


def evidence_sentence(theme_label: str, evidence: ThemeEvidence) -> str:
    """Why a record is filed under a theme, as a sentence in the page's language."""
    field = t_or(f"record.field.{evidence.field}", evidence.field)
    target = evidence.target or ""
    quoted = _QUOTED.search(target)  # "skos:prefLabel@fr 'Hydrographie'": the label itself
    params = {
        "theme": theme_label,
        "field": field,
        "matched": evidence.matched,
        "target": quoted.group(1) if quoted else target,
        "rule": evidence.rule or "",
    }
    return t(f"record.evidence.{evidence.step}", **params)


def _label(theme: Theme, thesaurus: Thesaurus) -> str:
    lang = locale()
    concept = thesaurus.concepts.get(theme.id)
    if concept is not None:
        return concept.pref(lang, state().settings.themes.languages)
    return theme.labels.get(lang) or next(iter(theme.labels.values()), theme.id)


def _themes(record: Record) -> list[dict[str, Any]]:
    thesaurus = state().themer.thesaurus
    out = []
    for theme in record.themes:
        label = _label(theme, thesaurus)
        out.append(
            {
                "id": theme.id,
                "label": label,
                "path": [_label(Theme(id=b, uri=""), thesaurus) for b in reversed(theme.broader)],
                "evidence": [evidence_sentence(label, e) for e in theme.evidence],
            }
        )
    return out


def _qgis_projects(record: Record) -> list[dict[str, str]]:
    """The generated QGIS projects (publish/qgis) that hold this record's service layers: the
    project of each of its top-level themes, else the whole catalogue's. None when the /qgis
    output is not mounted or the record offers no usable service layer."""
    if "publish_qgis.project" not in current_app.view_functions:
        return []
    if not any(_offers_layer(link) for link in record.links):
        return []
    config = state().settings.qgis
    base = url_for("publish_qgis.project", filename="").rstrip("/")
    thesaurus = state().themer.thesaurus
    names: list[str] = []
    if config.per_theme:
        for theme in record.themes:
            top = ([theme.id, *theme.broader])[-1]
            if top not in names:
                names.append(top)
    if not names and (config.catalogue_project or not config.per_theme):
        names = [config.catalogue_name]
    return [
        {
            "url": f"{base}/{name}.{config.project_format}",
            "label": config.title
            if name == config.catalogue_name
            else _label(Theme(id=name, uri=""), thesaurus),
        }
        for name in names
    ]


def _offers_layer(link: Link) -> bool:
    try:
        return service_layer(link) is not None
    except LayerRefused:
        return False


def _similar(record: Record) -> list[dict[str, Any]]:
    """Records sharing words of the title or keywords, best first, without this one or its
    duplicates (a collapsed search)."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(record.title)))[:SIMILAR_WORDS]
    labels = [k.label for k in record.keywords if 0 < len(k.label) <= 60][:SIMILAR_WORDS]
    terms = tuple(Term(text=w, fields=("title",)) for w in words) + tuple(
        Term(text=label, fields=("keywords",)) for label in dict.fromkeys(labels)
    )
    if not terms:
        return []
    query = Query(
        text=Or(children=terms),
        where=Not(child=FieldFilter(field="id", values=(record.id,))),
        size=SIMILAR,
        facets=[],
        lang=locale(),
        roles=query_roles(),
    )
    results = search_service().search(query, logged=False)  # not a search of anyone
    return [{"id": h.id, "title": h.title} for h in results.hits]


def _copies(record: Record) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(each copy with its provenance, related-but-distinct records)."""
    view = clusters().cluster_of(record.id)
    if view is None:
        provenance = record_response(record)["provenance"]
        own = {"id": record.id, "canonical": True, "title": record.title, "provenance": provenance}
        return [own], related_payload([record.id])
    payload = cluster_payload(view)
    return [m for m in payload["members"] if not m.get("missing")], payload["related"]


def _map_data(record: Record) -> str:
    """The record's extents for the map script (JSON in a non-executed <script>)."""
    settings = state().settings.webui
    data = {
        "bbox": None,
        "readonly": True,
        "hits": [
            {"id": record.id, "title": record.title, "bbox": box.as_list()} for box in record.bboxes
        ],
        "tiles": settings.tile_url,
        "attribution": settings.tile_attribution,
        "outline": "/static/vendor/world-110m.geojson",
    }
    return script_json(data)


@blueprint.get("/records/<record_id>")
def record(record_id: str) -> tuple[str, int]:
    found = visible_record(record_id)
    copies, related = _copies(found)
    names = source_names(state().settings)
    groups = link_groups(found.links)
    wms = [link for link in groups["view"] if link.protocol == "OGC:WMS"]
    own_source = found.provenance.source_id
    also = [
        names.get(c["provenance"]["source_id"], c["provenance"]["source_id"])
        for c in copies
        if c["provenance"]["source_id"] != own_source
    ]
    return render_page(
        "record.html",
        record=found,
        groups=groups,
        wms=wms,
        qgis_projects=_qgis_projects(found),
        themes=_themes(found),
        copies=copies,
        also=list(dict.fromkeys(also)),
        sources=list(dict.fromkeys(names.get(c["provenance"]["source_id"], "?") for c in copies)),
        map_data=_map_data(found),
        related=related,
        names=names,
        similar=_similar(found),
        is_admin=current_user().admin,
        type_label=t_or(f"search.type.{found.resource_type}", found.resource_type),
    )
