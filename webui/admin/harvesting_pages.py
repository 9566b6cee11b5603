"""Harvesting pages of the workbench.

- `/admin/harvesting`: every source's health (pipeline/source_health.py: last run, status,
  duration, counts, schedule and next run, held retirements) with a "harvest now" button:
  the same background start as POST /api/admin/sources/<id>/harvest (start_harvest).
- `/admin/harvesting/<source>/progress`: the run started last, refreshed while it runs
  (htmx polls the fragment every second; without JavaScript a "refresh" link does).
- `/admin/harvesting/runs`: run history with each run's log notes.
- `/admin/quarantine`: records that could not be read, with the reason; one entry shows
  its raw payload as text (never rendered as HTML).
- `/admin/retirements`: retirements held by the circuit breaker with the records they
  would retire; approve or reject (pipeline/retirement.py, as the JSON endpoints do).
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.wrappers import Response

from moisson.errors import BadQuery, ConfigError, NotFound
from pipeline.retirement import approve_review, reject_review, reviews
from pipeline.source_health import source_health
from search_api.admin import run_log, start_harvest
from search_api.state import state
from webui.admin.base import blueprint, done_redirect, int_arg
from webui.pages import render_page

__all__: list[str] = []

PAYLOAD_SHOWN = 200_000  # characters of a raw payload shown on the page
AFFECTED_SHOWN = 500  # records listed per held retirement


def _known_source(source_id: str) -> None:
    try:
        state().settings.source(source_id)
    except ConfigError as exc:
        raise NotFound(exc.message) from exc


def _source_arg() -> str | None:
    source = request.args.get("source") or None
    if source is not None:
        known = [s.id for s in state().settings.sources]
        if source not in known:
            raise BadQuery(f"unknown source {source!r}; known: {', '.join(known)}")
    return source


@blueprint.get("/harvesting")
def harvesting() -> tuple[str, int]:
    return render_page("admin/harvesting.html", sources=source_health(state()))


@blueprint.post("/harvesting/<source_id>/harvest")
def harvest_now(source_id: str) -> Response:
    _known_source(source_id)
    app = state()
    last = app.store.latest_run(source_id)
    start_harvest(app, source_id, full=bool(request.form.get("full")))
    return done_redirect(
        "webui_admin.progress", "started", source_id=source_id, after=last.id if last else 0
    )


@blueprint.get("/harvesting/<source_id>/progress")
def progress(source_id: str) -> tuple[str, int]:
    """The latest run of the source after run `after` (the one before "harvest now")."""
    _known_source(source_id)
    after = int_arg("after", 0, 0, 2**31)
    last = state().store.latest_run(source_id)
    run = last if last is not None and last.id > after else None
    context: dict[str, Any] = {
        "source_id": source_id,
        "run": run,
        "after": after,
        "log": run_log(run.message) if run else [],
        "polling": run is None or run.status == "running",
    }
    if request.headers.get("HX-Request"):
        return render_page("admin/_run_progress.html", **context)
    return render_page("admin/progress.html", **context)


@blueprint.get("/harvesting/runs")
def runs() -> tuple[str, int]:
    source = _source_arg()
    rows = state().store.runs(source, limit=int_arg("limit", 50, 1, 1000))
    return render_page(
        "admin/runs.html",
        runs=[(run, run_log(run.message)) for run in rows],
        source=source or "",
        sources=[s.id for s in state().settings.sources],
    )


@blueprint.get("/quarantine")
def quarantine() -> tuple[str, int]:
    source = _source_arg()
    resolved = request.args.get("resolved") == "1"
    entries = state().store.quarantined(
        source, limit=int_arg("limit", 100, 1, 1000), include_resolved=resolved
    )
    return render_page(
        "admin/quarantine.html",
        entries=entries,
        source=source or "",
        resolved=resolved,
        sources=[s.id for s in state().settings.sources],
    )


@blueprint.get("/quarantine/<int:entry_id>")
def quarantine_entry(entry_id: int) -> tuple[str, int]:
    store = state().store
    entry = store.quarantine_entry(entry_id)
    if entry is None:
        raise NotFound(f"no quarantine entry {entry_id}")
    body, content_type = store.raw_payload(entry["raw_sha256"])
    text = body.decode("utf-8", errors="replace")
    return render_page(
        "admin/quarantine_entry.html",
        entry=entry,
        content_type=content_type,
        size=len(body),
        payload=text[:PAYLOAD_SHOWN],
        truncated=len(text) > PAYLOAD_SHOWN,
    )


def _affected(record_ids: list[str]) -> list[dict[str, Any]]:
    store = state().store
    found: list[dict[str, Any]] = []
    for record_id in record_ids[:AFFECTED_SHOWN]:
        try:
            record = store.get(record_id)
        except NotFound:
            found.append({"id": record_id, "title": None, "original_id": None})
            continue
        found.append(
            {
                "id": record_id,
                "title": record.title,
                "original_id": record.provenance.original_id,
                "last_seen": record.provenance.last_seen,
            }
        )
    return found


@blueprint.get("/retirements")
def retirements() -> tuple[str, int]:
    status = request.args.get("status", "pending")
    if status not in {"pending", "approved", "rejected", "all"}:
        raise BadQuery("status must be pending, approved, rejected or all")
    found = reviews(state().store, None if status == "all" else status)
    return render_page(
        "admin/retirements.html",
        reviews=[(r, _affected(r["record_ids"])) for r in found],
        status=status,
        shown=AFFECTED_SHOWN,
    )


@blueprint.post("/retirements/<int:review_id>/approve")
def approve(review_id: int) -> Response:
    app = state()
    retired = approve_review(app.store, app.backend, review_id)
    return done_redirect(
        "webui_admin.retirements", "approved", review=review_id, retired=len(retired)
    )


@blueprint.post("/retirements/<int:review_id>/reject")
def reject(review_id: int) -> Response:
    reject_review(state().store, review_id)
    return done_redirect("webui_admin.retirements", "rejected", review=review_id)
