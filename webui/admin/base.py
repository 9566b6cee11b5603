"""The admin workbench blueprint (`/admin/...`) and what its pages share.

Every route of the blueprint, GET or POST, first passes `require_admin_page()` (403 page
for anonymous and non-admin callers, from the same identity as the JSON API); every POST
also carries the CSRF token (webui.site checks it before any page blueprint runs). Actions
call the functions behind the JSON admin endpoints (search_api/admin.py, themes.py,
clusters.py), never HTTP. After a POST the browser is redirected (303) to a page that says
what happened (`?done=` with a message key and counts), so a reload never repeats an
action.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from string import Formatter
from typing import Any

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from moisson.errors import BadQuery
from webui.i18n import messages, t
from webui.identity import require_admin_page
from webui.pages import page_blueprint

__all__ = [
    "DONE",
    "blueprint",
    "done_notice",
    "done_redirect",
    "duration_text",
    "form_text",
    "int_arg",
    "when_text",
]

blueprint = page_blueprint("webui_admin", __name__, url_prefix="/admin")


@blueprint.before_request
def _admins_only() -> None:
    require_admin_page()


def done_redirect(endpoint: str, done: str, **values: Any) -> Response:
    """303 to `endpoint`, with `done` (an admin.done.* message key) and its counts, so the
    page shows what the action did."""
    return redirect(url_for(endpoint, done=done, **values), code=303)


def form_text(name: str, *, required: bool = True, limit: int = 2000) -> str:
    """A trimmed form field; BadQuery (a 400 page) when required and missing or too long."""
    value = request.form.get(name, "").strip()
    if required and not value:
        raise BadQuery(f"the form field {name!r} is required")
    if len(value) > limit:
        raise BadQuery(f"the form field {name!r} is longer than {limit} characters")
    return value


def int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadQuery(f"{name} must be an integer from {low} to {high}")
    return int(raw)


def when_text(value: datetime | None) -> str:
    """A stored (naive UTC) or aware time as `2026-12-03 14:05 UTC`; '' for None."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def duration_text(value: timedelta | None) -> str:
    if value is None:
        return ""
    seconds = value.total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


DONE = ("applied", "removed", "split", "pinned", "started", "approved", "rejected")


def done_notice() -> str | None:
    """The message of `?done=` (what the last action did), None when there is none or
    its counts are missing (a hand-made URL): never an error."""
    done = request.args.get("done", "")
    if done not in DONE:
        return None
    key = f"admin.done.{done}"
    wanted = {name for _, name, _, _ in Formatter().parse(messages()["en"][key]) if name}
    params = {name: request.args.get(name, "") for name in wanted}
    if not all(params.values()):
        return None
    return t(key, **params)


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    return {"when": when_text, "duration": duration_text, "done_notice": done_notice}
