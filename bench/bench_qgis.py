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

from bench.bench_backends import records, store_corpus
from indexer.themes import load_themer
from moisson.config import IndexSettings, Settings, StoreSettings
from moisson.record import Record
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
    wall, cpu = time.perf_counter(), time.process_time()
    ok = project.read(sys.argv[1], QgsProject.ReadFlags() | QgsProject.FlagDontResolveLayers)
    took = (time.perf_counter() - wall, time.process_time() - cpu)
    best = took if best is None or took < best else best
    assert ok, project.error()
print("READ", best[0], best[1], len(project.mapLayers()))
"""


def _load(folder: Path, corpus: list[Record]) -> Settings:
    settings = Settings(
        store=StoreSettings(url=f"sqlite:///{folder / 'store.db'}"),
        index=IndexSettings(url=f"sqlite:///{folder / 'index.db'}"),
    )
    themer = load_themer(settings.themes)
    themed = [themer.themed(r) for r in corpus]
    store_corpus(settings.store.url, [settings.index.url], themed)
    return settings


class _Clock:
    """Wall and CPU seconds since the last lap: on a shared machine the CPU time is the
    figure to compare, the wall time is what a request waits."""

    def __init__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        found = (wall - self._wall, cpu - self._cpu)
        self._wall, self._cpu = wall, cpu
        return found


def _peer(path: Path, reads: int) -> tuple[float, float, int] | None:
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
    _, wall, cpu, layers = line.split()
    return float(wall), float(cpu), int(layers)


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
            clock = _Clock()
            hits = scan(runtime.search)
            scanned = clock.lap()
            projects = ProjectSet.build(
                settings.qgis,
                runtime.themer.thesaurus,
                settings.themes.languages,
                "https://moisson.example.org",
                generation(hits),
                datetime.now(UTC).replace(microsecond=0),
                entries(runtime.store, hits),
            )
            built = clock.lap()
            sizes: dict[str, tuple[int, int, int]] = {}
            for platform in projects.platforms():
                qgs = projects.project(platform.name, "qgs")
                qgz = projects.project(platform.name, "qgz")
                layers = qgs.count(b"<maplayer ")
                sizes[platform.name] = (layers, len(qgs), len(qgz))
            written = clock.lap()
        catalogue = projects.config.catalogue_name
        path = folder / f"{catalogue}.qgs"
        path.write_bytes(projects.project(catalogue, "qgs"))
        peer = None if args.no_peer else _peer(path, args.peer_reads)
    total = (
        scanned[0] + built[0] + written[0],
        scanned[1] + built[1] + written[1],
    )
    print(f"\n{len(hits)} entries with service links, {len(projects.layers)} distinct layers")
    print("| step | wall s | CPU s |\n|---|---:|---:|")
    for label, (wall, cpu) in (
        ("scan (generation check)", scanned),
        ("layers (records -> distinct service layers)", built),
        (f"{len(sizes)} projects, .qgs + .qgz", written),
        ("total, cold", total),
    ):
        print(f"| {label} | {wall:.2f} | {cpu:.2f} |")
    print("\n| project | layers | .qgs | .qgz |\n|---|---:|---:|---:|")
    for name, (layers, qgs_size, qgz_size) in sizes.items():
        print(f"| {name} | {layers} | {qgs_size / 2**20:.1f} MiB | {qgz_size / 2**20:.2f} MiB |")
    all_qgs = sum(s[1] for s in sizes.values())
    all_qgz = sum(s[2] for s in sizes.values())
    print(f"| all | | {all_qgs / 2**20:.1f} MiB | {all_qgz / 2**20:.2f} MiB |")
    if peer is not None:
        wall, cpu, layers = peer
        print(
            f"\npeer: QGIS 3.22 reads {catalogue}.qgs ({layers} layers) in {wall:.2f} s "
            f"({cpu:.2f} s CPU); generating every project costs {total[1] / cpu:.2f}x the "
            "CPU of that one read"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
