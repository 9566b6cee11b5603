"""A labelled evaluation set for duplicate detection, built from the real ISO fixtures.

Base records: every ISO record of ../shared/fixtures/csw, one per fileIdentifier. Among them
the labels are known: the GeoNetwork sample 'Physiographic Map of North and Central Eurasia'
is published twice with two file identifiers (a real copy); everything else is distinct,
including four pycsw 'Aerial Photos' tiles with identical title, abstract and bbox (told apart
only by their resource identifiers) and French PLU records of one producer that differ only
by the commune's name (same bbox).

Planted copies (positives), one per base record, in a second source 'portal', each with a new
file identifier, an extra keyword and a random mix of what republishing does: title recased
(upper, lower, title case), punctuation changed, ' (copie)' appended, the abstract cut to
its first 70% of words (portals truncate descriptions), bbox rounded to 2 decimals, resource
identifiers dropped (as DCAT feeds often do, so only the text signature can find the pair;
kept for text twins, which nothing else tells apart),
links dropped, abstract whitespace reflowed.

Planted near-misses (negatives), per base record that has no text twin: two editions
('<title> 2019' and '<title> 2021') and two départements ('<title> - Finistère' /
'<title> - Morbihan'), same
producer, same abstract, same bbox, no identifiers: only the title guard tells them apart.

Related but distinct (issue 18, `_related_records`): editions and areas publishing one shared
service layer; `related_folded` must be 0 and `related_kept` counts those stored as related.

    python -m bench.dedup_eval      # prints precision and recall
"""

from __future__ import annotations

import random
import sys
from itertools import combinations
from pathlib import Path

from lxml import etree

from harvester.formats.iso19139 import parse_iso
from harvester.formats.xmlsafe import parse_xml
from indexer.clusters import Pair, build_clusters, find_pairs
from indexer.fingerprints import fingerprint
from moisson.record import BBox, Keyword, Link, Record, record_id

__all__ = ["EvalSet", "base_records", "build_eval_set", "evaluate"]

FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures"
_TAGS = {"MD_Metadata", "MI_Metadata", "CHE_MD_Metadata"}
# Real copies among the fixtures: (file identifier, file identifier).
SEEDS = (5, 6, 7, 8, 9)
KNOWN_COPIES = {("7e926fbf-00fb-4ff5-a99e-c8576027c4e7", "78f93047-74f8-4419-ac3d-fc62e4b0477b")}


class EvalSet:
    def __init__(
        self,
        records: list[Record],
        positives: set[tuple[str, str]],
        related: set[tuple[str, str]] | None = None,
    ) -> None:
        self.records = records
        self.positives = positives  # sorted (record id, record id) pairs
        self.related = related or set()  # related but distinct: must never be folded


def base_records(fixtures: Path = FIXTURES) -> list[Record]:
    """One Record per distinct fileIdentifier in the CSW fixtures, source 'sdi'."""
    seen: dict[str, Record] = {}
    for path in sorted((fixtures / "csw").rglob("*.xml")):
        try:
            root = parse_xml(path.read_bytes())
        except Exception:  # exception reports and hostile samples are not records
            continue
        for element in root.iter():
            if not isinstance(element.tag, str) or etree.QName(element).localname not in _TAGS:
                continue
            try:
                record = parse_iso(element, "sdi")
            except Exception:  # records the mapper rejects are not part of the set
                continue
            seen.setdefault(record.provenance.original_id, record)
    return list(seen.values())


def _copy(record: Record, original_id: str, source: str, **update: object) -> Record:
    clone = record.model_copy(deep=True, update=update)
    clone.id = record_id(source, original_id)
    clone.provenance = clone.provenance.model_copy(
        update={"source_id": source, "original_id": original_id}
    )
    return clone


def _republish(record: Record, rng: random.Random) -> Record:
    title = rng.choice((str.upper, str.lower, str.title))(record.title)
    if rng.random() < 0.5:
        title = title.replace(" - ", ": ").replace(",", "") + "."
    update: dict[str, object] = {
        "title": title,
        "keywords": [*record.keywords, Keyword(label="open data")],
    }
    if rng.random() < 0.5:
        update["identifiers"] = []
    if rng.random() < 0.3:
        update["links"] = []
    if rng.random() < 0.3:
        title += " (copie)"
        update["title"] = title
    if record.abstract and rng.random() < 0.5:
        update["abstract"] = "\n".join(record.abstract.split())
    elif record.abstract and rng.random() < 0.5:
        words = record.abstract.split()
        update["abstract"] = " ".join(words[: max(1, len(words) * 7 // 10)]) + "..."
    if record.bboxes and rng.random() < 0.5:
        update["bboxes"] = [
            BBox(
                west=max(-180, round(b.west, 2)),
                south=max(-90, round(b.south, 2)),
                east=min(180, max(round(b.east, 2), round(b.west, 2))),
                north=min(90, max(round(b.north, 2), round(b.south, 2))),
            )
            for b in record.bboxes
        ]
    return _copy(record, f"portal-{record.provenance.original_id}", "portal", **update)


def build_eval_set(seed: int = 5, fixtures: Path = FIXTURES) -> EvalSet:
    rng = random.Random(seed)
    bases = base_records(fixtures)
    records = list(bases)
    positives: set[tuple[str, str]] = set()
    by_original = {r.provenance.original_id: r for r in bases}
    for x, y in KNOWN_COPIES:
        if x in by_original and y in by_original:
            positives.add(tuple(sorted((by_original[x].id, by_original[y].id))))  # type: ignore[arg-type]
    texts: dict[tuple[str, str], int] = {}
    for base in bases:
        text = (base.title.lower(), " ".join((base.abstract or "").split()))
        texts[text] = texts.get(text, 0) + 1
    for base in bases:
        # Text twins (the pycsw tiles) are told apart by their identifiers only: a copy
        # without them, or an edition without them, would be indistinguishable by anyone.
        twin = texts[(base.title.lower(), " ".join((base.abstract or "").split()))] > 1
        copy = _republish(base, rng)
        if twin:
            copy.identifiers = base.identifiers
        records.append(copy)
        positives.add(tuple(sorted((base.id, copy.id))))  # type: ignore[arg-type]
        if twin:
            continue
        oid = base.provenance.original_id
        for tag, a, b in (("year", " 2019", " 2021"), ("dept", " - Finistère", " - Morbihan")):
            for suffix in (a, b):
                records.append(
                    _copy(
                        base,
                        f"{oid}-{tag}-{suffix.strip()}",
                        "sdi",
                        title=base.title + suffix,
                        identifiers=[],
                        links=[],
                    )
                )
    related = _related_records(bases, texts, records, positives)
    # A copy of one of the known copies is a copy of the other: close under transitivity.
    for group in build_clusters([Pair.of(a, b, "label", "", 1.0) for a, b in positives]):
        positives |= {tuple(sorted(p)) for p in combinations(group, 2)}  # type: ignore[misc]
    return EvalSet(records, positives, related)


SHARED_LAYER = "https://geo.example.org/geoserver/ows"


def _related_records(
    bases: list[Record],
    texts: dict[tuple[str, str], int],
    records: list[Record],
    copies: set[tuple[str, str]],
) -> set[tuple[str, str]]:
    """Related-but-distinct pairs (issue 18), appended to `records`: per base record (text
    twins left out), two editions ('<title> 2016' in a regional SDI, '<title> 2023' in the
    national portal) and, when it has a bbox, the same title for two distant areas (the
    second extent moved east beyond the first, so they do not overlap; the first is a copy
    of the base, added to `copies`), each pair publishing the same service layer (one
    multi-year or multi-area WMS layer) and no identifier: only the year or the extent says
    they are two datasets."""
    related: set[tuple[str, str]] = set()
    for base in bases:
        if texts[(base.title.lower(), " ".join((base.abstract or "").split()))] > 1:
            continue
        oid = base.provenance.original_id
        number = len(related)

        def layer(tag: str, number: int = number) -> Link:
            return Link(url=SHARED_LAYER, protocol="OGC:WMS", name=f"layer_{number}_{tag}")

        editions = [
            _copy(
                base,
                f"{oid}-{year}",
                source,
                title=f"{base.title} {year}",
                identifiers=[],
                links=[layer("years")],
            )
            for source, year in (("region", "2016"), ("national", "2023"))
        ]
        pairs = [editions]
        box = fingerprint(base).bbox
        shift = (box[2] - box[0] + 1.0) if box else 0.0
        if box and box[2] + shift <= 180:
            far = [
                BBox(west=b.west + shift, south=b.south, east=b.east + shift, north=b.north)
                for b in base.bboxes
            ]
            here = _copy(base, f"{oid}-here", "region", identifiers=[], links=[layer("area")])
            there = _copy(
                base,
                f"{oid}-there",
                "national",
                identifiers=[],
                links=[layer("area")],
                bboxes=far,
            )
            copies.add(tuple(sorted((base.id, here.id))))  # type: ignore[arg-type]
            pairs.append([here, there])
        for a, b in pairs:
            records += [a, b]
            related.add(tuple(sorted((a.id, b.id))))  # type: ignore[arg-type]
    return related


def evaluate(evalset: EvalSet) -> dict[str, float]:
    """Precision and recall of the records joined into one cluster (pairs within clusters,
    so a wrong transitive join counts as a false pair)."""
    related: list[Pair] = []
    pairs, compared = find_pairs([fingerprint(r) for r in evalset.records], related=related)
    found = {tuple(sorted(p)) for g in build_clusters(pairs) for p in combinations(g, 2)}
    true = found & evalset.positives
    stored_related = {(p.a, p.b) for p in related}
    return {
        "records": len(evalset.records),
        "labelled_pairs": len(evalset.positives),
        "found_pairs": len(found),
        "false_pairs": len(found - evalset.positives),
        "precision": len(true) / len(found) if found else 1.0,
        "recall": len(true) / len(evalset.positives) if evalset.positives else 1.0,
        "compared": compared,
        "related_pairs": len(evalset.related),
        "related_folded": len(found & evalset.related),
        "related_kept": len(stored_related & evalset.related),
    }


def main() -> int:
    if not (FIXTURES / "csw").is_dir():
        print(f"fixtures not found at {FIXTURES}", file=sys.stderr)
        return 2
    for seed in SEEDS:
        result = evaluate(build_eval_set(seed))
        print(f"seed {seed}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                           for k, v in result.items()))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
