"""DCAT harvest throughput and peak memory on a generated N-dataset dump, Turtle and RDF/XML.

    .venv/bin/python -m bench.bench_dcat_memory 50000
    .venv/bin/python -m bench.bench_dcat_memory 5000 --formats turtle

For each syntax the dump is written once (realistic DCAT-AP: French titles and abstracts,
keywords, an EU data theme, publisher, contact point, dct:spatial with a WKT dcat:bbox,
temporal coverage, two distributions of which one is a WMS), then each measurement runs in a
fresh Python process so peak RSS (`ru_maxrss`) belongs to that measurement alone:

- `rdflib parse`: `Graph.parse` of the file and nothing else: the peer, and the floor of
  what any rdflib-based harvester (ckanext-dcat, udata) pays;
- `moisson, one graph`: the `file:` DCAT source end to end without a store (parse, map every
  dataset to a Record + raw payload, page them) with the whole document as one rdflib graph;
- `moisson, streamed`: the same with the two-pass reader of harvester/formats/rdf_stream.py
  (what the source does above `stream_above_mib`, 8 MiB by default).

Reported: datasets/s, peak RSS above the interpreter's baseline, and that peak as a multiple
of the file size. A benchmark, not a test: compare ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THEMES = ("ENVI", "AGRI", "REGI", "ENER", "TRAN", "HEAL")
PLACES = (
    ("Bretagne", -5.14, 47.28, -1.01, 48.90),
    ("Occitanie", -0.33, 42.33, 4.85, 45.05),
    ("Grand Est", 3.38, 47.42, 8.23, 50.17),
    ("Pays de la Loire", -2.56, 46.27, 0.92, 48.57),
)
WORDS = (
    "zones humides",
    "cours d'eau",
    "haies bocagères",
    "parcs éoliens",
    "chiroptères",
    "trame verte et bleue",
    "occupation du sol",
    "Natura 2000",
    "inondation",
    "forêts",
)

PREFIXES = """@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix locn: <http://www.w3.org/ns/locn#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix gsp: <http://www.opengis.net/ont/geosparql#> .
"""


def _fields(i: int) -> dict[str, object]:
    place = PLACES[i % len(PLACES)]
    word = WORDS[i % len(WORDS)]
    return {
        "uri": f"https://data.example.fr/dataset/{i:06d}",
        "title": f"Inventaire des {word}, {place[0]}, lot {i}",
        "abstract": f"Jeu de données d'exemple n°{i} sur les {word} en {place[0]}. "
        "Relevés de terrain, photo-interprétation et validation par les services régionaux.",
        "keywords": [word, place[0], f"lot-{i % 97}"],
        "theme": f"http://publications.europa.eu/resource/authority/data-theme/{THEMES[i % 6]}",
        "bbox": "POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))".format(*place[1:]),
        "year": 2000 + i % 24,
    }


def _turtle(i: int) -> str:
    f = _fields(i)
    kws = ", ".join(f'"{k}"@fr' for k in f["keywords"])  # type: ignore[attr-defined]
    uri = f["uri"]
    return f"""<{uri}> a dcat:Dataset ;
  dct:title "{f["title"]}"@fr ;
  dct:description "{f["abstract"]}"@fr ;
  dct:identifier "{uri}" ;
  dcat:keyword {kws} ;
  dcat:theme <{f["theme"]}> ;
  dct:issued "{f["year"]}-03-01"^^xsd:date ;
  dct:modified "{f["year"]}-09-15T10:00:00"^^xsd:dateTime ;
  dct:publisher [ a foaf:Organization ; foaf:name "DREAL" ] ;
  dcat:contactPoint [ a vcard:Organization ; vcard:fn "Service SIG" ;
                      vcard:hasEmail <mailto:sig@example.fr> ] ;
  dct:spatial [ a dct:Location ; dcat:bbox "{f["bbox"]}"^^gsp:wktLiteral ] ;
  dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "{f["year"]}-01-01"^^xsd:date ;
                 dcat:endDate "{f["year"]}-12-31"^^xsd:date ] ;
  dct:license <https://www.etalab.gouv.fr/licence-ouverte-open-licence/> ;
  dcat:distribution <{uri}/shp>, <{uri}/wms> .
<{uri}/shp> a dcat:Distribution ; dct:title "Archive Shapefile"@fr ;
  dcat:downloadURL <https://files.example.fr/{i:06d}.zip> ;
  dct:format <http://publications.europa.eu/resource/authority/file-type/SHP> .
<{uri}/wms> a dcat:Distribution ; dct:title "Service de visualisation"@fr ;
  dcat:accessURL <https://geo.example.fr/wms?SERVICE=WMS&REQUEST=GetCapabilities> ;
  dct:format <http://publications.europa.eu/resource/authority/file-type/WMS_SRVC> .
"""


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _rdfxml(i: int) -> str:
    f = _fields(i)
    uri = f["uri"]
    kws = "".join(
        f'<dcat:keyword xml:lang="fr">{_esc(k)}</dcat:keyword>'
        for k in f["keywords"]  # type: ignore[attr-defined]
    )
    return f"""<dcat:Dataset rdf:about="{uri}">
 <dct:title xml:lang="fr">{_esc(str(f["title"]))}</dct:title>
 <dct:description xml:lang="fr">{_esc(str(f["abstract"]))}</dct:description>
 <dct:identifier>{uri}</dct:identifier>{kws}
 <dcat:theme rdf:resource="{f["theme"]}"/>
 <dct:issued rdf:datatype="http://www.w3.org/2001/XMLSchema#date">{f["year"]}-03-01</dct:issued>
 <dct:modified rdf:datatype="http://www.w3.org/2001/XMLSchema#dateTime">{f["year"]}-09-15T10:00:00</dct:modified>
 <dct:publisher><foaf:Organization><foaf:name>DREAL</foaf:name></foaf:Organization></dct:publisher>
 <dcat:contactPoint><vcard:Organization><vcard:fn>Service SIG</vcard:fn>
  <vcard:hasEmail rdf:resource="mailto:sig@example.fr"/></vcard:Organization></dcat:contactPoint>
 <dct:spatial><dct:Location><dcat:bbox rdf:datatype="http://www.opengis.net/ont/geosparql#wktLiteral">{f["bbox"]}</dcat:bbox></dct:Location></dct:spatial>
 <dct:temporal><dct:PeriodOfTime>
  <dcat:startDate rdf:datatype="http://www.w3.org/2001/XMLSchema#date">{f["year"]}-01-01</dcat:startDate>
  <dcat:endDate rdf:datatype="http://www.w3.org/2001/XMLSchema#date">{f["year"]}-12-31</dcat:endDate>
 </dct:PeriodOfTime></dct:temporal>
 <dct:license rdf:resource="https://www.etalab.gouv.fr/licence-ouverte-open-licence/"/>
 <dcat:distribution><dcat:Distribution rdf:about="{uri}/shp">
  <dct:title xml:lang="fr">Archive Shapefile</dct:title>
  <dcat:downloadURL rdf:resource="https://files.example.fr/{i:06d}.zip"/>
  <dct:format rdf:resource="http://publications.europa.eu/resource/authority/file-type/SHP"/></dcat:Distribution></dcat:distribution>
 <dcat:distribution><dcat:Distribution rdf:about="{uri}/wms">
  <dct:title xml:lang="fr">Service de visualisation</dct:title>
  <dcat:accessURL rdf:resource="https://geo.example.fr/wms?SERVICE=WMS&amp;REQUEST=GetCapabilities"/>
  <dct:format rdf:resource="http://publications.europa.eu/resource/authority/file-type/WMS_SRVC"/></dcat:Distribution></dcat:distribution>
</dcat:Dataset>
"""


RDF_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/"
 xmlns:foaf="http://xmlns.com/foaf/0.1/" xmlns:vcard="http://www.w3.org/2006/vcard/ns#">
"""


def write_dump(n: int, syntax: str, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        if syntax == "turtle":
            out.write(PREFIXES)
            for i in range(n):
                out.write(_turtle(i))
        else:
            out.write(RDF_HEAD)
            for i in range(n):
                out.write(_rdfxml(i))
            out.write("</rdf:RDF>\n")


def _measure(mode: str, path: str) -> dict[str, float]:
    """Runs in the child process: one measurement, then the peak RSS."""
    from harvester.base import SourceContext
    from harvester.dcat import DcatOptions, DcatSource
    from harvester.http import HttpClient
    from moisson.config import HarvestSettings

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    datasets = 0
    if mode == "rdflib":
        from rdflib import Graph

        graph = Graph()
        graph.parse(path, format="turtle" if path.endswith(".ttl") else "xml")
        datasets = len(set(graph.subjects(predicate=None, object=None)))  # touch the graph
    else:
        options = DcatOptions(
            id="bench",
            kind="dcat",
            url=Path(path).as_uri(),
            page_size=500,
            stream_above_mib=0 if mode == "stream" else 1e9,
        )
        source = DcatSource(options, SourceContext.with_http(HttpClient(HarvestSettings())))
        for page in source.harvest():
            datasets += sum(1 for item in page.items if item.record is not None)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": elapsed, "datasets": datasets, "peak_kib": peak, "baseline_kib": baseline}


def run_child(mode: str, path: Path) -> dict[str, float]:
    code = (
        "import json, sys; from bench.bench_dcat_memory import _measure; "
        f"print(json.dumps(_measure({mode!r}, {str(path)!r})))"
    )
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=50_000)
    parser.add_argument("--formats", default="turtle,rdfxml")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="moisson-bench-dcat-") as tmp:
        for syntax in args.formats.split(","):
            path = Path(tmp) / f"dump.{'ttl' if syntax == 'turtle' else 'rdf'}"
            write_dump(args.n, syntax, path)
            size_mib = path.stat().st_size / 2**20
            print(f"\n{syntax}: {args.n} datasets, {size_mib:.1f} MiB")
            for mode, label in (
                ("rdflib", "rdflib parse (peer)"),
                ("graph", "moisson, one graph"),
                ("stream", "moisson, streamed"),
            ):
                m = run_child(mode, path)
                peak_mib = (m["peak_kib"] - m["baseline_kib"]) / 1024
                rate = args.n / m["seconds"]
                print(
                    f"  {label:22} {m['seconds']:7.1f} s  {rate:8,.0f} datasets/s  "
                    f"peak +{peak_mib:,.0f} MiB ({peak_mib / size_mib:.1f}x the file)"
                )
            os.remove(path)


if __name__ == "__main__":
    main()
