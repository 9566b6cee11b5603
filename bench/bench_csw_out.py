"""Moisson's CSW endpoint against pycsw's, on the same N generated ISO 19139 records.

    .venv/bin/python -m bench.bench_csw_out 10000            # both servers
    .venv/bin/python -m bench.bench_csw_out 100000 --no-peer  # ours only (pycsw loads slowly)

Two requests, each at 1 and 8 concurrent clients, p50 / p95 latency and requests/s:

- GetRecords: `csw:AnyText LIKE '%term%'` AND a BBOX over metropolitan France (an
  ogc:Filter in KVP, EPSG:4326 latitude first), 10 full Dublin Core records;
- GetRecordById: one record in ISO 19139 (`outputSchema=gmd`).

Moisson runs as users run it (`moisson serve`, gunicorn, 2 workers by default); pycsw as
testkit/pycsw_server.py runs it. Every answer is checked (an ExceptionReport or
an empty result aborts the run: a fast wrong answer is not a result).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

from bench.bench_csw import QUERIES, bench_ingest
from bench.generate import write_records
from bench.http_load import Client, MoissonServer, Request, load
from testkit.pycsw_server import PycswServer, ensure_pycsw_venv

REQUESTS_PER_CLIENT = 60
FILTER = (
    '<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml">'
    "<ogc:And><ogc:PropertyIsLike wildCard='%' singleChar='_' escapeChar='\\'>"
    "<ogc:PropertyName>csw:AnyText</ogc:PropertyName><ogc:Literal>%{term}%</ogc:Literal>"
    "</ogc:PropertyIsLike><ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName>"
    "<gml:Envelope srsName='urn:ogc:def:crs:EPSG::4326'><gml:lowerCorner>41 -5.5"
    "</gml:lowerCorner><gml:upperCorner>51.5 10</gml:upperCorner></gml:Envelope></ogc:BBOX>"
    "</ogc:And></ogc:Filter>"
)


def _check(status: int, body: bytes, what: str) -> None:
    if status != 200 or b"ExceptionReport" in body:
        sys.exit(f"{what} failed ({status}): {body[:300]!r}")


def get_records(client: Client, term: str) -> tuple[int, bytes]:
    params = {
        "service": "CSW", "version": "2.0.2", "request": "GetRecords",
        "typenames": "csw:Record", "elementsetname": "full", "resulttype": "results",
        "maxrecords": "10", "constraintlanguage": "FILTER",
        "constraint_language_version": "1.1.0", "constraint": FILTER.format(term=term),
    }  # fmt: skip
    status, body = client.get("/csw", params)
    _check(status, body, f"GetRecords {term!r}")
    if b'numberOfRecordsReturned="0"' in body:
        sys.exit(f"GetRecords {term!r} found nothing: the comparison would be unfair")
    return status, body


def get_record_by_id(client: Client, ident: str) -> tuple[int, bytes]:
    params = {
        "service": "CSW", "version": "2.0.2", "request": "GetRecordById", "id": ident,
        "outputschema": "http://www.isotc211.org/2005/gmd", "elementsetname": "full",
    }  # fmt: skip
    status, body = client.get("/csw", params)
    _check(status, body, f"GetRecordById {ident!r}")
    if quote(ident).encode() not in body and ident.encode() not in body:
        sys.exit(f"GetRecordById {ident!r} did not return it")
    return status, body


def measure(base: str, request: Request, clients: int, terms: list[str]) -> dict[str, float]:
    figures = load(base, request, clients, terms, requests_per_client=REQUESTS_PER_CLIENT)
    if figures["errors"]:
        sys.exit(f"{figures['errors']:.0f} failed requests against {base}")
    return figures


def report(
    name: str, mine: dict[int, dict[str, float]], theirs: dict[int, dict[str, float]]
) -> None:
    print(f"\n{name} ({REQUESTS_PER_CLIENT} requests per client)")
    for clients in (1, 8):
        for server, figures in (("moisson", mine[clients]), ("pycsw", theirs.get(clients))):
            if figures:
                print(
                    f"  {server:<8} {clients} client(s): p50 {figures['p50_ms']:7.1f} ms  "
                    f"p95 {figures['p95_ms']:7.1f} ms  {figures['req_s']:7.1f} req/s"
                )
        if clients in theirs:
            ratio = mine[clients]["req_s"] / theirs[clients]["req_s"]
            print(f"  throughput ratio at {clients} client(s): {ratio:.1f}x pycsw")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of generated records")
    parser.add_argument("--no-peer", action="store_true", help="skip pycsw (slow to load)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for ours")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="moisson-bench-csw-") as tmp:
        work = Path(tmp)
        files = write_records(work / "records", args.n)
        ids = [path.stem for path in random.Random(1).sample(files, min(64, len(files)))]
        terms = list(QUERIES)
        rate, config = bench_ingest(work / "records", work, args.n)
        print(f"{args.n} generated ISO 19139 records; Moisson ingest {rate:,.0f} rec/s")
        with MoissonServer(config, args.workers) as server:
            mine_records = {c: measure(server.url, get_records, c, terms) for c in (1, 8)}
            mine_ids = {c: measure(server.url, get_record_by_id, c, ids) for c in (1, 8)}
        theirs_records: dict[int, dict[str, float]] = {}
        theirs_ids: dict[int, dict[str, float]] = {}
        if not args.no_peer:
            ensure_pycsw_venv()
            with PycswServer(files, timeout=1200) as pycsw:
                loaded = {Path(p).stem for p in pycsw.load.loaded}
                ids = [i for i in ids if i in loaded]
                theirs_records = {c: measure(pycsw.url, get_records, c, terms) for c in (1, 8)}
                theirs_ids = {c: measure(pycsw.url, get_record_by_id, c, ids) for c in (1, 8)}
        report("GetRecords AnyText LIKE + BBOX, 10 full DC records", mine_records, theirs_records)
        report("GetRecordById, ISO 19139", mine_ids, theirs_ids)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
