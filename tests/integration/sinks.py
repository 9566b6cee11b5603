"""A real store + index pair for harvest tests (SQLite files under the test's tmp_path)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harvester.base import Source, SourceContext
from harvester.http import HttpClient
from indexer.backends import build_backend
from indexer.store import Store
from moisson.config import HarvestSettings, SourceSettings
from pipeline.ingest import Ingestor
from pipeline.runs import RunReport, run_source

# The shared HTTP policy made quick for loopback test servers: real retries and backoff,
# in milliseconds, no rate limit, and 127.0.0.1 allowed (refused by default).
FAST_POLICY = HarvestSettings(
    retries=2,
    backoff_base=0.01,
    backoff_max=0.05,
    rate_limit=0,
    timeout=2,
    allowed_hosts=["127.0.0.1"],
)


@contextmanager
def open_ingestor(tmp_path: Path) -> Iterator[Ingestor]:
    backend = build_backend(f"sqlite:///{tmp_path}/index.db")
    with Store(f"sqlite:///{tmp_path}/store.db") as store:
        backend.open()
        try:
            yield Ingestor(store, backend)
        finally:
            backend.close()


def harvest_with(
    source_class: type[Source], options: SourceSettings, ingestor: Ingestor, **kwargs: object
) -> RunReport:
    """One run of a source over real HTTP with the shared client policy (fast retries)."""
    with HttpClient(
        HarvestSettings(backoff_base=0.01, rate_limit=0, retries=1, allowed_hosts=["127.0.0.1"])
    ) as http:
        source = source_class(options, SourceContext.with_http(http))
        return run_source(source, options.id, ingestor, **kwargs)  # type: ignore[arg-type]


def write_config(tmp_path: Path, sources: list[dict[str, object]]) -> Path:
    """A moisson.toml with an embedded store and index under tmp_path and these sources."""
    lines = [
        "[store]",
        'url = "sqlite:///var/store.db"',
        "[index]",
        'url = "sqlite:///var/index.db"',
        "[harvest]",
        "rate_limit = 0",
        'allowed_hosts = ["127.0.0.1"]',  # the test servers
        "allow_files = true",
    ]
    for source in sources:
        lines.append("[[sources]]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in source.items())
    (tmp_path / "var").mkdir(exist_ok=True)
    path = tmp_path / "moisson.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
