"""A stand-in for the geOrchestra security gateway in browser tests.

Chromium will not send a header whose name starts with `sec-` from a page (it is a
forbidden request-header prefix): `set_extra_http_headers({"sec-roles": ...})` reaches the
document request but fails every stylesheet, script and htmx request with
net::ERR_INVALID_ARGUMENT. The real gateway adds the sec-* headers itself, on the way to
the app, from its own session; this WSGI middleware does the same from a test cookie:
`GATEWAY_COOKIE=<role>` makes every request of that browser context arrive with the role's
sec-* headers (and any sec-* header the browser sent is dropped first, as the gateway does).

    app = GatewayMiddleware(create_app(runtime), ROLES)
    page.context.add_cookies([gateway_cookie(base_url, "admin")])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from http.cookies import SimpleCookie
from typing import Any

__all__ = ["GATEWAY_COOKIE", "GatewayMiddleware", "gateway_cookie"]

GATEWAY_COOKIE = "test_gateway_role"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class GatewayMiddleware:
    """Adds the sec-* headers of the role named by the gateway cookie."""

    def __init__(self, app: WsgiApp, roles: Mapping[str, Mapping[str, str]]) -> None:
        self.app = app
        self.roles = roles

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        for key in [k for k in environ if k.startswith("HTTP_SEC_")]:
            del environ[key]
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        role = cookie[GATEWAY_COOKIE].value if GATEWAY_COOKIE in cookie else ""
        for name, value in self.roles.get(role, {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        return self.app(environ, start_response)


def gateway_cookie(base_url: str, role: str) -> dict[str, str]:
    """The cookie (for BrowserContext.add_cookies) that signs the context in as `role`."""
    return {"name": GATEWAY_COOKIE, "value": role, "url": base_url}
