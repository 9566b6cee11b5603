"""Duplicate clusters in the API.

- `GET /api/records/<id>/cluster`: the cluster holding a record: its members with their
  provenance (source, original id, first/last seen, harvest run, lineage statement), which
  is canonical and why (`canonical_reason`: pinned, source priority, the producer's own
  copy, most complete, freshest), and the evidence (fingerprint or similarity) that joined
  each pair.
  `{"record_id": ..., "cluster": null}` when the record stands alone.
- `GET /api/admin/clusters[?source=X]`, `POST /api/admin/clusters/<cluster_id>/split`
  (JSON `{"record_ids": [...], "note": "..."}`: those records leave the cluster for good)
  and `POST /api/admin/clusters/<cluster_id>/pin` (JSON `{"record_id": ..., "note": ...}`:
  that record is canonical for good). Behind `admin.require_admin()` like every admin route;
  decisions are stored by record id, so they survive re-harvests. The members are indexed
  again before the answer (indexer/collapse.py), so search collapses the new clusters.

The ClusterStore is the runtime's.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, request

from indexer.cluster_store import ClusterStore, ClusterView
from indexer.clusters import canonical_reason, rank_facts
from indexer.collapse import Collapser
from moisson.errors import BadQuery, NotFound
from search_api.admin import require_admin
from search_api.auth import access_policy, visible_record
from search_api.serialise import record_response
from search_api.state import state

__all__ = [
    "admin_blueprint",
    "blueprint",
    "cluster_payload",
    "pin_canonical",
    "split_cluster",
]

logger = logging.getLogger(__name__)

blueprint = Blueprint("clusters", __name__)
admin_blueprint = Blueprint("admin_clusters", __name__)
admin_blueprint.before_request(require_admin)


def clusters() -> ClusterStore:
    return state().clusters


def _follow() -> None:
    """Re-index the records whose cluster an admin decision changed."""
    app_state = state()
    Collapser(app_state.store, clusters(), access_policy()).follow(app_state.backend)


def _member(record_id: str, canonical: str) -> dict[str, Any]:
    try:
        body = record_response(visible_record(record_id))
    except NotFound:  # removed from the store since it was clustered, or hidden from caller
        return {"id": record_id, "canonical": record_id == canonical, "missing": True}
    return {
        "id": record_id,
        "canonical": record_id == canonical,
        "title": body["title"],
        "provenance": body["provenance"],
        "lineage": body["lineage"],
    }


def _reason(view: ClusterView, members: list[dict[str, Any]]) -> str | None:
    """Why the canonical copy is the one shown (indexer/clusters.canonical_reason); None
    when the caller may not see it (the reason quotes its identifier and contact)."""
    if any(m["id"] == view.canonical and m.get("missing") for m in members):
        return None
    app_state = state()
    found = app_state.store.active(view.members)
    facts = [rank_facts(record) for record in found]
    return canonical_reason(facts, view.canonical, app_state.settings.duplicates.source_priority)


def cluster_payload(view: ClusterView) -> dict[str, Any]:
    members = [_member(m, view.canonical) for m in view.members]
    return {
        "id": view.id,
        "canonical": view.canonical,
        "canonical_reason": _reason(view, members),
        "members": members,
        "evidence": [
            {"a": p.a, "b": p.b, "kind": p.kind, "detail": p.detail, "score": p.score}
            for p in view.pairs
        ],
        "related": related_payload(view.members),
    }


def related_payload(record_ids: list[str]) -> list[dict[str, Any]]:
    """Records related to `record_ids` but distinct (same service layer or landing page, a
    different year, place or extent: indexer/fingerprints.py `link_conflict`), not merged."""
    inside = set(record_ids)
    out = []
    for pair in clusters().related(record_ids):
        for mine, other in ((pair.a, pair.b), (pair.b, pair.a)):
            if mine in inside and other not in inside:
                entry = _member(other, "")
                entry.pop("canonical", None)
                out.append({**entry, "related_to": mine, "detail": pair.detail})
    return out


def _no_args(*allowed: str) -> None:
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise BadQuery(f"unknown parameter {unknown[0]!r}")


@blueprint.get("/api/records/<record_id>/cluster")
def record_cluster(record_id: str) -> dict[str, Any]:
    _no_args()
    visible_record(record_id)  # 404 for an unknown record, or one the caller may not see
    view = clusters().cluster_of(record_id)
    return {
        "record_id": record_id,
        "cluster": cluster_payload(view) if view else None,
        "related": related_payload(view.members if view else [record_id]),
    }


@admin_blueprint.get("/api/admin/clusters")
def list_clusters() -> dict[str, Any]:
    _no_args("source")
    views = clusters().clusters(request.args.get("source") or None)
    return {"clusters": [cluster_payload(v) for v in views]}


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadQuery("send a JSON object")
    return body


def _cluster(cluster_id: str) -> ClusterView:
    view = clusters().cluster(cluster_id)
    if view is None:
        raise NotFound(f"no cluster {cluster_id!r}")
    return view


@admin_blueprint.post("/api/admin/clusters/<cluster_id>/split")
def split(cluster_id: str) -> dict[str, Any]:
    _no_args()
    body = _body()
    note = body.get("note") if isinstance(body.get("note"), str) else None
    result = split_cluster(cluster_id, body.get("record_ids"), note)
    return {"clusters": [cluster_payload(v) for v in result]}


def split_cluster(cluster_id: str, ids: object, note: str | None) -> list[ClusterView]:
    """Take `ids` out of the cluster for good and re-index its members (the API's split and
    the web workbench's); BadQuery unless they are some, not all, of its members."""
    view = _cluster(cluster_id)
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise BadQuery("record_ids must be a non-empty list of record ids")
    outside = sorted(set(ids) - set(view.members))
    if outside:
        raise BadQuery(f"record {outside[0]!r} is not a member of cluster {cluster_id!r}")
    if len(set(ids)) == len(view.members):
        raise BadQuery("name the records to take out, not every member")
    result = clusters().split(ids, note)
    _follow()
    logger.info("cluster %s split: %s taken out", cluster_id, ", ".join(ids))
    return result


@admin_blueprint.post("/api/admin/clusters/<cluster_id>/pin")
def pin(cluster_id: str) -> dict[str, Any]:
    _no_args()
    body = _body()
    note = body.get("note") if isinstance(body.get("note"), str) else None
    view = pin_canonical(cluster_id, body.get("record_id"), note)
    return {"cluster": cluster_payload(view)}


def pin_canonical(cluster_id: str, record_id: object, note: str | None) -> ClusterView:
    """Make a member canonical for good and re-index the cluster (the API's pin and the
    web workbench's); BadQuery unless `record_id` is a member."""
    view = _cluster(cluster_id)
    if not isinstance(record_id, str) or record_id not in view.members:
        raise BadQuery(f"record_id must be a member of cluster {cluster_id!r}")
    logger.info("cluster %s: %s pinned as canonical", cluster_id, record_id)
    view = clusters().pin(record_id, note)
    _follow()
    return view
