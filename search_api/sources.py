"""GET /api/sources: each configured source with its record count and last harvest run, so
users can see where the catalogue comes from and how fresh each part is.

A source's address is shown in full to admins only. Others see it when it is a public web
address (http or https, a public host name or address, no credentials), without query
parameters that look like secrets; a server-side path (`file:`), a loopback, private or
intranet host (`http://10.0.0.5/`, `http://geoserver:8080/`, `*.internal`) is `null`: it
tells an outsider about the network and helps nobody outside it.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint

from search_api.auth import access_policy, identity, query_roles
from search_api.serialise import run_summary
from search_api.state import state

__all__ = ["blueprint"]


blueprint = Blueprint("sources", __name__)


@blueprint.get("/api/sources")
def sources() -> dict[str, Any]:
    app = state()
    counts = app.store.counts_by_source()
    listed = []
    policy, roles = access_policy(), query_roles()
    admin = identity().admin
    for source in app.settings.sources:
        if not policy.may_see(source.id, roles):  # a restricted catalogue stays unlisted
            continue
        runs = app.store.runs(source.id, limit=1)
        listed.append(
            {
                "id": source.id,
                "kind": source.kind,
                "name": source.name or source.id,
                "url": source.url if admin else public_url(source.url),
                "enabled": source.enabled,
                "records": counts.get(source.id, 0),
                "last_run": run_summary(runs[0] if runs else None),
            }
        )
    return {"sources": listed}


# Names that only resolve inside an organisation (RFC 6762, 8375, 2606 and common practice).
_INTERNAL_SUFFIXES = (
    ".local", ".localdomain", ".internal", ".intranet", ".lan", ".home", ".home.arpa",
    ".corp", ".private", ".localhost", ".test", ".invalid",
)  # fmt: skip
_SECRET_WORDS = ("token", "key", "secret", "password", "passwd", "auth", "sig", "credential")


def public_url(url: str) -> str | None:
    """The address as an outsider may see it, or None when it is not a public web address."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return None
    try:
        if not ipaddress.ip_address(host).is_global:
            return None
    except ValueError:  # a name, not an address
        if "." not in host or host.endswith(_INTERNAL_SUFFIXES):
            return None
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not any(word in name.lower() for word in _SECRET_WORDS)
    ]
    return urlunsplit(parts._replace(query=urlencode(query), fragment=""))
