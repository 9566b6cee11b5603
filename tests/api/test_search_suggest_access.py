"""GET /api/suggest filters by access like /api/search: each caller of the access catalogue
(tests/api/test_access.py, whose fixtures this module reuses) only gets completions from the
records it may see."""

from __future__ import annotations

import pytest
from flask import Flask

from moisson.record import Record
from tests.api.test_access import (  # noqa: F401  (fixtures of the access catalogue)
    CALLERS,
    _expected,
    app,
    call,
    harvested,
    settings,
    stack,
)


@pytest.mark.parametrize("caller", list(CALLERS))
def test_suggestions_come_only_from_records_the_caller_may_see(
    app: Flask,  # noqa: F811
    harvested: list[Record],  # noqa: F811
    caller: str,
) -> None:
    found = set(call(app, caller, "/api/suggest?q=prospection&size=50").get_json()["suggestions"])
    visible = _expected(harvested, caller)
    allowed = {r.title for r in visible} | {k.label for r in visible for k in r.keywords}
    assert found <= allowed
    sees_agency_b = any(r.provenance.source_id == "agency-b" for r in visible)
    assert bool(found) == sees_agency_b
    if sees_agency_b:
        assert "prospection" in found and "Prospection pétrolière lot 1" in found
