"""Server time of the admin workbench pages on N generated records, against the JSON admin
endpoint that does the same work in the same run (the peer: what the page adds is
templates and the extra facts it shows).

    .venv/bin/python -m bench.bench_admin_pages 10000

N records from bench/generate.py are harvested (themes and duplicates on) from a `file:`
CSW folder, then each page is requested in-process through the Flask test client as an
admin (api.admin_open), p50 of 5 requests after one warm-up (one request for pages
over a second).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask.testing import FlaskClient

from bench.generate import write_records
from moisson.config import Settings
from pipeline.harvest import harvest_source
from pipeline.runtime import Runtime
from search_api.app import create_app

PAGES = [
    ("/admin/", None),
    ("/admin/themes", "/api/admin/unmapped"),
    ("/admin/themes/rule?keyword=x", None),
    ("/admin/thesaurus", None),
    ("/admin/duplicates", "/api/admin/clusters"),
    ("/admin/harvesting", "/api/sources"),
    ("/admin/harvesting/runs", "/api/admin/runs"),
    ("/admin/quarantine", "/api/admin/quarantine"),
    ("/admin/retirements", "/api/admin/retirements"),
]


def _p50(client: FlaskClient, path: str, repeat: int = 5) -> float:
    """p50 of `repeat` requests after a warm-up one; pages over a second are timed once."""
    started = time.perf_counter()
    assert client.get(path).status_code == 200, path
    if time.perf_counter() - started > 1:
        repeat = 1
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    return statistics.median(times)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        sys.exit("usage: python -m bench.bench_admin_pages N")
    n = int(argv[0])
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        write_records(folder / "csw", n)
        settings = Settings.model_validate(
            {
                "store": {"url": f"sqlite:///{folder / 'store.db'}"},
                "index": {"url": f"sqlite:///{folder / 'index.db'}"},
                "harvest": {"allow_files": True},
                "api": {"admin_open": True},
                "sources": [{"id": "gen", "kind": "csw", "url": (folder / "csw").as_uri()}],
            }
        )
        with Runtime(settings) as runtime:
            started = time.perf_counter()
            harvest_source(runtime, settings.source("gen"), full=True)
            print(f"{n} records harvested in {time.perf_counter() - started:.1f} s")
            client = create_app(runtime).test_client()
            print(f"{'page':<32} {'p50 ms':>9} {'JSON peer':<26} {'p50 ms':>9} {'ratio':>6}")
            for page, peer in PAGES:
                mine = _p50(client, page)
                theirs = _p50(client, peer) if peer else None
                peer_ms = f"{theirs:.1f}" if theirs is not None else ""
                ratio = f"{mine / theirs:.2f}" if theirs else ""
                print(f"{page:<32} {mine:>9.1f} {peer or '':<26} {peer_ms:>9} {ratio:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
