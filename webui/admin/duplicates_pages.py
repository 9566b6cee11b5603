"""Duplicate pages of the workbench.

- `/admin/duplicates`: the clusters to review, largest, most recent or lowest confidence
  first (indexer/cluster_review.py), and how much each pair of sources repeats the other
  (indexer/duplicates_report.overlaps, the `moisson duplicates` report's shares).
- `/admin/duplicates/<id>`: the members side by side, differing fields marked, with the
  evidence that joined each pair and why the canonical copy is canonical; forms to split
  members out or pin the canonical copy: search_api/clusters.py split_cluster and
  pin_canonical, the functions behind the JSON endpoints (decisions survive re-harvests,
  the members are re-indexed at once).
"""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from indexer.cluster_review import REVIEW_ORDERS, comparison, review_queue
from indexer.clusters import canonical_reason, rank_facts
from indexer.duplicates_report import overlaps
from moisson.errors import BadQuery, NotFound
from search_api.clusters import pin_canonical, split_cluster
from search_api.state import state
from webui.admin.base import blueprint, done_redirect, form_text
from webui.pages import render_page

__all__: list[str] = []


def _source_arg() -> str | None:
    source = request.args.get("source") or None
    known = [s.id for s in state().settings.sources]
    if source is not None and source not in known:
        raise BadQuery(f"unknown source {source!r}; known: {', '.join(known)}")
    return source


@blueprint.get("/duplicates")
def duplicates() -> tuple[str, int]:
    order = request.args.get("order", "size")
    if order not in REVIEW_ORDERS:
        raise BadQuery(f"order must be one of {', '.join(REVIEW_ORDERS)}")
    source = _source_arg()
    app = state()
    queue = review_queue(app.clusters, app.store, order, source)
    views = app.clusters.clusters()
    members = app.clusters.sources_of({m for v in views for m in v.members})
    shares = overlaps(views, members, app.clusters.counts_by_source())
    return render_page(
        "admin/duplicates.html",
        queue=queue,
        order=order,
        orders=REVIEW_ORDERS,
        source=source or "",
        sources=[s.id for s in app.settings.sources],
        shares=shares,
    )


@blueprint.get("/duplicates/<cluster_id>")
def cluster(cluster_id: str) -> tuple[str, int]:
    app = state()
    view = app.clusters.cluster(cluster_id)
    if view is None:
        raise NotFound(f"no cluster {cluster_id!r}: it may have been split or rebuilt")
    laid_out = comparison(view, app.store)
    facts = [rank_facts(r) for r in laid_out.members]
    reason = canonical_reason(facts, view.canonical, app.settings.duplicates.source_priority)
    return render_page("admin/cluster.html", laid_out=laid_out, view=view, reason=reason)


@blueprint.post("/duplicates/<cluster_id>/split")
def split(cluster_id: str) -> Response:
    ids = request.form.getlist("record_ids")
    if not ids:
        raise BadQuery("tick the members to take out of the cluster")
    note = form_text("note", required=False) or None
    result = split_cluster(cluster_id, ids, note)
    return done_redirect("webui_admin.duplicates", "split", clusters=len(result), taken=len(ids))


@blueprint.post("/duplicates/<cluster_id>/pin")
def pin(cluster_id: str) -> Response:
    record_id = form_text("record_id", limit=64)
    note = form_text("note", required=False) or None
    view = pin_canonical(cluster_id, record_id, note)
    return done_redirect("webui_admin.cluster", "pinned", cluster_id=view.id)
