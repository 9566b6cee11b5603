"""Shared plumbing of the workbench tests: the app over testkit/admin_catalogue.py with
geOrchestra identity (sec-* headers trusted from the test client's 127.0.0.1), callers
by role, and the CSRF token a page hands each caller."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from pipeline.runtime import Runtime
from search_api.app import create_app
from testkit.admin_catalogue import admin_settings, build_admin_catalogue

ADMIN_ROLE = "ROLE_MOISSON_ADMIN"
ADMIN = {"sec-username": "ada", "sec-roles": f"ROLE_USER;{ADMIN_ROLE}"}
STAFF = {"sec-username": "sam", "sec-roles": "ROLE_USER"}
ANONYMOUS: dict[str, str] = {}

_TOKEN = re.compile(r'"X-CSRF-Token": "([0-9a-f]+)"')


def admin_app(folder: Path) -> Iterator[tuple[Flask, Runtime]]:
    """The app over a freshly harvested admin catalogue in `folder` (a generator: use it
    from a fixture with `yield from`)."""
    settings = admin_settings(
        folder,
        auth={"mode": "georchestra", "trusted_proxies": ["127.0.0.1"], "admin_roles": [ADMIN_ROLE]},
    )
    with Runtime(settings) as runtime:
        build_admin_catalogue(runtime, folder)
        yield create_app(runtime), runtime


def token(client: FlaskClient, headers: dict[str, str]) -> str:
    """The CSRF token the site hands this caller (from the htmx header every page holds)."""
    html = client.get("/", headers=headers).get_data(as_text=True)
    found = _TOKEN.search(html)
    assert found, html[:500]
    return found.group(1)
