"""The explainable theme matcher: Record -> themes of the company thesaurus, with evidence.

Pure over a Record (no I/O, no clock), so re-theming from the store after a rule change
needs no harvest. Steps, in order (each theme keeps every piece of evidence found for it):

1. `uri`: keyword URIs, and ISO topic categories as their INSPIRE registry URIs, equal to a
   concept's exactMatch / closeMatch / narrowMatch target (indexer/thesaurus.py compares
   URIs in canonical form).
2. `label`: keyword labels equal to a concept's prefLabel, altLabel or hiddenLabel, or to
   a label it borrows from a vocabulary it *Matches (INSPIRE themes, EU data themes, topic
   categories in ~25 languages), each keyed in its own language (indexer/matching_text.py);
   keyword paths ('Earth Science > Oceans > ...') are matched segment by segment, most
   specific first.
3. `rule`: the `map` rules of mappings/*.yaml (keyword, keyword pattern, URI, thesaurus,
   text pattern), then `source` defaults when nothing else matched.
4. `text`: title and abstract scored against every concept's own and borrowed labels
   (indexer/text_scoring.py: IDF-weighted, saturating, in the record's language too); the
   best concept only, when it reaches `text_threshold` points and clearly beats the
   runner-up, so a passing mention of 'communes' in an abstract files nothing.

5. GEMET votes: the GEMET concepts the record names (keyword URIs and labels, French text)
   vote for their GEMET themes; the clear winners (one, or several scoring alike well
   above the rest) file the company concepts that *Match them (indexer/gemet_votes.py),
   cited as `label` (keywords voted) or `text` evidence.

`ignore` rules hide keywords from every step; `exclude` rules remove a concept at the end.
A theme's ancestors are not added as themes (the evidence would be invented) but listed in
`Theme.broader`, which the `theme` facet counts as implied (indexer/backends/documents.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from indexer.analysis import normalise
from indexer.bounded_memo import BoundedMemo
from indexer.gemet_votes import GemetVoter, ThemeVote
from indexer.matching_text import (
    guess_language,
    keyword_head,
    keyword_items,
    keyword_segments,
    record_language,
)
from indexer.rules import Rule, RuleSet, load_rules
from indexer.text_scoring import TextScorer
from indexer.thesaurus import LabelHit, Thesaurus, canonical_uri, label_keys, load_thesaurus
from moisson.config import ThemesSettings
from moisson.record import Keyword, Record, Theme, ThemeEvidence

__all__ = ["TOPIC_CATEGORY_BASE", "Themer", "load_themer"]


TOPIC_CATEGORY_BASE = "http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/"
_STEP_ORDER = {"uri": 0, "label": 1, "rule": 2, "text": 3}
_ASCII_SEPARATORS = "\x1c\x1d\x1e\x1f"  # whitespace to Unicode \s, not to ASCII \s


# (concept, matched text, target) of one piece of label-step evidence.
_LabelEvidence = tuple[str, str, str]


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
        # The same `pattern` regexes for normalised title and abstract that are plain ASCII
        # (accents stripped, the usual case): sre matches an ASCII pattern in ASCII mode
        # ~30% faster, with the same matches on such text (see _search_text).
        self._ascii_patterns = {
            r.id: re.compile(r.keyword_pattern or r.pattern or "", re.IGNORECASE | re.ASCII)
            for r in rules.rules
            if r.pattern and (r.keyword_pattern or r.pattern).isascii()
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
        self._hit_cache: BoundedMemo[tuple[str | None, ...], list[tuple[Rule, str, str]]] = (
            BoundedMemo()
        )
        self._ignored_cache: BoundedMemo[tuple[str | None, ...], bool] = BoundedMemo()
        # (keyword label, spoken language, record language) -> (concept, matched, target)
        # of the label step: catalogues repeat their keywords, and the step is pure.
        self._label_cache: BoundedMemo[tuple[str, str | None, str | None], list[_LabelEvidence]] = (
            BoundedMemo()
        )
        # URI -> (concept, target)
        self._uri_cache: BoundedMemo[str, list[tuple[str, str]]] = BoundedMemo()
        # concept id -> (uri, prefLabels, ancestors) of its Theme; the thesaurus is read-only.
        self._theme_parts: dict[str, tuple[str, dict[str, str], list[str]]] = {}
        self._descendants: dict[str, frozenset[str]] = {}  # concept id -> its descendants
        self.text_scorer = TextScorer(thesaurus, text_threshold)
        self.gemet = GemetVoter(thesaurus)

    def with_rules(self, rules: RuleSet) -> Themer:
        """The same thesaurus with other rules (a draft to preview)."""
        return Themer(self.thesaurus, rules, text_threshold=self.text_threshold)

    # -- keyword conditions ----------------------------------------------------------------

    def keyword_rule_hits(self, keyword: Keyword) -> list[tuple[Rule, str, str]]:
        """(rule, matched text, target) of the keyword-level rules matching `keyword`.
        Cached per keyword: catalogues repeat the same keywords across records."""
        key = (keyword.label, keyword.uri, keyword.thesaurus, keyword.thesaurus_uri)
        return self._hit_cache.get(key, self._keyword_rule_hits, keyword)

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

    def _search_text(self, rule_id: str, text: str) -> re.Match[str] | None:
        """A `pattern` rule's regex searched in a normalised title or abstract. On ASCII
        text an ASCII pattern gives the same matches in ASCII mode: case-insensitive
        matching, \\w, \\d and \\b differ from Unicode mode only on non-ASCII characters,
        and \\s only on the separators \\x1c-\\x1f, ruled out here."""
        fast = self._ascii_patterns.get(rule_id)
        if (
            fast is not None
            and text.isascii()
            and not any(separator in text for separator in _ASCII_SEPARATORS)
        ):
            return fast.search(text)
        return self._patterns[rule_id].search(text)

    def ignored(self, keyword: Keyword) -> bool:
        key = (keyword.label, keyword.uri, keyword.thesaurus, keyword.thesaurus_uri)
        return self._ignored_cache.get(key, self._ignored, keyword)

    def _ignored(self, keyword: Keyword) -> bool:
        return any(rule.action == "ignore" for rule, _, _ in self.keyword_rule_hits(keyword))

    # -- the steps ---------------------------------------------------------------------------

    def _uris(self, record: Record, keywords: list[Keyword], found: _Found) -> None:
        pairs = [("keyword", k.uri) for k in keywords if k.uri]
        pairs += [
            ("topic_category", TOPIC_CATEGORY_BASE + code.split("_")[0])
            for code in record.topic_categories
        ]
        for field_name, uri in pairs:
            for concept, target in self._uri_cache.get(uri, self._uri_targets, uri):
                found.add(
                    concept,
                    ThemeEvidence(step="uri", field=field_name, matched=uri, target=target),
                )

    def _uri_targets(self, uri: str) -> list[tuple[str, str]]:
        """(concept, evidence target) of the concepts a keyword or topic URI names."""
        targets = []
        for concept, relation in self.thesaurus.concepts_for_uri(uri):
            target = self.thesaurus.concepts[concept].uri if relation == "self" else uri
            targets.append(
                (concept, f"skos:{relation} <{target}>" if relation != "self" else target)
            )
        return targets

    def label_hits(
        self, keyword: Keyword, language: str | None = None
    ) -> tuple[str, list[LabelHit]]:
        """(matched text, hits) for a keyword: the whole label, else the segments of a
        keyword path, most specific first (the first segment with a hit wins), else the
        items of a list keyword ('Meteorology, weather and radiation conditions': the
        first item with a hit wins), else, for a
        keyword of two or three words in a record of known `language`, its head word when
        that is a label ('regional geology' -> 'geology', 'écosystèmes polaires' ->
        'écosystèmes': last word in English, German and Dutch, first in Romance languages)."""
        return self._label_hits(keyword.label, language)

    def _label_hits(self, label: str, language: str | None) -> tuple[str, list[LabelHit]]:
        hits = self.thesaurus.label_hits(label)
        if hits:
            return label, hits
        for segment in keyword_segments(label) or keyword_items(label):
            hits = self.thesaurus.label_hits(segment)
            if hits:
                return segment, hits
        head = keyword_head(label, language)
        if head:
            hits = self.thesaurus.label_hits(head)
            if hits:
                return head, hits
        return label, []

    def _labels(self, record: Record, keywords: list[Keyword], found: _Found) -> None:
        language = _THESAURUS_LANGUAGE.get(record.language or "")
        spoken = _spoken_language(record)
        for keyword in keywords:
            evidence = self._label_cache.get(
                (keyword.label, spoken, language),
                self._label_evidence,
                keyword.label,
                spoken,
                language,
            )
            for concept, matched, target in evidence:
                found.add(
                    concept,
                    ThemeEvidence(step="label", field="keyword", matched=matched, target=target),
                )

    def _label_evidence(
        self, label: str, spoken: str | None, language: str | None
    ) -> list[_LabelEvidence]:
        # One piece of evidence per keyword and concept: the label that best explains
        # the match (_label_rank), not whichever language the thesaurus lists first:
        # "Precipitation" on an English record cites altLabel@en 'precipitation', not
        # altLabel@fr 'précipitations', which it also stems to.
        matched, hits = self._label_hits(label, spoken)
        best: dict[str, tuple[tuple[int, ...], LabelHit]] = {}
        for position, hit in enumerate(hits):
            rank = _label_rank(matched, hit, language, position)
            if hit.concept not in best or rank < best[hit.concept][0]:
                best[hit.concept] = (rank, hit)
        evidence = []
        for _, hit in best.values():
            target = f"skos:{hit.kind}@{hit.language} {hit.label!r}"
            if hit.source:
                target += f" of <{hit.source}>"
            evidence.append((hit.concept, matched, target))
        return evidence

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
                hit = self._search_text(rule.id, text)
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
        hit = self.text_scorer.best(record.title, record.abstract, _spoken_language(record))
        if hit is None or hit.concept in found.evidence:
            return
        found.add(
            hit.concept,
            ThemeEvidence(
                step="text",
                field=hit.field,
                matched=hit.label,
                target=(
                    f"score {hit.score:g} (threshold {self.text_scorer.threshold:g}, "
                    f"runner-up {hit.runner_up:g})"
                ),
            ),
        )

    def _gemet(self, record: Record, keywords: list[Keyword], found: _Found) -> None:
        for elected in self.gemet.elect_all(record, keywords):
            self._gemet_theme(elected, found)

    def _gemet_theme(self, elected: ThemeVote, found: _Found) -> None:
        for concept in elected.concepts:
            descendants = self._descendants.get(concept)
            if descendants is None:
                descendants = self._descendants[concept] = frozenset(
                    self.thesaurus.descendants(concept)
                )
            if not descendants.isdisjoint(found.evidence):
                continue  # already filed more precisely ('wetlands' beats GEMET's 'water')
            # One piece of evidence per record field that voted, strongest votes first.
            by_field: dict[str, list[str]] = {}
            for vote in elected.votes:
                by_field.setdefault(vote.field, []).append(vote.label)
            for field_name, labels in by_field.items():
                found.add(
                    concept,
                    ThemeEvidence(
                        step="label" if field_name == "keyword" else "text",
                        field=field_name,
                        matched=", ".join(labels[:5]),
                        target=(
                            f"GEMET theme <{elected.uri}> by {elected.score:g} votes "
                            f"(runner-up {elected.runner_up:g})"
                        ),
                    ),
                )

    # -- public ------------------------------------------------------------------------------

    def assign(self, record: Record) -> list[Theme]:
        """The record's themes, each with its evidence, most direct evidence first."""
        keywords = [k for k in record.keywords if not self.ignored(k)]
        found = _Found()
        self._uris(record, keywords, found)
        self._labels(record, keywords, found)
        self._rules(record, keywords, found)
        self._text(record, found)
        self._gemet(record, keywords, found)
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
        for excluded in self._excluded(record, keywords):
            found.evidence.pop(excluded, None)
        themes = []
        for concept_id, evidence in found.evidence.items():
            parts = self._theme_parts.get(concept_id)
            if parts is None:
                concept = self.thesaurus.concepts.get(concept_id)
                if concept is None:  # a rule naming no concept (the validator reports it)
                    continue
                parts = (concept.uri, concept.pref_labels(), self.thesaurus.ancestors(concept.id))
                self._theme_parts[concept_id] = parts
            uri, labels, broader = parts
            evidence.sort(key=lambda e: _STEP_ORDER[e.step])
            themes.append(
                Theme(
                    id=concept_id,
                    uri=uri,
                    labels=dict(labels),
                    broader=list(broader),
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
                hit = bool(self._search_text(rule.id, text))
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
        spoken = _spoken_language(record)
        for keyword in record.keywords:
            if self.ignored(keyword):
                continue
            if keyword.uri and self.thesaurus.concepts_for_uri(keyword.uri):
                continue
            if self.label_hits(keyword, spoken)[1]:
                continue
            if any(r.action == "map" for r, _, _ in self.keyword_rule_hits(keyword)):
                continue
            out.append(keyword.label)
        return out


def _spoken_language(record: Record) -> str | None:
    """The record's declared language (two letters), else the one its title and abstract's
    function words show (indexer/matching_text.py `guess_language`)."""
    declared = record_language(record.language)
    return declared or guess_language(f"{record.title} {record.abstract or ''}")


# A record's ISO 639-2 language -> the thesaurus' language tags, for choosing evidence.
_THESAURUS_LANGUAGE = {
    "fre": "fr", "fra": "fr", "eng": "en", "ger": "de", "deu": "de", "spa": "es",
    "ita": "it", "dut": "nl", "nld": "nl", "por": "pt",
}  # fmt: skip
_KIND_ORDER = {"prefLabel": 0, "altLabel": 1, "hiddenLabel": 2}


def _label_rank(
    keyword: str, hit: LabelHit, language: str | None, position: int
) -> tuple[int, ...]:
    """Lower is better: the label the keyword spells (case aside, then accents aside) first,
    then the company's own labels before borrowed ones, then a label in the record's
    language, then prefLabel, altLabel, hiddenLabel."""
    if hit.label.casefold() == keyword.casefold():
        spelled = 0
    elif normalise(hit.label) == normalise(keyword):
        spelled = 1
    else:
        spelled = 2
    borrowed = 0 if hit.source is None else 1
    same_language = 0 if language and hit.language == language else 1
    return (spelled, borrowed, same_language, _KIND_ORDER.get(hit.kind, 3), position)


def load_themer(settings: ThemesSettings) -> Themer:
    """Load the configured thesaurus and rules (ConfigError when either cannot be read)."""
    return Themer(
        load_thesaurus(settings.thesaurus_path),
        load_rules(settings.rules_path),
        text_threshold=settings.text_threshold,
    )
