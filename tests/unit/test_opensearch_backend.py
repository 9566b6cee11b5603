"""The OpenSearch backend's pure parts: its URL and what a record becomes (no server)."""

from __future__ import annotations

import json

import pytest

from indexer.backends import build_backend
from indexer.backends.base import FACETS
from indexer.backends.opensearch import MAPPING_PATH, OpenSearchBackend, document
from moisson.errors import ConfigError
from moisson.record import BBox, Record


def test_the_url_names_hosts_alias_and_index_settings() -> None:
    backend = build_backend("https://user:secret@os1:9200,os2:9200/catalogue?replicas=1&shards=2")
    assert isinstance(backend, OpenSearchBackend)
    assert backend.hosts == ["https://user:secret@os1:9200", "https://user:secret@os2:9200"]
    assert (backend.alias, backend.replicas, backend.shards) == ("catalogue", 1, 2)
    assert "secret" not in repr(backend)


def test_the_alias_defaults_to_moisson() -> None:
    backend = build_backend("http://127.0.0.1:9200")
    assert isinstance(backend, OpenSearchBackend)
    assert (backend.alias, backend.replicas, backend.shards) == ("moisson", 0, 1)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9200/Upper", "http://h:9200/a/b", "http://h:9200/x?colour=red", "http:///x"],
)
def test_a_bad_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError):
        build_backend(url)


def test_the_mapping_has_a_keyword_field_for_every_facet() -> None:
    mapping = json.loads(MAPPING_PATH.read_text(encoding="utf-8"))["mappings"]["properties"]
    assert set(mapping["facets"]["properties"]) == set(FACETS)
    assert all(f["type"] == "keyword" for f in mapping["facets"]["properties"].values())
    assert mapping["extent"]["type"] == "geo_shape"


def test_the_document_fills_only_mapped_fields() -> None:
    mapping = json.loads(MAPPING_PATH.read_text(encoding="utf-8"))["mappings"]["properties"]
    record = Record.new("s", "r", title="Forêt", bboxes=[BBox(west=1, south=2, east=3, north=4)])
    assert set(document(record)) <= set(mapping)


@pytest.mark.parametrize(
    ("box", "kind"),
    [((1, 2, 3, 4), "envelope"), ((1, 2, 1, 2), "point"), ((1, 2, 1, 4), "linestring")],
)
def test_degenerate_boxes_become_points_or_lines(box: tuple[int, ...], kind: str) -> None:
    west, south, east, north = box
    bbox = BBox(west=west, south=south, east=east, north=north)
    extent = document(Record.new("s", "r", title="t", bboxes=[bbox]))["extent"]
    assert extent["type"] == kind


def test_several_boxes_become_a_collection() -> None:
    boxes = [BBox(west=0, south=0, east=1, north=1), BBox(west=5, south=5, east=6, north=6)]
    extent = document(Record.new("s", "r", title="t", bboxes=boxes))["extent"]
    assert extent["type"] == "geometrycollection" and len(extent["geometries"]) == 2
