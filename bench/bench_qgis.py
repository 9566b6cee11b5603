"""Generated QGIS projects (publish/qgis/) for an N-record catalogue: time and size.

    .venv/bin/python -m bench.bench_qgis 10000
    .venv/bin/python -m bench.bench_qgis 2000 --no-peer

The catalogue is bench/generate.py's ISO records (1-3 WMS / WFS / WMTS / download links
each, themed by the bundled thesaurus and rules), stored and indexed in SQLite as a harvest
leaves them. Measured, as the /qgis routes pay them:

- `scan`: the public, collapsed search of every record with a service link: the index
  generation check a worker repeats every `[qgis] check_seconds`;
- `layers`: the stored records read and turned into distinct service layers;
- `projects`: every project (whole catalogue + one per top-level theme), .qgs and .qgz;
- the peer: QGIS 3.22 itself (system python3, offscreen) reading the whole-catalogue
  project as the IDG plugin does (`QgsProject.read`, layers not resolved), the least any
  client pays for that file (best of `--peer-reads`, 1 by default: at 10,000 records one
  read takes minutes of CPU).

A benchmark, not a test: compare the ratio, not the seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.bench_backends import records
from indexer.backends import build_backend
from indexer.store import Store
from indexer.themes import load_themer
from moisson.config import IndexSettings, Settings, StoreSettings
from moisson.record import Harvested, Record
from pipeline.runtime import Runtime
from publish.qgis.catalogue import ProjectSet, entries, generation, scan

SYSTEM_PYTHON = "/usr/bin/python3"
_PEER = """
import sys, time
from qgis.core import QgsApplication, QgsProject
app = QgsApplication([], False); app.initQgis()
best = None
for _ in range(int(sys.argv[2])):
    project = QgsProject()
    began = time.perf_counter()
    ok = project.read(sys.argv[1], QgsProject.ReadFlags() | QgsProject.FlagDontResolveLayers)
    took = time.perf_counter() - began
    best = took if best is None else min(best, took)
    assert ok, project.error()
print("READ", best, len(project.mapLayers()))
"""


def _load(folder: Path, corpus: list[Record]) -> Settings:
    settings = Settings(
        store=StoreSettings(url=f"sqlite:///{folder / 'store.db'}"),
        index=IndexSettings(url=f"sqlite:///{folder / 'index.db'}"),
    )
    themer = load_themer(settings.themes)
    themed = [themer.themed(r) for r in corpus]
    backend = build_backend(settings.index.url)
    backend.open()
    with Store(settings.store.url) as store:
        run = store.begin_run("bench")
        for start in range(0, len(themed), 1000):
            page = themed[start : start + 1000]
            items = [
                Harvested(original_id=r.provenance.original_id, raw=b"<x/>", record=r) for r in page
            ]
            store.write_page(run, "bench", items)
            backend.index(page)
        store.finish_run(run, status="complete", complete=True)
    backend.close()
    return settings


def _peer(path: Path, reads: int) -> tuple[float, int] | None:
    if not Path(SYSTEM_PYTHON).exists():
        return None
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", _PEER, str(path), str(reads)], capture_output=True, text=True, env=env
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("READ ")), None)
    if line is None:
        print(f"peer failed: {done.stderr[-500:]}", file=sys.stderr)
        return None
    _, seconds, layers = line.split()
    return float(seconds), int(layers)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=10_000, help="records")
    parser.add_argument("--no-peer", action="store_true", help="skip the QGIS read")
    parser.add_argument(
        "--peer-reads", type=int, default=1, help="QGIS reads of the project (best kept)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        corpus = records(args.n)
        settings = _load(folder, corpus)
        print(
            f"{len(corpus)} records generated, themed, stored and indexed in "
            f"{time.perf_counter() - began:.1f} s"
        )
        with Runtime(settings) as runtime:
            began = time.perf_counter()
            hits = scan(runtime.search)
            scanned = time.perf_counter() - began
            began = time.perf_counter()
            projects = ProjectSet.build(
                settings.qgis,
                runtime.themer.thesaurus,
                settings.themes.languages,
                "https://moisson.example.org",
                generation(hits),
                datetime.now(UTC).replace(microsecond=0),
                entries(runtime.store, hits),
            )
            built = time.perf_counter() - began
            began = time.perf_counter()
            sizes: dict[str, tuple[int, int, int]] = {}
            for platform in projects.platforms():
                qgs = projects.project(platform.name, "qgs")
                qgz = projects.project(platform.name, "qgz")
                layers = qgs.count(b"<maplayer ")
                sizes[platform.name] = (layers, len(qgs), len(qgz))
            written = time.perf_counter() - began
        catalogue = projects.config.catalogue_name
        path = folder / f"{catalogue}.qgs"
        path.write_bytes(projects.project(catalogue, "qgs"))
        peer = None if args.no_peer else _peer(path, args.peer_reads)
    total = scanned + built + written
    print(f"\n{len(hits)} entries with service links, {len(projects.layers)} distinct layers")
    print("| step | seconds |\n|---|---:|")
    print(f"| scan (generation check) | {scanned:.2f} |")
    print(f"| layers (records -> distinct service layers) | {built:.2f} |")
    print(f"| {len(sizes)} projects, .qgs + .qgz | {written:.2f} |")
    print(f"| total, cold | {total:.2f} |")
    print("\n| project | layers | .qgs | .qgz |\n|---|---:|---:|---:|")
    for name, (layers, qgs_size, qgz_size) in sizes.items():
        print(f"| {name} | {layers} | {qgs_size / 2**20:.1f} MiB | {qgz_size / 2**20:.2f} MiB |")
    all_qgs = sum(s[1] for s in sizes.values())
    all_qgz = sum(s[2] for s in sizes.values())
    print(f"| all | | {all_qgs / 2**20:.1f} MiB | {all_qgz / 2**20:.2f} MiB |")
    if peer is not None:
        seconds, layers = peer
        print(
            f"\npeer: QGIS 3.22 reads {catalogue}.qgs ({layers} layers) in {seconds:.2f} s; "
            f"generating every project costs {total / seconds:.2f}x that read"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
