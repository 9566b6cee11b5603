"""Who is calling, and what every response does about it.

Identity (config `[auth]`, decided once per request by `identity()`):

- `api.admin_open`: everyone is an admin (local development only).
- `Authorization: Bearer <api.admin_token>`: an admin, whatever the mode (kept for scripts).
- mode `token`: `Authorization: Bearer <token>` from `moisson tokens create`; the token's
  roles. An unknown or revoked token is a 401, never a silent anonymous downgrade.
- mode `georchestra`: the security gateway's `sec-username`, `sec-roles` (`;`-separated)
  and `sec-org`, trusted only from `auth.trusted_proxies`; from any other address they are
  ignored (the caller is anonymous) and logged.
- otherwise anonymous: public records only.

A caller holding one of `auth.admin_roles` is an admin: every record, and /api/admin
(`search_api.admin.require_admin`). Everyone else sees public records and those of sources
restricted to one of their roles: `query_roles()` goes into every Query, so the backends
filter inside their queries; `visible_record()` guards the record endpoints.

Every response (see `install`): security headers, CORS for `api.cors_origins`, a request
size limit (413), an anonymous per-client rate limit (429 + Retry-After; the client is the
forwarded-for address behind `auth.trusted_proxies`, counted once for all workers:
search_api/rate_limit.py) and one structured access-log line (no header, token or
credential-looking query value is ever logged).
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import os
import time
from dataclasses import dataclass

from flask import Flask, Response, abort, current_app, g, request

from indexer.access import AccessPolicy
from indexer.tokens import Tokens
from moisson.errors import NotFound
from moisson.record import Record
from search_api.client_address import client_address, is_trusted
from search_api.rate_limit import RateLimiter, shared_limiter
from search_api.state import state

__all__ = [
    "ANONYMOUS",
    "Identity",
    "RateLimiter",
    "access_policy",
    "client",
    "identity",
    "install",
    "query_roles",
    "visible_record",
]

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("moisson.access")

SEC_HEADERS = ("sec-username", "sec-roles", "sec-org")
_SECRET_WORDS = ("token", "key", "secret", "password", "passwd", "auth")


@dataclass(frozen=True)
class Identity:
    kind: str  # anonymous, georchestra, token, admin-token, open
    user: str | None = None
    roles: frozenset[str] = frozenset()
    org: str | None = None
    admin: bool = False

    def query_roles(self) -> list[str] | None:
        """What goes into Query.roles: None (everything) for admins, else the roles."""
        return None if self.admin else sorted(self.roles)


ANONYMOUS = Identity("anonymous")


def access_policy() -> AccessPolicy:
    """The access rules of the configured sources (the runtime's, built once)."""
    return state().access


def _bearer() -> str | None:
    """The bearer token sent, if any. Other schemes (a gateway's Basic header) are ignored."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    if not token.strip():
        abort(401, "send credentials as `Authorization: Bearer <token>`")
    return token.strip()


def _identify() -> Identity:
    settings = state().settings
    auth, api = settings.auth, settings.api
    admin_roles = set(auth.admin_roles)
    if api.admin_open:
        return Identity("open", admin=True)
    token = _bearer()
    if token is not None:
        expected = api.admin_token.get_secret_value() if api.admin_token else None
        if expected and hmac.compare_digest(token.encode(), expected.encode()):
            return Identity("admin-token", user="admin-token", admin=True)
        if auth.mode != "token":
            abort(401, "unknown bearer token")

        roles = Tokens(state().store).roles_of(token)
        if roles is None:
            abort(401, "unknown or revoked API token; create one with `moisson tokens create`")
        held = frozenset(roles)
        return Identity("token", user="token", roles=held, admin=bool(held & admin_roles))
    if auth.mode == "georchestra" and any(h in request.headers for h in SEC_HEADERS):
        if not is_trusted(request.remote_addr, auth.trusted_proxies):
            logger.warning(
                "ignored sec-* headers from untrusted address %s (not in auth.trusted_proxies)",
                request.remote_addr,
            )
            return ANONYMOUS
        raw = request.headers.get("sec-roles", "")
        held = frozenset(r.strip() for r in raw.split(";") if r.strip())
        return Identity(
            "georchestra",
            user=request.headers.get("sec-username") or None,
            roles=held,
            org=request.headers.get("sec-org") or None,
            admin=bool(held & admin_roles),
        )
    return ANONYMOUS


def identity() -> Identity:
    """The caller of the current request (computed once, then cached on flask.g)."""
    found = g.get("moisson_identity")
    if found is None:
        found = _identify()
        g.moisson_identity = found
    return found  # type: ignore[no-any-return]


def query_roles() -> list[str] | None:
    return identity().query_roles()


def visible_record(record_id: str) -> Record:
    """The stored record if the caller may see it (retired records: admins only); NotFound
    otherwise, with the message of an unknown id, so a restricted record's existence is not
    revealed."""
    try:
        record = state().store.get(record_id)
    except NotFound:
        raise NotFound(f"no record with id {record_id!r}") from None
    roles = query_roles()
    if not access_policy().may_see(record.provenance.source_id, roles):
        raise NotFound(f"no record with id {record_id!r}")
    if roles is not None and not state().store.active([record_id]):
        raise NotFound(f"no record with id {record_id!r}")  # retired: admins only
    return record


# -- hooks --------------------------------------------------------------------------------


def _redacted_query() -> str:
    parts = []
    for name, value in request.args.items(multi=True):
        hidden = any(word in name.lower() for word in _SECRET_WORDS)
        parts.append(f"{name}={'[redacted]' if hidden else value[:200]}")
    return "&".join(parts)


def _before() -> None:
    g.moisson_started = time.perf_counter()
    settings = state().settings
    length = request.content_length
    if length is not None and length > settings.api.max_request_bytes:
        abort(
            413, f"request body over {settings.api.max_request_bytes} bytes (api.max_request_bytes)"
        )
    if request.method == "OPTIONS" or not request.path.startswith("/api/"):
        return
    who = identity()
    limiter: RateLimiter | None = _state_extension("moisson.ratelimit")
    if who.kind == "anonymous" and limiter is not None:
        wait = limiter.hit(client())
        if wait is not None:
            g.moisson_retry_after = max(1, math.ceil(wait))
            abort(
                429, "too many requests from this address; retry later (api.anonymous_rate_limit)"
            )


def client() -> str:
    """The client's address: behind a trusted proxy, the one it forwarded for
    (search_api/client_address.py); computed once per request."""
    found = g.get("moisson_client")
    if found is None:
        proxies = state().settings.auth.trusted_proxies
        found = client_address(request.remote_addr, request.headers.get, proxies)
        g.moisson_client = found
    return found  # type: ignore[no-any-return]


def _state_extension(name: str) -> RateLimiter | None:
    return current_app.extensions.get(name)  # type: ignore[no-any-return]


def _after(response: Response) -> Response:
    settings = state().settings
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if response.status_code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="moisson"')
    retry = g.get("moisson_retry_after")
    if retry is not None and response.status_code == 429:
        headers["Retry-After"] = str(retry)
    # What a response holds depends on who asked: caches must not hand it to someone else.
    vary = [v.strip() for v in headers.get("Vary", "").split(",") if v.strip()]
    vary += ["Authorization", "sec-roles", "sec-username"]
    who = g.get("moisson_identity")
    if who is not None and who.kind != "anonymous":
        headers["Cache-Control"] = "private, no-store"
    origin = request.headers.get("Origin")
    allowed = settings.api.cors_origins
    if origin and allowed and ("*" in allowed or origin in allowed):
        headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
        vary.append("Origin")
        if request.method == "OPTIONS":
            headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
            headers["Access-Control-Max-Age"] = "600"
    headers["Vary"] = ", ".join(dict.fromkeys(vary))
    _log(response, who)
    return response


def _log(response: Response, who: Identity | None) -> None:
    started = g.get("moisson_started")
    line = {
        "remote": request.remote_addr,
        "client": client(),  # the forwarded-for address behind a trusted proxy
        "pid": os.getpid(),  # which server worker answered
        "method": request.method,
        "path": request.path,
        "query": _redacted_query(),
        "status": response.status_code,
        "bytes": response.calculate_content_length(),
        "ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        "auth": who.kind if who else "anonymous",
        "user": who.user if who else None,
    }
    access_logger.info(json.dumps(line, ensure_ascii=False))


def install(app: Flask) -> None:
    """Register the hooks (call once, in create_app, before the blueprints' own)."""
    api = app.extensions["moisson"].settings.api
    app.config["MAX_CONTENT_LENGTH"] = api.max_request_bytes
    if api.anonymous_rate_limit:
        # Shared by every gunicorn worker when `moisson serve` prepared it before forking.
        app.extensions["moisson.ratelimit"] = shared_limiter(
            api.anonymous_rate_limit, api.rate_limit_window
        )
    app.before_request(_before)
    app.after_request(_after)
