"""The company theme thesaurus (SKOS in Turtle, thesaurus/*.ttl), loaded once into plain
Python structures the matcher and the API read without touching rdflib again.

- `Concept`: id (the local name after the scheme's namespace, used as facet value), URI,
  prefLabel / altLabel / hiddenLabel per language, definitions, broader / narrower ids and
  the *Match targets by relation.
- `label_key`: what a label or a keyword becomes before comparison: normalised (case,
  accents, ligatures), tokenised, stopwords dropped when other words remain, then stemmed
  (indexer/analysis.py). Both the French and the English stem sequence are keys, so
  'Zones humides', 'zone humide' and 'ZONES HUMIDES' meet, and so do 'wetland' and
  'Wetlands'.
- `canonical_uri`: URIs compared without scheme, trailing slash or case of the host, with
  GEMET's language segment dropped and GEMET's copy of the INSPIRE themes mapped to the
  INSPIRE registry, because harvested records spell the same concept all those ways.

Borrowed labels: the concepts an assigning *Match points to (INSPIRE themes, EU data themes,
ISO topic categories...) lend their labels, in every language, to the company concept
(`vocabulary-labels.tsv` beside the thesaurus file, derived by
scripts/derive_vocabulary_labels.py). They are kept apart from the company's own labels
(`Thesaurus.borrowed`), are never shown, and are keyed in their own language only
(indexer/matching_text.py), as are the own labels in `Thesaurus.by_language_key`.

The full GEMET (`gemet-concepts.tsv`, same script) is loaded too, for the GEMET votes
(indexer/gemet_votes.py). It is read from the package's thesaurus/ folder whatever thesaurus
file is configured: GEMET is a public vocabulary, the same for every thesaurus, and what
links it to company concepts is the thesaurus' own *Match links, so a draft, a variant or
an older revision of the thesaurus is previewed and compared with the same GEMET table.

Only skos:exactMatch, closeMatch and narrowMatch assign a concept (the target is the same
or narrower, so a record about it is about the concept); broadMatch and relatedMatch are
kept for display and never assign.

rdflib errors become ConfigError here, the one module that parses the thesaurus.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib.namespace import RDF, SKOS

from indexer.analysis import STOPWORDS, normalise, stem_pairs, tokenise
from indexer.matching_text import compound_heads, keyword_keys, label_key
from moisson.config import BUNDLED_THESAURUS
from moisson.errors import ConfigError

__all__ = [
    "ASSIGNING_MATCHES",
    "MATCH_RELATIONS",
    "Borrowed",
    "Concept",
    "LabelHit",
    "Thesaurus",
    "canonical_uri",
    "label_keys",
    "load_thesaurus",
]

logger = logging.getLogger(__name__)

MATCH_RELATIONS = ("exactMatch", "closeMatch", "narrowMatch", "broadMatch", "relatedMatch")
ASSIGNING_MATCHES = ("exactMatch", "closeMatch", "narrowMatch")
LABEL_KINDS = ("prefLabel", "altLabel", "hiddenLabel")

_GEMET_LANGUAGE = re.compile(r"^(www\.)?eionet\.europa\.eu/gemet/[a-z]{2}(-[a-z]+)?/")
_GEMET_INSPIRE = re.compile(r"^(?:www\.)?eionet\.europa\.eu/gemet/inspire[-_]themes?/(\w+)$")


def canonical_uri(uri: str) -> str:
    """Comparison form of a vocabulary URI (see the module docstring)."""
    text = uri.strip()
    text = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", text).rstrip("/")
    host, slash, rest = text.partition("/")
    text = host.lower() + slash + rest
    text = _GEMET_LANGUAGE.sub(lambda m: f"{m.group(1) or ''}eionet.europa.eu/gemet/", text)
    if text.startswith("eionet"):
        text = "www." + text
    found = _GEMET_INSPIRE.match(text)
    if found:
        return f"inspire.ec.europa.eu/theme/{found.group(1).lower()}"
    return text


@functools.lru_cache(maxsize=65536)
def label_keys(text: str) -> tuple[str, ...]:
    """The comparison keys of a label or keyword: its French and English stem sequences
    (one key when they agree); empty when the text has no word. Cached: keywords repeat."""
    words = tokenise(text)
    content = [w for w in words if w not in STOPWORDS]
    words = content or words
    if not words:
        return ()
    french, english = stem_pairs(words)
    return tuple(dict.fromkeys((" ".join(french), " ".join(english))))


@dataclass
class Concept:
    id: str
    uri: str
    labels: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # kind -> lang -> ...
    definitions: dict[str, str] = field(default_factory=dict)
    broader: list[str] = field(default_factory=list)
    narrower: list[str] = field(default_factory=list)
    matches: dict[str, list[str]] = field(default_factory=dict)  # relation -> target URIs
    top: bool = False

    def pref(self, lang: str, fallback: Iterable[str] = ()) -> str:
        """prefLabel in `lang`, else in the first fallback language that has one, else id."""
        prefs = self.labels.get("prefLabel", {})
        for candidate in (lang, *fallback):
            if prefs.get(candidate):
                return prefs[candidate][0]
        return next((values[0] for values in prefs.values() if values), self.id)

    def pref_labels(self) -> dict[str, str]:
        return {lang: values[0] for lang, values in self.labels.get("prefLabel", {}).items()}

    def all_labels(self, kinds: Iterable[str] = LABEL_KINDS) -> Iterator[tuple[str, str, str]]:
        """(kind, language, label) for every label of the given kinds."""
        for kind in kinds:
            for lang, values in self.labels.get(kind, {}).items():
                for value in values:
                    yield kind, lang, value


@dataclass(frozen=True)
class Borrowed:
    """A label a concept borrows from a vocabulary concept it *Matches."""

    concept: str
    relation: str
    language: str
    label: str
    source: str  # the vocabulary concept's URI


@dataclass(frozen=True)
class LabelHit:
    """A keyword (or keyword segment) equal to a label after language-aware keying."""

    concept: str
    kind: str  # prefLabel / altLabel / hiddenLabel, of the concept or of `source`
    language: str
    label: str
    source: str | None = None  # set when the label is borrowed


@dataclass
class Thesaurus:
    """The loaded scheme. Build with `load_thesaurus`; read-only afterwards."""

    path: Path
    scheme: str
    namespace: str
    concepts: dict[str, Concept]
    schemes: list[str]
    graph: rdflib.Graph = field(repr=False)
    by_uri: dict[str, str] = field(default_factory=dict)  # concept URI -> id
    by_match: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    by_label: dict[str, list[tuple[str, str, str, str]]] = field(default_factory=dict)
    vocabulary_labels: list[tuple[str, str, str]] = field(default_factory=list, repr=False)
    # GEMET concepts (number, theme numbers, language, label): indexer/gemet_votes.py.
    gemet_concepts: list[tuple[str, tuple[str, ...], str, str]] = field(
        default_factory=list, repr=False
    )
    borrowed: list[Borrowed] = field(default_factory=list)
    by_language_key: dict[str, list[LabelHit]] = field(default_factory=dict)
    languages: tuple[str, ...] = ("fr", "en")
    single_word_keys: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for concept in self.concepts.values():
            self.by_uri[concept.uri] = concept.id
            for relation in ASSIGNING_MATCHES:
                for target in concept.matches.get(relation, []):
                    self.by_match.setdefault(canonical_uri(target), []).append(
                        (concept.id, relation)
                    )
            for kind, lang, label in concept.all_labels():
                for key in label_keys(label):
                    entry = (concept.id, kind, lang, label)
                    if entry not in self.by_label.setdefault(key, []):
                        self.by_label[key].append(entry)
                if lang:
                    self._index(label, lang, LabelHit(concept.id, kind, lang, label))
        self._borrow()

    def _index(self, label: str, language: str, hit: LabelHit) -> None:
        key = label_key(label, language)
        if not key:
            return
        bucket = self.by_language_key.setdefault(key, [])
        if hit not in bucket:
            bucket.append(hit)
        if " " not in key:
            self.single_word_keys.add(key)

    def _borrow(self) -> None:
        """Index the labels of the vocabulary concepts our concepts *Match (assigning)."""
        by_target: dict[str, list[tuple[str, str]]] = {}
        for uri, language, label in self.vocabulary_labels:
            by_target.setdefault(canonical_uri(uri), []).append((language, label))
        languages = {"fr", "en"}
        for target, owners in self.by_match.items():
            for concept, relation in owners:
                for language, label in by_target.get(target, []):
                    borrowed = Borrowed(concept, relation, language, label, target)
                    self.borrowed.append(borrowed)
                    hit = LabelHit(concept, "prefLabel", language, label, "http://" + target)
                    self._index(label, language or "und", hit)
                    languages.add(language or "und")
        self.languages = ("fr", "en", *sorted(languages - {"fr", "en"}))

    def ancestors(self, concept_id: str) -> list[str]:
        """Broader concepts, nearest first, each once (cycle-safe)."""
        found: list[str] = []
        queue = list(self.concepts[concept_id].broader) if concept_id in self.concepts else []
        while queue:
            current = queue.pop(0)
            if current in found or current == concept_id or current not in self.concepts:
                continue
            found.append(current)
            queue.extend(self.concepts[current].broader)
        return found

    def descendants(self, concept_id: str) -> list[str]:
        found: list[str] = []
        queue = list(self.concepts[concept_id].narrower) if concept_id in self.concepts else []
        while queue:
            current = queue.pop(0)
            if current in found or current == concept_id or current not in self.concepts:
                continue
            found.append(current)
            queue.extend(self.concepts[current].narrower)
        return found

    def tops(self) -> list[str]:
        return [c.id for c in self.concepts.values() if not c.broader]

    def concepts_for_uri(self, uri: str) -> list[tuple[str, str]]:
        """(concept id, relation) of the concepts whose assigning *Match is `uri`, plus the
        concept itself when `uri` is one of ours."""
        own = self.by_uri.get(uri.strip())
        found = [(own, "self")] if own else []
        return found + self.by_match.get(canonical_uri(uri), [])

    def label_hits(self, text: str) -> list[LabelHit]:
        """Own and borrowed labels equal to `text` keyed in the label's language; own
        labels first. For a long single word with no hit, the longest compound head that
        is a German or Dutch single-word label ('Grundwasser' -> 'Wasser')."""
        hits: list[LabelHit] = []
        for key in keyword_keys(text, self.languages):
            for hit in self.by_language_key.get(key, []):
                if hit not in hits:
                    hits.append(hit)
        if not hits:
            for head in compound_heads(text):
                for language in ("de", "nl"):
                    key = label_key(head, language)
                    if key in self.single_word_keys:
                        # The head must begin as the label does: Dutch Snowball strips a
                        # 'ge-' prefix, so 'ologie' (of 'technologie') stems as 'Geologie'.
                        found = [
                            hit
                            for hit in self.by_language_key[key]
                            if normalise(hit.label).strip()[:3] == head[:3]
                        ]
                        if found:
                            return found
        hits.sort(key=lambda h: h.source is not None)
        return hits

    def concepts_for_label(self, text: str) -> list[tuple[str, str, str, str]]:
        """(concept id, label kind, language, label) of the labels equal to `text` after
        normalisation and stemming."""
        found: list[tuple[str, str, str, str]] = []
        for key in label_keys(text):
            for entry in self.by_label.get(key, []):
                if entry not in found:
                    found.append(entry)
        return found


def _local_id(uri: str, namespace: str) -> str:
    if namespace and uri.startswith(namespace):
        return uri[len(namespace) :]
    return re.split(r"[/#]", uri.rstrip("/#"))[-1]


def parse_graph(path: Path) -> rdflib.Graph:
    """Parse a Turtle file; a syntax error becomes ConfigError naming the file and line."""
    graph = rdflib.Graph()
    try:
        graph.parse(path, format="turtle")
    except FileNotFoundError as exc:
        raise ConfigError(f"thesaurus file not found: {path}") from exc
    except Exception as exc:  # rdflib raises many parser types; all mean a bad file
        raise ConfigError(f"{path}: not valid Turtle: {exc}", detail=repr(exc)) from exc
    return graph


VOCABULARY_LABELS = "vocabulary-labels.tsv"


def _tsv_rows(path: Path, columns: tuple[str, ...]) -> list[list[str]]:
    """The rows of a derived tab-separated table (comments and blank lines skipped); [] when
    the file is absent (a custom thesaurus without it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != len(columns):
            raise ConfigError(f"{path}:{number}: expected {', '.join(columns)}")
        rows.append(parts)
    return rows


def read_vocabulary_labels(path: Path) -> list[tuple[str, str, str]]:
    """(vocabulary concept URI, language, label) rows of a vocabulary-labels.tsv."""
    return [(u, lang, label) for u, lang, label in _tsv_rows(path, ("URI", "language", "label"))]


GEMET_CONCEPTS = "gemet-concepts.tsv"


def read_gemet_concepts(path: Path) -> list[tuple[str, tuple[str, ...], str, str]]:
    """(GEMET concept number, its theme numbers, language, label) rows of a
    gemet-concepts.tsv (scripts/derive_vocabulary_labels.py)."""
    columns = ("concept", "themes", "language", "label")
    return [(c, tuple(t.split(",")), lang, label) for c, t, lang, label in _tsv_rows(path, columns)]


@functools.lru_cache(maxsize=1)
def _bundled_gemet() -> list[tuple[str, tuple[str, ...], str, str]]:
    """The package's GEMET table, read once per process (never modified by callers)."""
    return read_gemet_concepts(BUNDLED_THESAURUS.with_name(GEMET_CONCEPTS))


def load_thesaurus(path: str | Path) -> Thesaurus:
    """Load the SKOS scheme at `path` (and the vocabulary labels beside it). Structural
    problems are not refused here (the validator reports them all at once); only an
    unreadable file or no scheme raises."""
    file = Path(path)
    graph = parse_graph(file)
    schemes = sorted(str(s) for s in graph.subjects(RDF.type, SKOS.ConceptScheme))
    if not schemes:
        raise ConfigError(f"{file}: no skos:ConceptScheme")
    scheme = schemes[0]
    namespace = scheme.rstrip("/#") + "/"
    concepts: dict[str, Concept] = {}
    uris = sorted({str(s) for s in graph.subjects(RDF.type, SKOS.Concept)})
    ids = {uri: _local_id(uri, namespace) for uri in uris}
    for uri in uris:
        node = rdflib.URIRef(uri)
        concept = Concept(id=ids[uri], uri=uri)
        for kind in LABEL_KINDS:
            for value in graph.objects(node, SKOS[kind]):
                if isinstance(value, rdflib.Literal):
                    lang = value.language or ""
                    concept.labels.setdefault(kind, {}).setdefault(lang, []).append(str(value))
        for kind_labels in concept.labels.values():
            for values in kind_labels.values():
                values.sort()
        for value in graph.objects(node, SKOS.definition):
            if isinstance(value, rdflib.Literal):
                concept.definitions[value.language or ""] = str(value)
        concept.broader = sorted(ids.get(str(b), str(b)) for b in graph.objects(node, SKOS.broader))
        concept.narrower = sorted(
            ids.get(str(n), str(n)) for n in graph.objects(node, SKOS.narrower)
        )
        for relation in MATCH_RELATIONS:
            targets = sorted(str(t) for t in graph.objects(node, SKOS[relation]))
            if targets:
                concept.matches[relation] = targets
        concept.top = (node, SKOS.topConceptOf, None) in graph
        concepts[concept.id] = concept
    logger.info("thesaurus %s: %d concepts", file, len(concepts))
    return Thesaurus(
        path=file,
        scheme=scheme,
        namespace=namespace,
        concepts=concepts,
        schemes=schemes,
        graph=graph,
        vocabulary_labels=read_vocabulary_labels(file.with_name(VOCABULARY_LABELS)),
        gemet_concepts=_bundled_gemet(),
    )
