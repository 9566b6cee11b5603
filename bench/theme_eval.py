"""Theme evaluation on real records nobody here wrote: precision, recall and coverage.

    .venv/bin/python -m bench.theme_eval [--misses 20]

Truth. Every record of ../shared/fixtures (CSW/ISO, DCAT, CKAN, through the real parsers;
exact repeats of one record across fixture files counted once) that carries vocabulary
theme signals: INSPIRE theme keywords (by URI, or by label when the keyword comes from an
INSPIRE themes thesaurus or spells an official theme name, any case) and EU data theme
keywords. ISO topic categories are no theme keywords: the MD_TopicCategoryCode element is
never truth and never stripped, and a topic category given as a keyword URI (GeoDCAT-AP
records carry it so) is kept for the matcher the same way (until 2026-12-03 it was
stripped and made truth: one DCAT record). Those signals go through
thesaurus/themes.ttl's assigning *Match links; the company concepts reached are the
record's truth. Labels of these vocabularies come from thesaurus/vocabulary-labels.tsv
(derived from the fixtures' vocabularies by scripts/derive_vocabulary_labels.py).

Test data is left out everywhere (`placeholder`): records with placeholder keywords ('Tag 1',
'theme1'), lorem-ipsum text (pycsw's CITE records), template titles and abstracts
('{timestamp}', '{uuid}', 'test Title', 'Title dataset', 'Dataset 2', 'Example dataset 1'),
and titles with the word 'test' ('Test DCAT dataset' / 'Some description', 'Inspire Test
August 2013 v8' / 'Zusammenfassung Test INSPIRE': 4 records, added 2026-12-03 with the
lorem words 'massa purus elementum fermentum': 2 more).
The OGC API Records fixture pages (Dutch national register sample) count too.

Test. Those keywords are stripped and the matcher runs on what is left: other keywords,
title, abstract, and the ISO topic category element (MD_TopicCategoryCode, not a keyword: a
coarse signal the matcher may use). A predicted concept is *strictly* right when it is
a truth concept, and right *on the branch* when it is a truth concept, one of its ancestors
or one of its descendants (a record whose INSPIRE theme is Hydrography filed under Water, or
the reverse). The headline figures are the branch ones; strict ones are printed beside.
Each predicted concept is credited to the step of its most direct evidence (uri, label,
rule, text). Per language uses the record's metadata language.

Bare records. Some records carry no evidence once their theme keywords are stripped: no
subject keyword left (code-list keywords such as spatial scope or service category do not
count), no ISO topic category, and an abstract that adds no word to the title ('Ortho' /
'Ortho'). No matcher can find their truth, so their figures are also printed apart
(`bare`, `with evidence`), beside the overall ones.

Held-out split. `--split calibrate|held-out` keeps the records whose source and title hash
even / odd (stable across runs), so a threshold chosen on one half (`--text-threshold`,
`--gemet-threshold`, `--gemet-margin`, `--gemet-share`) is checked on the other.

Judged precision. A record's INSPIRE theme keywords say which INSPIRE themes it is about,
not that it is about no other company concept: a PLU whose only INSPIRE keyword is 'Land
use' is rightly filed under urban planning too, a concept no INSPIRE theme maps to. So a
prediction off the truth branches counts as wrong only when the concept *Matches into a
vocabulary the record's theme keywords came from (it could have been in the truth);
otherwise it is *unjudged* (column `unjdg`) and left out of P. `all-P` counts every
prediction (unjudged ones as wrong), the lower bound.

Two recalls. `R` is per (record, truth concept) pair: a record with six INSPIRE themes
found on one counts 1/6. `recR` is per record: the record is filed under at least one of
its truth concepts, which is what issue 18 measured ("only about a third of them are filed
again under the company concept that matches their INSPIRE theme"). Both are printed, and
the targets line says which meets the recall targets: per pair is the stricter reading.

Coverage. On the unstripped records, the share given at least one theme, per fixture
catalogue, leaving out records with placeholder keywords ('Tag 1', 'theme1', 'Test 2').

Upper bound and adjudicated precision (bench/theme_bounds.py, added 2026-12-03): `R <=` is
the recall if every truth pair with any evidence left in the stripped record were found
(each miss says what supports it, or 'none'); `adjudicated P` counts the judged-wrong
predictions a reviewer accepts in bench/theme_adjudication.tsv as right, printed beside the
strict judged P, which stays the headline.

Targets (issue 18): precision >= 0.9 and recall >= 0.8 overall, recall >= 0.6 for records in
a language other than French and English, coverage >= 85% of non-placeholder records.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench.theme_bounds import load_adjudication, print_bounds, supported_concepts
from harvester.formats.ogcapi_records import read_records_page
from indexer import gemet_votes
from indexer.analysis import STOPWORDS, tokenise
from indexer.gemet_votes import GemetVoter
from indexer.themes import TOPIC_CATEGORY_BASE, Themer, load_themer
from indexer.thesaurus import ASSIGNING_MATCHES, canonical_uri
from moisson.config import ThemesSettings
from moisson.record import Keyword, Record
from testkit.fixture_records import fixture_records

__all__ = ["Case", "build_cases", "main"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures"
LABELS = ROOT / "thesaurus" / "vocabulary-labels.tsv"
INSPIRE = "inspire.ec.europa.eu/theme/"
DATA_THEME = "publications.europa.eu/resource/authority/data-theme/"
TOPIC = canonical_uri(TOPIC_CATEGORY_BASE)
_INSPIRE_THESAURUS = re.compile(r"inspire.*(them|thema)", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^(tag|theme|test|keyword|kw)\s*\d+(\s+in\s+\w+)?$", re.IGNORECASE)
_PLACEHOLDER_TITLE = re.compile(
    r"^((test|example) )?(title|dataset)( dataset)?( \d+)?$|\{(timestamp|uuid)\}", re.IGNORECASE
)
# Latin filler of pycsw's CITE test records: two of these words mark lorem ipsum.
_LOREM_WORDS = "lorem ipsum dolor amet consectetuer adipiscing curabitur vestibulum pellentesque \
quisque maecenas mauris aliquam morbi nunc fusce donec nulla facilisis ligula neque massa \
purus elementum fermentum"
_LOREM = frozenset(_LOREM_WORDS.split())
# Keywords from code lists that say nothing of the subject (bare-record test).
_CODE_LIST = re.compile(r"SpatialScope|SpatialDataServiceCategory|DataServiceCategory", re.I)
STEPS = ("uri", "label", "rule", "text")


@dataclass
class Case:
    """One evaluated record: the stripped record and the concepts it should get."""

    record: Record
    truth: set[str]
    signals: list[str] = field(default_factory=list)
    bare: bool = False  # nothing left to find the truth with (see the module docstring)


def _vocabulary_labels(path: Path = LABELS) -> dict[str, dict[str, str]]:
    """label (exact, and case-folded) -> canonical URI, per vocabulary prefix."""
    table: dict[str, dict[str, str]] = defaultdict(dict)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        uri, _, label = line.split("\t")
        canonical = canonical_uri(uri)
        for prefix in (INSPIRE, DATA_THEME, TOPIC):
            if canonical.startswith(prefix):
                table[prefix].setdefault(label, canonical)
                table[prefix + "casefold"].setdefault(label.casefold(), canonical)
    return table


def _signal(keyword: Keyword, labels: dict[str, dict[str, str]]) -> str | None:
    """The canonical vocabulary URI a keyword stands for, or None if it is no theme signal."""
    if keyword.uri:
        canonical = canonical_uri(keyword.uri)
        if canonical.startswith((INSPIRE, DATA_THEME)):
            return canonical
        if canonical.startswith(TOPIC):
            return None  # kept, like the ISO topic category element (see the docstring)
    names = " ".join(n for n in (keyword.thesaurus, keyword.thesaurus_uri) if n)
    scheme = canonical_uri(keyword.thesaurus_uri or "")
    if _INSPIRE_THESAURUS.search(names) or scheme.startswith(INSPIRE.rstrip("/")):
        found = labels[INSPIRE + "casefold"].get(keyword.label.strip().casefold())
        return found or "unresolved-inspire-label"
    if scheme.startswith(DATA_THEME.rstrip("/")):
        found = labels[DATA_THEME + "casefold"].get(keyword.label.strip().casefold())
        return found or "unresolved-data-theme-label"
    if not names:  # a free keyword that spells an official theme name
        label = keyword.label.strip()
        return labels[INSPIRE + "casefold"].get(label.casefold()) or labels[DATA_THEME].get(label)
    return None


def _ogcapi_records(root: Path) -> list[Record]:
    """Records of the OGC API Records item pages and single items under `root`."""
    records: list[Record] = []
    for path in sorted(root.rglob("item*.json")):
        for item in read_records_page(path.read_bytes(), f"ogcapi-{path.parent.name}").items:
            if item.record is not None:
                records.append(item.record)
    return records


def _fixture_records(fixtures: Path) -> list[Record]:
    unique: dict[tuple[object, ...], Record] = {}
    for record in [*fixture_records(fixtures), *_ogcapi_records(fixtures / "ogcapi")]:
        key = (
            record.provenance.source_id,
            record.title,
            record.abstract,
            tuple((k.label, k.uri) for k in record.keywords),
            tuple(record.topic_categories),
        )
        unique.setdefault(key, record)
    return list(unique.values())


def build_cases(themer: Themer, records: list[Record]) -> tuple[list[Case], Counter[str]]:
    """The evaluable records, stripped, with their truth; and counts of what was skipped."""
    labels = _vocabulary_labels()
    cases: list[Case] = []
    skipped: Counter[str] = Counter()
    for record in records:
        if placeholder(record):
            skipped["placeholder keywords (test data)"] += 1
            continue
        kept: list[Keyword] = []
        signals: list[str] = []
        for keyword in record.keywords:
            signal = _signal(keyword, labels)
            if signal is None:
                kept.append(keyword)
            else:
                signals.append(signal)
        if not signals:
            skipped["no vocabulary theme signal"] += 1
            continue
        truth = {
            concept
            for signal in signals
            for concept, _ in themer.thesaurus.concepts_for_uri("http://" + signal)
        }
        skipped.update(s for s in signals if s.startswith("unresolved"))
        if not truth:
            skipped["signals match no company concept"] += 1
            continue
        stripped = record.model_copy(update={"keywords": kept})
        cases.append(Case(record=stripped, truth=truth, signals=signals, bare=_bare(stripped)))
    return cases, skipped


def _bare(record: Record) -> bool:
    """No subject keyword, no topic category, and an abstract adding no word to the title."""
    if record.topic_categories:
        return False
    if any(not _CODE_LIST.search(f"{k.uri or ''} {k.thesaurus or ''}") for k in record.keywords):
        return False
    title = set(tokenise(record.title))
    return not (set(tokenise(record.abstract or "")) - title - STOPWORDS)


def in_split(record: Record, split: str | None) -> bool:
    """Whether the record is in the `calibrate` (even hash) or `held-out` (odd) half."""
    if split is None:
        return True
    digest = hashlib.sha256(f"{record.provenance.source_id} {record.title}".encode()).digest()
    return (digest[0] % 2 == 0) == (split == "calibrate")


def _judgeable(themer: Themer, concept: str, used: set[str]) -> bool:
    """Whether the record's truth could have named `concept`: it *Matches (assigning) into
    a vocabulary the record's theme keywords came from. A PLU filed under urban planning
    (no INSPIRE theme of its own) cannot be judged by the record's INSPIRE theme 'Land
    use'; filed under transport (INSPIRE 'tn'), it can."""
    matches = themer.thesaurus.concepts[concept].matches
    return any(
        canonical_uri(target).startswith(tuple(used))
        for relation in ASSIGNING_MATCHES
        for target in matches.get(relation, [])
    )


def _branch(themer: Themer, concept: str) -> set[str]:
    thesaurus = themer.thesaurus
    return {concept, *thesaurus.ancestors(concept), *thesaurus.descendants(concept)}


@dataclass
class _Tally:
    predicted: int = 0
    unjudged: int = 0
    right: int = 0
    right_strict: int = 0
    truth: int = 0
    found: int = 0
    found_strict: int = 0
    records: int = 0
    records_hit: int = 0  # records filed under at least one of their truth concepts
    bound: int = 0  # truth pairs with some evidence left in the stripped record
    bound_records: int = 0  # records with at least one such pair
    accepted: int = 0  # judged-wrong predictions a reviewer accepts (theme_adjudication)

    def add(self, other: _Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def line(self, name: str) -> str:
        def ratio(a: int, b: int) -> str:
            return f"{a / b:5.2f}" if b else "   - "

        judged = self.predicted - self.unjudged
        precision, recall = (
            self.right / judged if judged else 0.0,
            self.found / self.truth if self.truth else 0.0,
        )
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return (
            f"{name:<14} {self.records:>4} {self.predicted:>5} {self.unjudged:>5} "
            f"{self.truth:>5}  P {ratio(self.right, judged)}  R {ratio(self.found, self.truth)}  "
            f"F1 {f1:4.2f}   all-P {ratio(self.right, self.predicted)}  strict P "
            f"{ratio(self.right_strict, judged)} R {ratio(self.found_strict, self.truth)}"
            f"   recR {ratio(self.records_hit, self.records)}"
        )


def evaluate(
    themer: Themer, cases: list[Case], misses: int, *, whole: bool = True
) -> dict[str, float]:
    """Print the figures; `whole` is False on a split, whose adjudications of the other half
    are not stale."""
    by_language: dict[str, _Tally] = defaultdict(_Tally)
    by_evidence: dict[str, _Tally] = {"with evidence": _Tally(), "bare": _Tally()}
    by_step: dict[str, _Tally] = {step: _Tally() for step in STEPS}
    missed: list[str] = []
    wrong: list[str] = []
    unsupported: list[str] = []
    adjudication = load_adjudication()
    accepted_keys: set[tuple[str, str]] = set()
    for case in cases:
        themes = themer.assign(case.record)
        support = supported_concepts(themer, case.record)
        supported = set(support) | {t.id for t in themes}
        tally = _Tally(records=1, truth=len(case.truth))
        branches = {t: _branch(themer, t) for t in sorted(case.truth)}
        used = {prefix for prefix in (INSPIRE, DATA_THEME, TOPIC) for s in case.signals
                if s.startswith(prefix)}  # fmt: skip
        for theme in themes:
            step = by_step[theme.evidence[0].step]
            right = any(theme.id in branch for branch in branches.values())
            strict = theme.id in case.truth
            unjudged = not right and not _judgeable(themer, theme.id, used)
            if not right and not unjudged and (case.record.title, theme.id) in adjudication:
                accepted_keys.add((case.record.title, theme.id))
                tally.accepted += 1
            elif not right and not unjudged:
                wrong.append(
                    f"  [{case.record.language or '?'}] {case.record.title[:60]!r}: "
                    f"{theme.id} by {theme.evidence[0].step} ({theme.evidence[0].matched[:40]!r}),"
                    f" truth {sorted(case.truth)}"
                )
            for target in (tally, step):
                target.predicted += 1
                target.right += right
                target.right_strict += strict
                target.unjudged += unjudged
        predicted = {t.id for t in themes}
        for concept, branch in branches.items():
            hit = bool(predicted & branch)
            tally.found += hit
            tally.found_strict += concept in predicted
            tally.bound += bool(supported & branch)
            if not supported & branch:
                unsupported.append(f"  {case.record.title[:60]!r}: {concept}")
            if hit:
                first = min(
                    (t for t in themes if t.id in branch),
                    key=lambda t: STEPS.index(t.evidence[0].step),
                )
                by_step[first.evidence[0].step].found += 1
                by_step[first.evidence[0].step].found_strict += first.id == concept
            else:
                missed.append(
                    f"  [{case.record.language or '?'}] {case.record.title[:60]!r}: wanted "
                    f"{concept}, got {sorted(predicted) or '-'}; support: "
                    + ("; ".join(sorted({support[c] for c in branch if c in support})) or "none")
                )
        tally.records_hit = int(tally.found > 0)
        tally.bound_records = int(tally.bound > 0)
        language = case.record.language or "und"
        by_language[language].add(tally)
        by_evidence["bare" if case.bare else "with evidence"].add(tally)
    total = _Tally()
    for tally in by_language.values():
        total.add(tally)
    other = _Tally()
    for language, tally in by_language.items():
        if language not in {"fre", "eng"}:
            other.add(tally)
    for step in by_step.values():
        step.truth = total.truth
    print(
        f"{'':<14} {'recs':>4} {'pred':>5} {'unjdg':>5} {'truth':>5}   (R: truth concepts "
        "found, per pair; recR: records filed under one of their truth concepts at least)"
    )
    print(total.line("overall"))
    for name, tally in by_evidence.items():
        print(tally.line(f"  {name}"))
    print("per step (recall = share of truth concepts first found by the step):")
    for name, tally in by_step.items():
        print(tally.line(f"  {name}"))
    print("per metadata language:")
    for language in sorted(by_language):
        print(by_language[language].line(f"  {language}"))
    print(other.line("  not fr/en"))
    stale = set(adjudication) - accepted_keys if whole else set()
    print_bounds(total, other, len(adjudication), stale, unsupported)
    if misses:
        print(f"misses ({len(missed)}, first {min(misses, len(missed))}):")
        print("\n".join(missed[:misses]))
        print(f"wrong judged predictions ({len(wrong)}, first {min(misses, len(wrong))}):")
        print("\n".join(wrong[:misses]))
    judged = total.predicted - total.unjudged
    return {
        "precision": total.right / judged if judged else 0.0,
        "recall": total.found / total.truth if total.truth else 0.0,
        "recall_other": other.found / other.truth if other.truth else 0.0,
        "record_recall": total.records_hit / total.records if total.records else 0.0,
        "record_recall_other": other.records_hit / other.records if other.records else 0.0,
    }


def placeholder(record: Record) -> bool:
    """Test data: placeholder keywords, a template title or abstract, or lorem ipsum."""
    if any(_PLACEHOLDER.match(k.label.strip()) for k in record.keywords):
        return True
    text = f"{record.title} {record.abstract or ''}"
    if _PLACEHOLDER_TITLE.search(record.title.strip()) or "{timestamp}" in text:
        return True
    if "test" in tokenise(record.title):  # 'Test DCAT dataset', 'Inspire Test August 2013'
        return True
    return len(_LOREM.intersection(tokenise(text))) >= 2


def coverage(themer: Themer, records: list[Record]) -> float:
    by_source: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    placeholders = 0
    for record in records:
        if placeholder(record):
            placeholders += 1
            continue
        counts = by_source[record.provenance.source_id]
        counts[0] += bool(themer.assign(record))
        counts[1] += 1
    print(f"coverage (unstripped records, {placeholders} placeholder/test records left out):")
    themed = total = 0
    for source, (hit, count) in sorted(by_source.items()):
        print(f"  {source:<26} {hit:>3}/{count:<3} {hit / count:6.0%}")
        themed, total = themed + hit, total + count
    share = themed / total if total else 0.0
    print(f"  {'all':<26} {themed:>3}/{total:<3} {share:6.0%}")
    return share


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    parser.add_argument("--misses", type=int, default=20, help="misses to list (0: none)")
    parser.add_argument(
        "--text-threshold", type=int, default=None, help="calibrate [themes] text_threshold"
    )
    parser.add_argument("--gemet-threshold", type=float, default=None, help="calibrate votes")
    parser.add_argument("--gemet-margin", type=float, default=None, help="calibrate votes")
    parser.add_argument("--gemet-share", type=float, default=None, help="calibrate votes")
    parser.add_argument(
        "--split",
        choices=("calibrate", "held-out"),
        default=None,
        help="evaluate one half of the records only (stable hash of source and title)",
    )
    args = parser.parse_args(argv)
    if not (args.fixtures / "csw").is_dir():
        print(f"fixtures not found at {args.fixtures}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("rdflib").setLevel(logging.CRITICAL)  # bad literals of the fixtures
    settings = ThemesSettings()
    if args.text_threshold is not None:
        settings = settings.model_copy(update={"text_threshold": args.text_threshold})
    themer = load_themer(settings)
    if (args.gemet_threshold, args.gemet_margin, args.gemet_share) != (None, None, None):
        themer.gemet = GemetVoter(
            themer.thesaurus,
            threshold=args.gemet_threshold or gemet_votes.THRESHOLD,
            margin=args.gemet_margin if args.gemet_margin is not None else gemet_votes.MARGIN,
            share=args.gemet_share or gemet_votes.SHARE,
        )
    records = [r for r in _fixture_records(args.fixtures) if in_split(r, args.split)]
    cases, skipped = build_cases(themer, records)
    print(
        f"{len(records)} distinct fixture records; {len(cases)} with vocabulary theme "
        f"signals reaching a company concept; skipped: {dict(skipped)}"
    )
    figures = evaluate(themer, cases, args.misses, whole=args.split is None)
    share = coverage(themer, records)
    targets = (
        ("precision >= 0.90", figures["precision"] >= 0.9),
        ("recall >= 0.80 (per pair)", figures["recall"] >= 0.8),
        ("(per record)", figures["record_recall"] >= 0.8),
        ("recall not fr/en >= 0.60 (per pair)", figures["recall_other"] >= 0.6),
        ("(per record)", figures["record_recall_other"] >= 0.6),
        ("coverage >= 85%", share >= 0.85),
    )
    print("targets: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in targets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
