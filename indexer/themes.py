"""The explainable theme matcher: Record -> themes of the company thesaurus, with evidence.

Pure over a Record (no I/O, no clock), so re-theming from the store after a rule change
needs no harvest. Steps, in order (each theme keeps every piece of evidence found for it):

1. `uri`: keyword URIs, and ISO topic categories as their INSPIRE registry URIs, equal to a
   concept's exactMatch / closeMatch / narrowMatch target (indexer/thesaurus.py compares
   URIs in canonical form).
2. `label`: keyword labels equal to a concept's prefLabel, altLabel or hiddenLabel in any
   language after normalisation (case, accents, plural and stems: `label_keys`).
3. `rule`: the `map` rules of mappings/*.yaml (keyword, keyword pattern, URI, thesaurus,
   text pattern), then `source` defaults when nothing else matched.
4. `text`: pref/alt labels found in the title and abstract; a concept is kept when its
   occurrences reach `text_threshold` (a title occurrence counts double), so a passing
   mention in an abstract does not file a record.

`ignore` rules hide keywords from every step; `exclude` rules remove a concept at the end.
A theme's ancestors are not added as themes (the evidence would be invented) but listed in
`Theme.broader`, which the `theme` facet counts as implied (indexer/backends/documents.py).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from indexer.analysis import STOPWORDS, normalise, stem_pairs, tokenise
from indexer.rules import Rule, RuleSet, load_rules
from indexer.thesaurus import Thesaurus, canonical_uri, label_keys, load_thesaurus
from moisson.config import ThemesSettings
from moisson.record import Keyword, Record, Theme, ThemeEvidence

__all__ = ["TOPIC_CATEGORY_BASE", "Themer", "load_themer"]

logger = logging.getLogger(__name__)

TOPIC_CATEGORY_BASE = "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/"
_STEP_ORDER = {"uri": 0, "label": 1, "rule": 2, "text": 3}
_CACHE_LIMIT = 100_000


@dataclass
class _Found:
    """Evidence gathered for one record, by concept id, in discovery order."""

    evidence: dict[str, list[ThemeEvidence]] = field(default_factory=dict)

    def add(self, concept: str, item: ThemeEvidence) -> None:
        found = self.evidence.setdefault(concept, [])
        if item not in found:
            found.append(item)


class Themer:
    """Thesaurus + rules, compiled once. `assign` is safe to call from several threads."""

    def __init__(self, thesaurus: Thesaurus, rules: RuleSet, *, text_threshold: int = 3) -> None:
        self.thesaurus = thesaurus
        self.rules = rules
        self.text_threshold = text_threshold
        self._patterns = {
            r.id: re.compile(r.keyword_pattern or r.pattern or "", re.IGNORECASE)
            for r in rules.rules
            if r.keyword_pattern or r.pattern
        }
        # Condition value -> rules (several rules may share one: a map and an exclude...).
        self._keyword_rules: dict[str, list[Rule]] = {}
        self._uri_rules: dict[str, list[Rule]] = {}
        self._thesaurus_rules: dict[str, list[Rule]] = {}
        for r in rules.rules:
            for key in label_keys(r.keyword) if r.keyword else ():
                self._keyword_rules.setdefault(key, []).append(r)
            if r.uri:
                self._uri_rules.setdefault(canonical_uri(r.uri), []).append(r)
            if r.thesaurus:
                self._thesaurus_rules.setdefault(r.thesaurus.strip().casefold(), []).append(r)
        self._hit_cache: dict[tuple[str | None, ...], list[tuple[Rule, str, str]]] = {}
        # Text step: first stem -> (stem sequence, concept id, label), for French and English.
        self._text_labels: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        for concept in thesaurus.concepts.values():
            for _, _, label in concept.all_labels(("prefLabel", "altLabel")):
                for key in label_keys(label):
                    stems = tuple(key.split(" "))
                    entry = (stems, concept.id, label)
                    bucket = self._text_labels.setdefault(stems[0], [])
                    if entry not in bucket:
                        bucket.append(entry)

    def with_rules(self, rules: RuleSet) -> Themer:
        """The same thesaurus with other rules (a draft to preview)."""
        return Themer(self.thesaurus, rules, text_threshold=self.text_threshold)

    # -- keyword conditions ----------------------------------------------------------------

    def keyword_rule_hits(self, keyword: Keyword) -> list[tuple[Rule, str, str]]:
        """(rule, matched text, target) of the keyword-level rules matching `keyword`.
        Cached per keyword: catalogues repeat the same keywords across records."""
        key = (keyword.label, keyword.uri, keyword.thesaurus, keyword.thesaurus_uri)
        found = self._hit_cache.get(key)
        if found is None:
            found = self._keyword_rule_hits(keyword)
            if len(self._hit_cache) >= _CACHE_LIMIT:
                self._hit_cache.clear()
            self._hit_cache[key] = found
        return found

    def _keyword_rule_hits(self, keyword: Keyword) -> list[tuple[Rule, str, str]]:
        hits: list[tuple[Rule, str, str]] = []
        for key in label_keys(keyword.label):
            hits += [(r, keyword.label, r.keyword or "") for r in self._keyword_rules.get(key, [])]
        if keyword.uri:
            for r in self._uri_rules.get(canonical_uri(keyword.uri), []):
                hits.append((r, keyword.uri, r.uri or ""))
        for name in (keyword.thesaurus, keyword.thesaurus_uri):
            if name:
                for r in self._thesaurus_rules.get(name.strip().casefold(), []):
                    hits.append((r, keyword.label, r.thesaurus or ""))
        text = normalise(keyword.label).strip()
        for rule in self.rules.rules:
            if rule.keyword_pattern and self._patterns[rule.id].search(text):
                hits.append((rule, keyword.label, rule.keyword_pattern))
        return list({(r.id, m): (r, m, t) for r, m, t in hits}.values())

    def pattern_hits(self, rule: Rule, record: Record) -> bool:
        """Whether a `pattern` rule's regex is found in the record's title or abstract."""
        if rule.id not in self._patterns or not rule.pattern:
            return False
        text = normalise(f"{record.title}\n{record.abstract or ''}")
        return bool(self._patterns[rule.id].search(text))

    def ignored(self, keyword: Keyword) -> bool:
        return any(rule.action == "ignore" for rule, _, _ in self.keyword_rule_hits(keyword))

    # -- the steps ---------------------------------------------------------------------------

    def _uris(self, record: Record, keywords: list[Keyword], found: _Found) -> None:
        pairs = [("keyword", k.uri) for k in keywords if k.uri]
        pairs += [
            ("topic_category", TOPIC_CATEGORY_BASE + code.split("_")[0])
            for code in record.topic_categories
        ]
        for field_name, uri in pairs:
            for concept, relation in self.thesaurus.concepts_for_uri(uri):
                target = self.thesaurus.concepts[concept].uri if relation == "self" else uri
                found.add(
                    concept,
                    ThemeEvidence(
                        step="uri",
                        field=field_name,
                        matched=uri,
                        target=f"skos:{relation} <{target}>" if relation != "self" else target,
                    ),
                )

    def _labels(self, record: Record, keywords: list[Keyword], found: _Found) -> None:
        language = _THESAURUS_LANGUAGE.get(record.language or "")
        for keyword in keywords:
            # One piece of evidence per keyword and concept: the label that best explains
            # the match (_label_rank), not whichever language the thesaurus lists first:
            # "Precipitation" on an English record cites altLabel@en 'precipitation', not
            # altLabel@fr 'précipitations', which it also stems to.
            best: dict[str, tuple[tuple[int, int, int, int], str, str, str]] = {}
            hits = self.thesaurus.concepts_for_label(keyword.label)
            for position, (concept, kind, lang, label) in enumerate(hits):
                rank = _label_rank(keyword.label, kind, lang, label, language, position)
                if concept not in best or rank < best[concept][0]:
                    best[concept] = (rank, kind, lang, label)
            for concept, (_, kind, lang, label) in best.items():
                found.add(
                    concept,
                    ThemeEvidence(
                        step="label",
                        field="keyword",
                        matched=keyword.label,
                        target=f"skos:{kind}@{lang} {label!r}",
                    ),
                )

    def _rules(self, record: Record, keywords: list[Keyword], found: _Found) -> None:
        for keyword in keywords:
            for rule, matched, target in self.keyword_rule_hits(keyword):
                if rule.action == "map" and rule.concept:
                    found.add(
                        rule.concept,
                        ThemeEvidence(
                            step="rule",
                            field="keyword",
                            matched=matched,
                            target=target,
                            rule=rule.id,
                        ),
                    )
        texts: dict[str, str] = {}  # normalised once, only when a text rule exists
        for rule in self.rules.rules:
            if rule.action != "map" or not rule.pattern or not rule.concept:
                continue
            if not texts:
                texts = {
                    "title": normalise(record.title),
                    "abstract": normalise(record.abstract or ""),
                }
            for field_name, text in texts.items():
                hit = self._patterns[rule.id].search(text)
                if hit:
                    found.add(
                        rule.concept,
                        ThemeEvidence(
                            step="rule",
                            field=field_name,
                            matched=hit.group(0),
                            target=rule.pattern,
                            rule=rule.id,
                        ),
                    )
                    break

    def _text(self, record: Record, found: _Found) -> None:
        scores: Counter[str] = Counter()
        seen: dict[str, tuple[str, str]] = {}
        for field_name, text, weight in (
            ("title", record.title, 2),
            ("abstract", record.abstract or "", 1),
        ):
            words = [w for w in tokenise(text) if w not in STOPWORDS]
            if not words:
                continue
            counts: Counter[str] = Counter()
            for stems in stem_pairs(words):
                found_here = self._scan(stems)
                here = Counter(concept for concept, _ in found_here)
                for concept, label in found_here:
                    seen.setdefault(concept, (field_name, label))
                counts |= here  # the French and English readings of one text: the larger
            for concept, count in counts.items():
                scores[concept] += weight * count
        for concept, score in scores.items():
            if score >= self.text_threshold and concept not in found.evidence:
                field_name, label = seen[concept]
                found.add(
                    concept,
                    ThemeEvidence(
                        step="text",
                        field=field_name,
                        matched=label,
                        target=f"{score} occurrence point(s), threshold {self.text_threshold}",
                    ),
                )

    def _scan(self, stems: list[str]) -> list[tuple[str, str]]:
        """(concept, label) per label occurrence in one stem sequence: longest match first,
        non-overlapping, so 'occupation du sol' counts for land cover and not also for
        soil."""
        hits: list[tuple[str, str]] = []
        labels = self._text_labels
        start = 0
        for position in [i for i, stem in enumerate(stems) if stem in labels]:
            if position < start:  # inside the previous, longer match
                continue
            start = position
            best: list[tuple[tuple[str, ...], str, str]] = []
            for entry in self._text_labels.get(stems[start], ()):
                sequence = entry[0]
                if tuple(stems[start : start + len(sequence)]) != sequence:
                    continue
                if not best or len(sequence) > len(best[0][0]):
                    best = [entry]
                elif len(sequence) == len(best[0][0]):
                    best.append(entry)
            if best:
                hits += list({concept: (concept, label) for _, concept, label in best}.values())
                start += len(best[0][0])
        return hits

    # -- public ------------------------------------------------------------------------------

    def assign(self, record: Record) -> list[Theme]:
        """The record's themes, each with its evidence, most direct evidence first."""
        keywords = [k for k in record.keywords if not self.ignored(k)]
        found = _Found()
        self._uris(record, keywords, found)
        self._labels(record, keywords, found)
        self._rules(record, keywords, found)
        self._text(record, found)
        if not found.evidence:
            for rule in self.rules.rules:
                if rule.action == "map" and rule.source == record.provenance.source_id:
                    found.add(
                        rule.concept or "",
                        ThemeEvidence(
                            step="rule",
                            field="source",
                            matched=record.provenance.source_id,
                            target=rule.source,
                            rule=rule.id,
                        ),
                    )
        for concept in self._excluded(record, keywords):
            found.evidence.pop(concept, None)
        themes = []
        for concept_id, evidence in found.evidence.items():
            concept = self.thesaurus.concepts.get(concept_id)
            if concept is None:  # a rule naming no concept (the validator reports it)
                continue
            evidence.sort(key=lambda e: _STEP_ORDER[e.step])
            themes.append(
                Theme(
                    id=concept.id,
                    uri=concept.uri,
                    labels=concept.pref_labels(),
                    broader=self.thesaurus.ancestors(concept.id),
                    evidence=evidence,
                )
            )
        themes.sort(key=lambda t: (_STEP_ORDER[t.evidence[0].step], t.id))
        return themes

    def _excluded(self, record: Record, keywords: list[Keyword]) -> set[str]:
        excluded: set[str] = set()
        text = ""
        for rule in self.rules.rules:
            if rule.action != "exclude" or not rule.concept:
                continue
            if rule.source is not None:
                hit = rule.source == record.provenance.source_id
            elif rule.pattern is not None:
                text = text or normalise(f"{record.title}\n{record.abstract or ''}")
                hit = bool(self._patterns[rule.id].search(text))
            else:
                hit = any(
                    r.id == rule.id for k in keywords for r, _, _ in self.keyword_rule_hits(k)
                )
            if hit:
                excluded.add(rule.concept)
        return excluded

    def themed(self, record: Record) -> Record:
        """A copy of `record` with its themes (re)computed."""
        return record.model_copy(update={"themes": self.assign(record)})

    def unmatched_keywords(self, record: Record) -> list[str]:
        """Keyword labels no step used (ignored keywords left out): what to map next."""
        out = []
        for keyword in record.keywords:
            if self.ignored(keyword):
                continue
            if keyword.uri and self.thesaurus.concepts_for_uri(keyword.uri):
                continue
            if self.thesaurus.concepts_for_label(keyword.label):
                continue
            if any(r.action == "map" for r, _, _ in self.keyword_rule_hits(keyword)):
                continue
            out.append(keyword.label)
        return out


# A record's ISO 639-2 language -> the thesaurus' language tags, for choosing evidence.
_THESAURUS_LANGUAGE = {
    "fre": "fr", "fra": "fr", "eng": "en", "ger": "de", "deu": "de", "spa": "es",
    "ita": "it", "dut": "nl", "nld": "nl", "por": "pt",
}  # fmt: skip
_KIND_ORDER = {"prefLabel": 0, "altLabel": 1, "hiddenLabel": 2}


def _label_rank(
    keyword: str, kind: str, lang: str, label: str, language: str | None, position: int
) -> tuple[int, int, int, int]:
    """Lower is better: the label the keyword spells (case aside, then accents aside) first,
    then a label in the record's language, then prefLabel, altLabel, hiddenLabel."""
    if label.casefold() == keyword.casefold():
        spelled = 0
    elif normalise(label) == normalise(keyword):
        spelled = 1
    else:
        spelled = 2
    same_language = 0 if language and lang == language else 1
    return (spelled, same_language, _KIND_ORDER.get(kind, 3), position)


def load_themer(settings: ThemesSettings) -> Themer:
    """Load the configured thesaurus and rules (ConfigError when either cannot be read)."""
    return Themer(
        load_thesaurus(settings.thesaurus_path),
        load_rules(settings.rules_path),
        text_threshold=settings.text_threshold,
    )
