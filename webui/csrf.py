"""Cross-site request forgery protection for every state-changing request of the web pages.

A random nonce lives in an HttpOnly, SameSite=Strict cookie; the token a form or htmx sends
is a hash of that nonce and the caller's identity, so another site can neither read nor forge
it, and a token does not carry over to another user. No server secret is involved, so every
gunicorn worker checks the tokens of every other one.

- templates: `{{ csrf_field() }}` inside each form (a hidden input); base.html gives htmx the
  token as the `X-CSRF-Token` header of every request it sends.
- `check()` runs before every POST, PUT, PATCH and DELETE of a web-interface blueprint
  (installed by webui.site.install) and answers 400 with a clear message when the token is
  missing or wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Response, abort, g, request
from markupsafe import Markup, escape

from webui.identity import current_user

__all__ = ["COOKIE", "FIELD", "HEADER", "check", "csrf_field", "csrf_token", "set_cookie"]

COOKIE = "moisson_csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _nonce() -> str:
    found = g.get("webui_csrf_nonce")
    if found is None:
        found = request.cookies.get(COOKIE, "")
        if len(found) < 32:
            found = secrets.token_urlsafe(32)
            g.webui_csrf_new = True
        g.webui_csrf_nonce = found
    return found  # type: ignore[no-any-return]


def _token_for(nonce: str) -> str:
    who = current_user()
    bound = f"{nonce}|{who.kind}|{who.user or ''}"
    return hashlib.sha256(bound.encode()).hexdigest()


def csrf_token() -> str:
    """The token for the current caller (sets the cookie on this response if needed)."""
    return _token_for(_nonce())


def csrf_field() -> Markup:
    """The hidden input every form of the web interface carries."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(csrf_token())}">')


def check() -> None:
    """Refuse an unsafe request without the caller's token (400)."""
    if request.method not in UNSAFE_METHODS:
        return
    nonce = request.cookies.get(COOKIE, "")
    sent = request.headers.get(HEADER) or request.form.get(FIELD, "")
    if not nonce or not sent:
        abort(400, "missing CSRF token: reload the page and submit the form again")
    if not hmac.compare_digest(sent.encode(), _token_for(nonce).encode()):
        abort(400, "invalid CSRF token: reload the page and submit the form again")


def set_cookie(response: Response) -> Response:
    """Send the nonce cookie when this request made a new one."""
    if g.get("webui_csrf_new"):
        response.set_cookie(
            COOKIE,
            g.webui_csrf_nonce,
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
        )
    return response
