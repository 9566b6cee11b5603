"""Harvest speed of the two data-store kinds: files/s on generated small files and tables/s
on generated PostGIS tables, the peak RSS, and the second (incremental) run's time.

    .venv/bin/python -m bench.bench_sources [--files 10000] [--tables 1000]

Files: GeoJSON files of 5 points each, 100 per folder, written directly as text (GDAL reads
them back); every 50th is a GeoPackage written with pyogrio, so both paths are measured.
Tables: point tables in EPSG:2154 with 20 rows and a comment, in a throw-away PostgreSQL
cluster with PostGIS (testkit/postgres_cluster.py; needs postgresql-15-postgis-3).
Each kind is harvested twice into a fresh SQLite store + index: the first run is full, the
second incremental (nothing changed: only change tokens are compared). Peak RSS is the
process's maximum resident set size after each kind (ru_maxrss; cumulative).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from moisson.config import Settings
from pipeline.harvest import harvest_source
from pipeline.runtime import Runtime
from testkit.geodata import point, write_vector
from testkit.postgres_cluster import find_bin, postgres_cluster, temporary_database


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_files(root: Path, count: int) -> None:
    for n in range(count):
        folder = root / f"Dossier_{n // 100:03d}"
        if n % 50 == 0:
            write_vector(
                folder / f"couche_{n:05d}.gpkg",
                [point(350000 + n, 6780000 + i * 10) for i in range(5)],
                "Point",
                "EPSG:2154",
                driver="GPKG",
            )
            continue
        folder.mkdir(parents=True, exist_ok=True)
        features = [
            {
                "type": "Feature",
                "properties": {"n": i, "nom": f"objet {n}-{i}"},
                "geometry": {"type": "Point", "coordinates": [-1.7 + n * 1e-5, 48.1 + i * 1e-3]},
            }
            for i in range(5)
        ]
        (folder / f"releve_{n:05d}.geojson").write_text(
            json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
        )


def make_tables(dsn: str, count: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.execute("CREATE SCHEMA metier")
        for n in range(count):
            table = f"metier.table_{n:04d}"
            conn.execute(
                f"CREATE TABLE {table} (id serial PRIMARY KEY, nom text, "
                "geom geometry(Point, 2154))"
            )
            conn.execute(f"COMMENT ON TABLE {table} IS 'Relevés de terrain, lot {n}'")
            conn.execute(
                f"INSERT INTO {table} (nom, geom) SELECT 'p' || g, "
                f"ST_SetSRID(ST_MakePoint(350000 + g * 10 + {n}, 6780000 + g * 10), 2154) "
                "FROM generate_series(1, 20) AS g"
            )
        conn.execute("ANALYZE")
        conn.execute("SELECT pg_stat_force_next_flush()")


def two_runs(work: Path, source: dict[str, object], unit: str) -> dict[str, float]:
    settings = Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{work}/store.db"},
            "index": {"url": f"sqlite:///{work}/index.db"},
            "harvest": {"allow_files": True},
            "sources": [source],
        }
    )
    out: dict[str, float] = {}
    with Runtime(settings) as runtime:
        started = time.perf_counter()
        first = harvest_source(runtime, settings.source(str(source["id"])))
        out["first_s"] = time.perf_counter() - started
        out["records"] = first.report.seen
        started = time.perf_counter()
        second = harvest_source(runtime, settings.source(str(source["id"])))
        out["second_s"] = time.perf_counter() - started
        out["second_seen"] = second.report.seen
    out[f"{unit}_per_s"] = out["records"] / out["first_s"]
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--tables", type=int, default=1_000)
    args = parser.parse_args(argv)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sources-") as tmp:
        work = Path(tmp)
        if args.files:
            root = work / "partage"
            started = time.perf_counter()
            make_files(root, args.files)
            print(f"generated {args.files} files in {time.perf_counter() - started:.1f}s")
            (work / "files").mkdir()
            results["files"] = two_runs(
                work / "files", {"id": "partage", "kind": "files", "url": root.as_uri()}, "files"
            )
            print("files", json.dumps(results["files"]))
        bin_dir = find_bin()
        if args.tables and bin_dir is not None:
            with postgres_cluster(bin_dir) as server, temporary_database(server) as url:
                dsn = url.replace("postgresql+psycopg://", "postgresql://")
                started = time.perf_counter()
                make_tables(dsn, args.tables)
                print(f"generated {args.tables} tables in {time.perf_counter() - started:.1f}s")
                (work / "tables").mkdir()
                source = {"id": "metier", "kind": "postgis", "url": dsn, "page_size": 200}
                results["tables"] = two_runs(work / "tables", source, "tables")
                print("tables", json.dumps(results["tables"]))
        elif args.tables:
            print("no PostgreSQL server binaries: tables skipped", file=sys.stderr)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
