"""How published records cite the company theme thesaurus.

Every output format files a record's company themes under the thesaurus they come from:
an ISO `descriptiveKeywords` block citing it (title, date, URI), OGC API Records `themes`
with the scheme URI, DCAT `dcat:theme` with `skos:inScheme`. `ThemeScheme` is that citation,
read once from the loaded thesaurus so the serialisers stay pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import rdflib
from rdflib.namespace import DCTERMS, OWL

from indexer.thesaurus import Thesaurus
from moisson.record import Theme

__all__ = ["ThemeScheme", "language_tag", "theme_label"]

# ISO 639-2/B record languages -> the two-letter tags of thesaurus labels.
_LANG2 = {
    "fre": "fr",
    "fra": "fr",
    "eng": "en",
    "ger": "de",
    "deu": "de",
    "ita": "it",
    "spa": "es",
    "dut": "nl",
    "nld": "nl",
    "por": "pt",
    "cze": "cs",
    "ces": "cs",
    "gre": "el",
    "ell": "el",
    "pol": "pl",
    "swe": "sv",
    "dan": "da",
    "fin": "fi",
}


@dataclass(frozen=True)
class ThemeScheme:
    """The company thesaurus as a citation: concept scheme URI, titles per language, and
    its date (dct:modified, else dct:issued, else dct:created of the scheme; None when the
    file states none: the ISO citation then says `gco:nilReason="unknown"` rather than
    inventing one). `eu_themes` maps a concept id to the EU data-theme URIs it matches
    (skos:*Match to publications.europa.eu data-theme), for DCAT's `dcat:theme`."""

    uri: str
    titles: dict[str, str] = field(default_factory=dict)
    date: date | None = None
    version: str | None = None
    eu_themes: dict[str, list[str]] = field(default_factory=dict)
    languages: tuple[str, ...] = ("fr", "en")

    @classmethod
    def from_thesaurus(
        cls, thesaurus: Thesaurus, languages: tuple[str, ...] = ("fr", "en")
    ) -> ThemeScheme:
        graph = thesaurus.graph
        node = rdflib.URIRef(thesaurus.scheme)
        titles = {
            value.language or "": str(value)
            for value in graph.objects(node, DCTERMS.title)
            if isinstance(value, rdflib.Literal)
        }
        found: date | None = None
        for predicate in (DCTERMS.modified, DCTERMS.issued, DCTERMS.created):
            value = graph.value(node, predicate)
            if isinstance(value, rdflib.Literal):
                parsed = value.toPython()
                if isinstance(parsed, datetime):
                    parsed = parsed.date()
                if isinstance(parsed, date):
                    found = parsed
                    break
        version = graph.value(node, OWL.versionInfo)
        eu = "http://publications.europa.eu/resource/authority/data-theme/"
        eu_themes: dict[str, list[str]] = {}
        for concept in thesaurus.concepts.values():
            targets = sorted(
                {
                    t
                    for relation in ("exactMatch", "closeMatch", "narrowMatch", "broadMatch")
                    for t in concept.matches.get(relation, [])
                    if t.startswith(eu)
                }
            )
            if targets:
                eu_themes[concept.id] = targets
        return cls(
            uri=thesaurus.scheme,
            titles=titles,
            date=found,
            version=str(version) if version is not None else None,
            eu_themes=eu_themes,
            languages=languages,
        )

    def title(self, language: str | None = None) -> str:
        """The scheme title in a record's language (ISO 639-2 or two-letter), else in the
        first configured language that has one."""
        for lang in (language_tag(language), *self.languages, ""):
            if lang is not None and self.titles.get(lang):
                return self.titles[lang]
        return next(iter(self.titles.values()), self.uri)


def language_tag(language: str | None) -> str | None:
    """The RFC 5646 tag of a record language ('fre' -> 'fr'); a two-letter code as is; None
    for a code this table does not know."""
    if not language:
        return None
    return _LANG2.get(language.lower(), language.lower() if len(language) == 2 else None)


def theme_label(
    theme: Theme, language: str | None, fallback: tuple[str, ...] = ("fr", "en")
) -> str:
    """A theme's prefLabel in the record's language, else a fallback language, else its id."""
    for lang in (language_tag(language), *fallback):
        if lang and theme.labels.get(lang):
            return theme.labels[lang]
    return next(iter(theme.labels.values()), theme.id)
