"""GET /search: the results page. The URL holds the whole state (the /api/search parameters,
so a shared link or the back button gives the same page); it works as a plain GET form with
JavaScript off, and htmx only swaps the results when it is on.

The query goes through the same parser, search service and serialiser as GET /api/search
(search_api/params.py, indexer/search_service.py, search_api/serialise.py); this module only
shapes the answer for the template: facet toggle links pointing here, the theme facet as a
tree, the organisations of each hit (from the store, one query for the page), the map data.

Besides the API's parameters the page accepts `west`, `south`, `east`, `north`: the four
number inputs of the no-JavaScript form, folded into `bbox`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import request
from markupsafe import Markup

from indexer.themes import Themer
from moisson.errors import BadQuery
from moisson.record import Query, Record
from search_api.auth import query_roles
from search_api.params import check_capabilities, parse_search_args
from search_api.search import search_service
from search_api.serialise import SEARCH_PATH, search_response, source_names
from search_api.state import state
from webui.i18n import locale, t, t_or
from webui.pages import page_blueprint, render_page, script_json

__all__ = ["BOX_FIELDS", "blueprint", "search_args"]

blueprint = page_blueprint("webui_search", __name__)

BOX_FIELDS = ("west", "south", "east", "north")
PAGE_FACET_SIZE = 50  # enough for the theme tree; flat facets show the first FACET_SHOWN
FACET_SHOWN = 8
SORTS = ("relevance", "date", "title")
FACET_ORDER = ("theme", "organisation", "source", "keyword", "resource_type", "format", "year")


def search_args(raw: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The page's query string as /api/search arguments: the four box inputs folded into
    `bbox` (all four or none), empty values dropped, `lang` the page's language."""
    args = {name: [v for v in values if v.strip()] for name, values in raw.items()}
    box = [args.pop(name, [])[:1] for name in BOX_FIELDS]
    given = [value[0] for value in box if value]
    if given and not args.get("bbox"):
        if len(given) != 4:
            raise BadQuery(t("search.error.box_incomplete"))
        args["bbox"] = [",".join(given)]
    args["lang"] = [locale()]
    return {name: values for name, values in args.items() if values}


def _page_link(body_link: str) -> str:
    """A toggle link of the API's response, pointing at this page instead."""
    return "/search" + body_link[len(SEARCH_PATH) :]


def _theme_tree(buckets: list[dict[str, Any]], themer: Themer) -> list[dict[str, Any]]:
    """The `theme` facet's buckets as the thesaurus tree (only concepts with records)."""
    by_id = {bucket["value"]: bucket for bucket in buckets}
    concepts = themer.thesaurus.concepts

    def node(concept_id: str) -> dict[str, Any] | None:
        bucket = by_id.get(concept_id)
        if bucket is None:
            return None
        children = [n for c in concepts[concept_id].narrower if (n := node(c)) is not None]
        return {**bucket, "children": children}

    return [n for top in themer.thesaurus.tops() if (n := node(top)) is not None]


def _organisations(records: Mapping[str, Record], record_id: str) -> list[str]:
    record = records.get(record_id)
    if record is None:
        return []
    return list(dict.fromkeys(c.organisation for c in record.contacts if c.organisation))[:3]


def _type_label(resource_type: str | None) -> str:
    return t_or(f"search.type.{resource_type}", resource_type or "")


def _hits(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The hits as the template shows them: snippet as markup (escaped by the backend, only
    <mark> inside), organisations, the other sources of a cluster ("also published by")."""
    ids = [hit["id"] for hit in body["hits"]]
    records = {record.id: record for record in state().store.active(ids)}
    hits = []
    for hit in body["hits"]:
        names = hit["source_names"]
        hits.append(
            {
                **hit,
                "snippet": Markup(hit["snippet"]) if hit["snippet"] else None,
                "organisations": _organisations(records, hit["id"]),
                "source": names[0] if names else None,
                "type_label": _type_label(hit["resource_type"]),
                "also": names[1:],
            }
        )
    return hits


def _map_data(query: Query, hits: list[dict[str, Any]]) -> str:
    """What the map script draws, as JSON in a non-executed <script> element."""
    data = {
        "bbox": query.bbox.as_list() if query.bbox else None,
        "hits": [
            {"id": h["id"], "title": h["title"], "bbox": h["bbox"]} for h in hits if h["bbox"]
        ],
        "tiles": state().settings.webui.tile_url,
        "attribution": state().settings.webui.tile_attribution,
        "outline": "/static/vendor/world-110m.geojson",
    }
    # "</" cannot end the script element early.
    return script_json(data)


def _facets(body: dict[str, Any]) -> list[dict[str, Any]]:
    facets = []
    for name in FACET_ORDER:
        buckets = [
            {**bucket, "toggle": _page_link(bucket["toggle"])}
            for bucket in body["facets"].get(name, [])
        ]
        if not buckets:
            continue
        info = body["facet_info"].get(name, {})
        facets.append(
            {
                "name": name,
                "label": t(f"search.facet.{name}"),
                "buckets": buckets,
                "tree": _theme_tree(buckets, state().themer) if name == "theme" else None,
                "shown": buckets[:FACET_SHOWN],
                "more": buckets[FACET_SHOWN:],
                "truncated": info.get("truncated", False),
                "timed_out": info.get("timed_out", False),
            }
        )
    return facets


def _pages(total: int, page: int, size: int) -> dict[str, Any]:
    last = max(1, -(-total // size)) if size else 1
    return {
        "page": page,
        "last": last,
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if page < last else None,
    }


def _run(args: dict[str, list[str]]) -> dict[str, Any]:
    app = state()
    query = parse_search_args(args, app.settings)
    update: dict[str, Any] = {"roles": query_roles()}
    if "facet_size" not in args:
        update["facet_size"] = PAGE_FACET_SIZE
    query = query.model_copy(update=update)
    check_capabilities(query, app.backend.capabilities)
    searched = search_service().run(query)
    body = search_response(searched.results, searched.query, args, source_names(app.settings))
    hits = _hits(body)
    return {
        "body": body,
        "query": searched.query,
        "hits": hits,
        "facets": _facets(body),
        "pages": _pages(body["total"], body["page"], body["size"]),
        "map_data": _map_data(searched.query, hits),
    }


def _hidden(raw: Mapping[str, Sequence[str]], dropped: Sequence[str]) -> list[tuple[str, str]]:
    """(name, value) of the current state a form carries along as hidden inputs."""
    return [
        (name, value)
        for name, values in raw.items()
        if name not in dropped
        for value in values
        if value.strip()
    ]


@blueprint.get("/search")
def search() -> tuple[str, int]:
    raw = request.args.to_dict(flat=False)
    form = {name: values[0] for name, values in raw.items() if values}
    # The search box keeps the filters; the filter form keeps the text and the facets.
    hidden = {
        "box_hidden": _hidden(raw, ("q", "page", "lang")),
        "filter_hidden": _hidden(raw, (*BOX_FIELDS, "bbox", "from", "to", "sort", "page", "lang")),
    }
    try:
        args = search_args(raw)
        found = _run(args)
    except BadQuery as exc:
        return render_page("search.html", 400, error=exc.message, form=form, sorts=SORTS, **hidden)
    return render_page("search.html", form=form, sorts=SORTS, **hidden, **found)
