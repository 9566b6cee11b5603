"""Record-level access in the output protocols is the one of /api/search: the issue-8
callers (anonymous, role A, role B, admin, forged headers from an untrusted address) see
exactly their records in OGC API Records items, collections and single records, and in the
DCAT catalogue and datasets."""

from __future__ import annotations

import pytest
from flask import Flask
from rdflib.namespace import DCAT

from harvester.formats.rdf_document import load_graph
from moisson.record import Record
from tests.api.test_access import (  # the fixtures of the access matrix, reused as they are
    CALLERS,
    _expected,
    app,
    call,
    harvested,
    settings,
    stack,
)

__all__ = ["app", "harvested", "settings", "stack"]  # fixtures used by name below


@pytest.mark.parametrize("caller", CALLERS)
def test_records_items_and_collections_show_only_what_the_caller_may_see(
    app: Flask, harvested: list[Record], caller: str
) -> None:
    expected = {r.id for r in _expected(harvested, caller)}
    body = call(app, caller, "/ogcapi/collections/catalogue/items?limit=100").get_json(force=True)
    assert {f["id"] for f in body["features"]} == expected
    assert body["numberMatched"] == len(expected)
    collections = call(app, caller, "/ogcapi/collections").get_json(force=True)["collections"]
    listed = {c["id"] for c in collections}
    visible = {r.provenance.source_id for r in _expected(harvested, caller)}
    hidden = {r.provenance.source_id for r in harvested} - visible
    assert {f"source-{s}" for s in visible} <= listed
    assert not {f"source-{s}" for s in hidden} & listed
    for record in harvested:
        status = call(app, caller, f"/ogcapi/collections/catalogue/items/{record.id}").status_code
        assert status == (200 if record.id in expected else 404)


@pytest.mark.parametrize("caller", CALLERS)
def test_dcat_shows_only_what_the_caller_may_see(
    app: Flask, harvested: list[Record], caller: str
) -> None:
    expected = {r.id for r in _expected(harvested, caller)}
    response = call(app, caller, "/dcat?size=100&format=nt")
    graph = load_graph(response.get_data(), response.content_type)
    found = {str(d).rsplit("/", 1)[1] for d in graph.objects(None, DCAT.dataset)}
    assert found == expected
    for record in harvested:
        status = call(app, caller, f"/dcat/datasets/{record.id}").status_code
        assert status == (200 if record.id in expected else 404)
