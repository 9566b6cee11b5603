"""OGC API - Records items (q + bbox + facets, limit 10) under `moisson serve`, next to
pygeoapi's Records endpoint (TinyDB catalogue provider) on the same records.

    .venv/bin/python -m bench.bench_ogcapi 10000
    .venv/bin/python -m bench.bench_ogcapi 100000 --no-peer

Generates N records (bench.generate, parsed by the real ISO reader), stores and indexes them,
serves them with `moisson serve` (gunicorn, 2 workers), then for 1 and 8 client threads
prints p50/p95 latency and req/s of `/ogcapi/collections/catalogue/items?q=..&bbox=..&
facets=true&limit=10`, and of the same search on /api/search (the baseline). The peer gets
the same records as Records GeoJSON features (publish.geojson) in its TinyDB file and the
same queries (`q`, `bbox`, `limit`; it has no facets). Then the DCAT dump: every stored
record written as DCAT-AP N-Triples one dataset at a time (publish.dcat.dump_ntriples), in
a fresh process: datasets/s and that process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_backends import records, store_corpus
from bench.http_load import Client, MoissonServer, bench_config, load
from indexer.store import Store
from indexer.themes import load_themer
from moisson.config import Settings
from moisson.record import Record
from publish.dcat import CatalogInfo, dump_ntriples
from publish.geojson import record_feature
from publish.scheme import ThemeScheme

# (q, bbox): words the generated records hold, boxes over France where they lie.
QUERIES = [
    ("foret", "-5,41,10,51"),
    ("zones humides", "-5,47,-1,49"),
    ("eau", "-5,41,10,51"),
    ("natura 2000", "-2,45,8,50"),
    ("occupation du sol", "-5,41,10,51"),
]
ITEMS = "/ogcapi/collections/catalogue/items"


def _load(folder: Path, corpus: list[Record]) -> Path:
    themer = load_themer(Settings().themes)
    themed = [themer.themed(r) for r in corpus]
    store_corpus(f"sqlite:///{folder / 'store.db'}", [f"sqlite:///{folder / 'index.db'}"], themed)
    return bench_config(folder)


def _moisson(client: Client, query: str) -> tuple[int, bytes]:
    q, bbox = query.split("|")
    return client.get(ITEMS, {"q": q, "bbox": bbox, "facets": "true", "limit": "10"})


def _api_search(client: Client, query: str) -> tuple[int, bytes]:
    """The same search through /api/search: the baseline the Records adapter adds to."""
    q, bbox = query.split("|")
    return client.get("/api/search", {"q": q, "bbox": bbox, "size": "10"})


def _peer_request(path: str):  # type: ignore[no-untyped-def]
    def request(client: Client, query: str) -> tuple[int, bytes]:
        q, bbox = query.split("|")
        return client.get(path, {"q": q, "bbox": bbox, "limit": "10", "f": "json"})

    return request


def _report(name: str, clients: int, found: dict[str, float]) -> float:
    print(
        f"  {name}, {clients} client(s): p50 {found['p50_ms']:.1f} ms, "
        f"p95 {found['p95_ms']:.1f} ms, {found['req_s']:.0f} req/s, "
        f"{found['requests']:.0f} requests, errors {found['errors']:.0f}"
    )
    return found["req_s"]


def _peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM). Not getrusage: on Linux a child started by
    fork + exec reports its parent's peak there."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _dump(folder: Path) -> None:
    scheme = ThemeScheme.from_thesaurus(load_themer(Settings().themes).thesaurus)
    catalog = CatalogInfo(base="http://127.0.0.1:8080")
    before = _peak_rss_mib()  # imports, thesaurus
    began = time.perf_counter()
    with Store(f"sqlite:///{folder / 'store.db'}") as store, open(folder / "dump.nt", "wb") as out:
        count = dump_ntriples(store.iter_records("bench"), scheme, catalog, out)
    seconds = time.perf_counter() - began
    peak = _peak_rss_mib()
    size = (folder / "dump.nt").stat().st_size / 2**20
    print(
        f"DCAT dump: {count} datasets in {seconds:.1f} s ({count / seconds:.0f} datasets/s), "
        f"{size:.0f} MiB of N-Triples; peak RSS of the dumping process {peak:.0f} MiB "
        f"({before:.0f} MiB before the first dataset)"
    )


def _dump_in_child(folder: Path) -> None:
    """The dump in a fresh process, so its peak RSS is the dump's, not the generator's."""
    subprocess.run([sys.executable, "-m", "bench.bench_ogcapi", "--dump", str(folder)], check=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--dump"]:
        _dump(Path(argv[1]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--peer-requests", type=int, default=16)
    args = parser.parse_args(argv)
    queries = [f"{q}|{bbox}" for q, bbox in QUERIES]
    corpus = records(args.n)
    print(f"{len(corpus)} records")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        config = _load(folder, corpus)
        ours: dict[int, float] = {}
        with MoissonServer(config, args.workers) as server:
            for clients in (1, 8):
                found = load(server.url, _moisson, clients, queries, seconds=args.seconds)
                ours[clients] = _report("Moisson /ogcapi items", clients, found)
                found = load(server.url, _api_search, clients, queries, seconds=args.seconds)
                _report("same search on /api/search", clients, found)
        if not args.no_peer:
            from testkit.pygeoapi_server import PygeoapiServer, ensure_pygeoapi_venv

            ensure_pygeoapi_venv()
            scheme = ThemeScheme.from_thesaurus(load_themer(Settings().themes).thesaurus)
            features = [record_feature(r, scheme) for r in corpus]
            with PygeoapiServer(features, timeout=600) as peer:
                path = peer.collection_url.split(peer.url, 1)[1] + "/items"
                for clients in (1, 8):
                    # pygeoapi's TinyDB provider reads the whole file per request: count
                    # requests, not seconds, or a slow peer yields too few to measure.
                    found = load(
                        peer.url,
                        _peer_request(path),
                        clients,
                        queries,
                        requests_per_client=max(2, args.peer_requests // clients),
                    )
                    theirs = _report("pygeoapi TinyDB items", clients, found)
                    print(
                        f"  ratio at {clients} client(s): {ours[clients] / max(theirs, 1e-9):.1f}x"
                    )
        _dump_in_child(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
