"""What the theme evaluation cannot reach, and what a reviewer accepts: two figures printed
next to bench/theme_eval.py's strict ones, never in their place.

Upper bound of recall. A truth pair (record, concept) is *supported* when the stripped record
(what the matcher sees: its other keywords, title, abstract, ISO topic category) holds any
evidence for the concept or a concept on its branch, by any route the matcher has:

- a keyword URI or topic category that a branch concept *Matches (the `uri` step);
- a keyword whose label, path segment, list item or head word is a label of one (`label`);
- a `map` rule of mappings/*.yaml that files one (`rule`);
- any label of one, own (pref, alt, hidden) or borrowed from the vocabularies it *Matches,
  in any language, whose words are all in the title, abstract or keywords (stems; far looser
  than the text step, which needs a score, a margin and the record's language);
- one GEMET concept named by the record (a vote, however weak) in a GEMET theme that a
  branch concept *Matches.

A pair with none of these cannot be found by any matcher working from the company
thesaurus and the vocabularies it borrows: its INSPIRE theme keyword was the only trace of
it. `R <=` is the recall if every supported pair were found; the pairs with no support are
listed. It is an upper bound of this matcher's reach, not a target: support is counted
generously (one word of a label anywhere), so it overstates what is findable.

Adjudicated precision. bench/theme_adjudication.tsv lists judged-wrong predictions that a
human reviewer accepts as right, each with the reason (a soil map filed under soil although
its INSPIRE theme is land use). `adjudicated P` counts those as right; the strict judged P is
printed beside it. An entry that no longer matches a judged-wrong prediction is reported as
stale, so the file cannot drift silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from indexer.matching_text import content_words, stems
from indexer.themes import TOPIC_CATEGORY_BASE, Themer, _spoken_language
from moisson.record import Record

__all__ = [
    "ADJUDICATION",
    "Adjudication",
    "Counts",
    "load_adjudication",
    "print_bounds",
    "supported_concepts",
]

ADJUDICATION = Path(__file__).resolve().parent / "theme_adjudication.tsv"


class Counts(Protocol):
    """The tallies of bench/theme_eval.py these figures are computed from."""

    predicted: int
    unjudged: int
    right: int
    accepted: int
    truth: int
    records: int
    bound: int
    bound_records: int


@dataclass(frozen=True)
class Adjudication:
    """One judged-wrong prediction a reviewer accepts: record title, concept id, reason."""

    title: str
    concept: str
    reason: str


def load_adjudication(path: Path = ADJUDICATION) -> dict[tuple[str, str], Adjudication]:
    """(title, concept) -> entry. Lines: title TAB concept TAB reason; '#' starts a comment.
    A line without a reason is refused: an acceptance must say why."""
    entries: dict[tuple[str, str], Adjudication] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise ValueError(f"{path.name}:{number}: want title, concept and reason, tab-separated")
        title, concept, reason = (p.strip() for p in parts)
        entries[(title, concept)] = Adjudication(title, concept, reason)
    return entries


def _text_concepts(themer: Themer, texts: Iterable[str]) -> set[str]:
    """Concepts one of whose labels (own or borrowed, any language) has all its words in
    `texts`, compared as stems in the label's language; hidden labels as single words."""
    words = [w for text in texts for w in content_words(text)]
    scorer = themer.text_scorer
    present = {lang: set(stems(words, lang)) for lang in scorer.languages}
    found = {
        label.concept
        for label in scorer.labels
        if label.terms and all(t in present[label.language] for t in label.terms)
    }
    for word in dict.fromkeys(words):
        found.update(hit.concept for hit in themer.thesaurus.label_hits(word))
    return found


def supported_concepts(themer: Themer, record: Record) -> dict[str, str]:
    """Every concept the stripped record holds any evidence for (module docstring), with
    the first route found ('uri', 'label', 'rule', 'text words', 'gemet vote')."""
    found: dict[str, str] = {}

    def add(route: str, concepts: Iterable[str]) -> None:
        for concept in concepts:
            found.setdefault(concept, route)

    thesaurus = themer.thesaurus
    uris = [k.uri for k in record.keywords if k.uri]
    uris += [TOPIC_CATEGORY_BASE + code.split("_")[0] for code in record.topic_categories]
    for uri in uris:
        add("uri", (concept for concept, _ in thesaurus.concepts_for_uri(uri)))
    spoken = _spoken_language(record)
    for keyword in record.keywords:
        add("label", (hit.concept for hit in themer.label_hits(keyword, spoken)[1]))
        add(
            "rule",
            (
                rule.concept
                for rule, _, _ in themer.keyword_rule_hits(keyword)
                if rule.action == "map" and rule.concept
            ),
        )
    add(
        "rule",
        (
            rule.concept
            for rule in themer.rules.rules
            if rule.action == "map" and rule.pattern and rule.concept
            and themer.pattern_hits(rule, record)
        ),
    )  # fmt: skip
    texts = [record.title, record.abstract or "", *(k.label for k in record.keywords)]
    add("text words", _text_concepts(themer, texts))
    gemet = themer.gemet
    for vote in gemet.votes(record, record.keywords):
        for theme in gemet.themes.get(vote.concept, ()):
            add(f"gemet vote ({vote.label})", gemet.concepts.get(theme, ()))
    return found


def print_bounds(
    total: Counts,
    other: Counts,
    entries: int,
    stale: set[tuple[str, str]],
    unsupported: list[str],
) -> None:
    """Print the upper bound of recall and the adjudicated precision, beside the strict
    figures bench/theme_eval.py printed above, never replacing them."""

    def bound(tally: Counts) -> str:
        return (
            f"R <= {tally.bound / tally.truth:.2f} ({tally.bound}/{tally.truth} pairs), "
            f"recR <= {tally.bound_records / tally.records:.2f} "
            f"({tally.bound_records}/{tally.records})"
        )

    print(f"upper bound, truth pairs with any evidence left: overall {bound(total)}; "
          f"not fr/en {bound(other)}")  # fmt: skip
    judged = total.predicted - total.unjudged
    wrong = judged - total.right
    print(
        f"adjudicated P {(total.right + total.accepted) / judged:.2f} beside the strict judged "
        f"P {total.right / judged:.2f}: {total.accepted} of {wrong} judged-wrong predictions "
        f"accepted by a reviewer ({ADJUDICATION.name}, {entries} entries)"
    )
    for title, concept in sorted(stale):
        print(f"  stale adjudication entry (no such judged-wrong prediction): {title!r} {concept}")
    print(f"truth pairs with no evidence left in the stripped record ({len(unsupported)}):")
    print("\n".join(unsupported))
