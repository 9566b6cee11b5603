"""Who is looking at a page: the same identity as the JSON API (search_api/auth.py: the
geOrchestra sec-* headers from trusted proxies, bearer tokens, `api.admin_open`), never a
second implementation."""

from __future__ import annotations

from flask import abort

from search_api.auth import Identity, identity

__all__ = ["Identity", "current_user", "require_admin_page"]


def current_user() -> Identity:
    """The caller of the current request (anonymous when nobody is identified)."""
    return identity()


def require_admin_page() -> Identity:
    """Stop a page or action for anyone but an admin: a 403 page (also for anonymous callers:
    behind geOrchestra, logging in is the gateway's job, not ours)."""
    who = identity()
    if not who.admin:
        abort(403, "this page is for administrators (one of the roles in auth.admin_roles)")
    return who
