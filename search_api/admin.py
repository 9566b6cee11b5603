"""/api/admin: harvest on demand, quarantine, runs, held retirements, retired records.

Access: every route goes through `require_admin()`, the one place where admin access is
decided: the caller (search_api/auth.py) must be an admin, i.e. hold one of
`auth.admin_roles`, or send `Authorization: Bearer <api.admin_token>`, or `api.admin_open`
is set (local development); otherwise 401 (anonymous) or 403 (identified, not an admin).

A harvest triggered here runs in a background thread of this process with the app's runtime
(the same `harvest_source` the CLI and the scheduler use); `?wait=1` runs it inside the
request instead and returns the run.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from moisson.errors import BadQuery, ConfigError, Conflict, NotFound
from pipeline.harvest import harvest_source
from pipeline.retirement import (
    approve_review,
    record_history,
    reject_review,
    retired_records,
    reviews,
)
from pipeline.runs import owner_alive
from pipeline.runtime import Runtime
from search_api.auth import identity
from search_api.serialise import run_summary
from search_api.state import state

__all__ = ["blueprint", "require_admin", "run_log", "start_harvest"]

logger = logging.getLogger(__name__)

blueprint = Blueprint("admin", __name__)

_running: set[str] = set()  # sources harvested by threads of this process
_running_lock = threading.Lock()


def require_admin() -> None:
    """The admin access check, run before every /api/admin request: the caller must hold
    one of `auth.admin_roles` (or the `api.admin_token`, or `api.admin_open` is set; see
    search_api/auth.py). 401 for an anonymous caller, 403 for one without an admin role
    and when no admin can exist (mode `anonymous`, no admin token)."""
    who = identity()
    if who.admin:
        return
    settings = state().settings
    if settings.auth.mode == "anonymous" and settings.api.admin_token is None:
        abort(
            403,
            "admin endpoints are closed: set MOISSON_API__ADMIN_TOKEN, or auth.mode "
            "`georchestra` or `token` with an admin role",
        )
    if who.kind == "anonymous":
        abort(401, "admin endpoints need an admin: sign in, or send `Authorization: Bearer`")
    abort(403, "admin endpoints need one of the roles in auth.admin_roles")


blueprint.before_request(require_admin)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _iso(v) if isinstance(v, datetime) else v for k, v in row.items()}


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name)
    if value is None or value == "":
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise BadQuery(f"{name} must be an integer from {low} to {high}")
    return int(value)


def _flag(name: str) -> bool:
    value = request.args.get(name, "0").lower()
    if value not in {"0", "1", "true", "false"}:
        raise BadQuery(f"{name} must be 0, 1, true or false")
    return value in {"1", "true"}


def _source_arg() -> str | None:
    source = request.args.get("source") or None
    if source is not None:
        try:
            state().settings.source(source)
        except ConfigError as exc:  # the message lists the known sources
            raise BadQuery(exc.message) from exc
    return source


def _check_args(*allowed: str) -> None:
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise BadQuery(f"unknown parameter {unknown[0]!r}; allowed: {', '.join(allowed)}")


def run_log(message: str | None) -> list[str]:
    """A run's error and anomaly notes, one entry each (the store keeps them '; '-joined)."""
    return [part for part in (message or "").split("; ") if part]


# -- harvest ---------------------------------------------------------------------------------


def _harvest(runtime: Runtime, source_id: str, full: bool) -> dict[str, Any]:
    result = harvest_source(runtime, runtime.settings.source(source_id), full=full)
    [run] = [r for r in runtime.store.runs(source_id, limit=5) if r.id == result.report.run_id]
    return {
        "source": source_id,
        "run": {**(run_summary(run) or {}), "retired": run.retired},
        "retirement": {
            "verdict": result.retirement.verdict.value,
            "retired": len(result.retirement.retired),
            "review_id": result.retirement.review_id,
            "reason": result.retirement.reason,
        },
    }


def _in_thread(runtime: Runtime, source_id: str, full: bool) -> None:
    try:
        summary = _harvest(runtime, source_id, full)
        logger.info("admin-triggered run of %s: %s", source_id, summary["run"]["status"])
    except Exception:
        logger.exception("admin-triggered run of %s failed", source_id)
    finally:
        with _running_lock:
            _running.discard(source_id)


@blueprint.post("/api/admin/sources/<source_id>/harvest")
def harvest(source_id: str) -> tuple[Response, int]:
    _check_args("full", "wait")
    app = state()
    settings = app.settings
    try:
        settings.source(source_id)
    except ConfigError as exc:
        raise NotFound(exc.message) from exc
    full, wait = _flag("full"), _flag("wait")
    _claim(app, source_id)
    if wait:
        try:
            return jsonify(_harvest(app, source_id, full)), 200
        finally:
            with _running_lock:
                _running.discard(source_id)
    start_harvest(app, source_id, full, claimed=True)
    return jsonify({"source": source_id, "status": "started", "full": full}), 202


def _claim(runtime: Runtime, source_id: str) -> None:
    """Conflict when the source is being harvested (by any process); else mark it ours."""
    last = runtime.store.latest_run(source_id)
    if last is not None and last.status == "running" and owner_alive(last.owner, last.heartbeat):
        raise Conflict(f"source {source_id} is already being harvested (run {last.id})")
    with _running_lock:
        if source_id in _running:
            raise Conflict(f"source {source_id} is already being harvested by this server")
        _running.add(source_id)


def start_harvest(runtime: Runtime, source_id: str, full: bool, *, claimed: bool = False) -> None:
    """Harvest a configured source in a background thread of this process (the API's
    POST .../harvest and the web workbench's "harvest now"); Conflict when it is already
    being harvested. Follow it through the store's runs."""
    if not claimed:
        _claim(runtime, source_id)
    thread = threading.Thread(
        target=_in_thread, args=(runtime, source_id, full), name=f"harvest-{source_id}"
    )
    thread.start()


# -- quarantine and runs ------------------------------------------------------------------


@blueprint.get("/api/admin/quarantine")
def quarantine() -> dict[str, Any]:
    _check_args("source", "resolved", "limit")
    entries = state().store.quarantined(
        _source_arg(),
        limit=_int_arg("limit", 100, 1, 1000),
        include_resolved=_flag("resolved"),
    )
    return {
        "quarantine": [
            {**_jsonable(e), "raw_url": f"/api/admin/quarantine/{e['id']}/raw"} for e in entries
        ]
    }


@blueprint.get("/api/admin/quarantine/<int:entry_id>/raw")
def quarantine_raw(entry_id: int) -> Response:
    _check_args()
    store = state().store
    entry = store.quarantine_entry(entry_id)
    if entry is None:
        raise NotFound(f"no quarantine entry {entry_id}")
    body, content_type = store.raw_payload(entry["raw_sha256"])
    response = Response(body, content_type=content_type)
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@blueprint.get("/api/admin/runs")
def runs() -> dict[str, Any]:
    _check_args("source", "limit")
    rows = state().store.runs(_source_arg(), limit=_int_arg("limit", 50, 1, 1000))
    return {
        "runs": [
            {
                **(run_summary(run) or {}),
                "source_id": run.source_id,
                "retired": run.retired,
                "log": run_log(run.message),
            }
            for run in rows
        ]
    }


# -- retirement ----------------------------------------------------------------------------


@blueprint.get("/api/admin/retirements")
def retirements() -> dict[str, Any]:
    _check_args("status")
    status = request.args.get("status", "pending")
    if status not in {"pending", "approved", "rejected", "all"}:
        raise BadQuery("status must be pending, approved, rejected or all")
    found = reviews(state().store, None if status == "all" else status)
    return {"reviews": [_jsonable(r) for r in found]}


@blueprint.post("/api/admin/retirements/<int:review_id>/approve")
def approve(review_id: int) -> dict[str, Any]:
    _check_args()
    app = state()
    retired = approve_review(app.store, app.backend, review_id)
    return {"review_id": review_id, "status": "approved", "retired": retired}


@blueprint.post("/api/admin/retirements/<int:review_id>/reject")
def reject(review_id: int) -> dict[str, Any]:
    _check_args()
    reject_review(state().store, review_id)
    return {"review_id": review_id, "status": "rejected"}


@blueprint.get("/api/admin/records/retired")
def retired() -> dict[str, Any]:
    _check_args("source", "limit")
    found = retired_records(state().store, _source_arg(), limit=_int_arg("limit", 100, 1, 1000))
    return {"records": [_jsonable(r) for r in found]}


@blueprint.get("/api/admin/records/<record_id>/history")
def history(record_id: str) -> dict[str, Any]:
    _check_args()
    found = record_history(state().store, record_id)
    found["events"] = [_jsonable(e) for e in found["events"]]
    return _jsonable(found)
