"""One catalogue for the client tests, on each backend: the bundled sample ISO records
(themed, with WMS links), the 12 CITE Dublin Core records and the ISO AP records, the last
restricted to ROLE_STAFF, so access rules are exercised by every client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testkit.opensearch_support import drop_alias, fresh_alias
from tests.conftest import OPENSEARCH_TEST_URL, require
from tests.csw.catalogue import (
    APISO,
    CITE,
    SAMPLES,
    Served,
    conformance_sources,
    harvest_all,
    serve,
    settings_for,
)


@pytest.fixture(scope="session", params=["sqlite", "opensearch"])
def csw(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    conformance_sources()
    index_url = None
    alias = None
    if request.param == "opensearch":
        require(bool(OPENSEARCH_TEST_URL), "no OpenSearch node: set OPENSEARCH_TEST_URL")
        alias = fresh_alias("csw")
        index_url = f"{OPENSEARCH_TEST_URL}/{alias}"
    tmp = tmp_path_factory.mktemp(f"csw-{request.param}")
    settings = settings_for(
        tmp,
        {"samples": SAMPLES, "cite": CITE, "apiso": APISO},
        index_url,
        restricted=("apiso",),
    )
    harvest_all(settings)
    try:
        with serve(settings) as served:
            yield served
    finally:
        if alias is not None:
            drop_alias(OPENSEARCH_TEST_URL, alias)
