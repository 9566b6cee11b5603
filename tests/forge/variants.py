"""Edited copies of the bundled thesaurus and rules, the changes a geomatician proposes in a
merge request, shared by the diff, impact, report and CLI tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from indexer.thesaurus import VOCABULARY_LABELS
from moisson.config import BUNDLED_RULES, BUNDLED_THESAURUS

__all__ = [
    "CYCLE",
    "LANGUAGES",
    "MOVE_FLORA",
    "NEW_CONCEPT",
    "NEW_MATCH",
    "NEW_SYNONYM",
    "RENAME_FLORA",
    "RULE_CHANGE",
    "TEXT_SYNONYM",
    "edited",
    "removed_weather",
    "variant_rules",
    "variant_thesaurus",
]

LANGUAGES = ["fr", "en"]

# Each change as (old text, new text), applied to the bundled file; every old text occurs once.
RENAME_FLORA = [
    (
        'skos:prefLabel "Flore"@fr, "Flora"@en ;\n    skos:altLabel "plantes"@fr,',
        'skos:prefLabel "Flore sauvage"@fr, "Flora"@en ;\n    skos:altLabel "Flore"@fr, '
        '"plantes"@fr,',
    )
]
MOVE_FLORA = [
    ("skos:narrower t:species, t:habitats,", "skos:narrower t:species, t:flora, t:habitats,"),
    (
        "skos:narrower t:invasive-species, t:fauna, t:flora .",
        "skos:narrower t:invasive-species, t:fauna .",
    ),
    (
        '"Wild plant species and vegetation."@en ;\n    skos:broader t:species .',
        '"Wild plant species and vegetation."@en ;\n    skos:broader t:biodiversity .',
    ),
]
NEW_SYNONYM = [
    (
        '"livestock"@en, "cropland"@en ;',
        '"livestock"@en, "cropland"@en, "vegetation-cropland"@en ;',
    )
]
# Dutch synonyms found only in titles and abstracts (the text step), never as keywords: one
# alone does not reach the scored text step's threshold, the two in one title do (on a
# record no GEMET vote files: 'verdeling van verplaatsingen volgens verplaatsingsmotief').
TEXT_SYNONYM = [
    (
        '"Wasserstraßen"@de ;',
        '"Wasserstraßen"@de, "verplaatsingsmotief"@nl, "verplaatsingen"@nl ;',
    )
]
# A new *Match: transport borrows the INSPIRE hydrography theme's labels in ~25 languages.
NEW_MATCH = [("skos:exactMatch inspire:tn ;", "skos:exactMatch inspire:tn, inspire:hy ;")]
# One more concept: every idf of the text step moves.
NEW_CONCEPT = [
    (
        "t:water a skos:Concept ;",
        "t:aerial a skos:Concept ; skos:inScheme <https://w3id.org/moisson/theme> ;\n"
        '    skos:prefLabel "Photographies aériennes"@fr, "Aerial photos"@en ;\n'
        "    skos:broader t:water .\n\nt:water a skos:Concept ;",
    )
]
CYCLE = [
    (
        '"Wild plant species and vegetation."@en ;\n    skos:broader t:species .',
        '"Wild plant species and vegetation."@en ;\n    skos:broader t:species ;\n'
        "    skos:narrower t:biodiversity .",
    ),
    (
        "skos:topConceptOf <https://w3id.org/moisson/theme> ;\n"
        '    skos:prefLabel "Biodiversité"@fr,',
        "skos:topConceptOf <https://w3id.org/moisson/theme> ;\n    skos:broader t:flora ;\n"
        '    skos:prefLabel "Biodiversité"@fr,',
    ),
]
RULE_CHANGE = [
    (
        'keyword_pattern: "^hydrography--"\n    concept: hydrography',
        'keyword_pattern: "^hydrography--"\n    concept: water',
    )
]


def edited(text: str, changes: list[tuple[str, str]]) -> str:
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def variant_thesaurus(
    folder: Path, changes: list[tuple[str, str]], name: str = "themes.ttl"
) -> Path:
    """The bundled thesaurus with `changes`, written to `folder`, with the vocabulary labels
    it borrows copied beside it as in the repository (without them, every borrowed label
    would look removed)."""
    path = folder / name
    text = edited(BUNDLED_THESAURUS.read_text(encoding="utf-8"), changes)
    path.write_text(text, encoding="utf-8")
    labels = BUNDLED_THESAURUS.with_name(VOCABULARY_LABELS)
    if labels.exists():
        shutil.copyfile(labels, path.with_name(VOCABULARY_LABELS))
    return path


def variant_rules(folder: Path, changes: list[tuple[str, str]], name: str = "rules.yaml") -> Path:
    path = folder / name
    path.write_text(edited(BUNDLED_RULES.read_text(encoding="utf-8"), changes), encoding="utf-8")
    return path


def removed_weather() -> list[tuple[str, str]]:
    """Remove t:weather: its block and its parent's narrower link."""
    text = BUNDLED_THESAURUS.read_text(encoding="utf-8")
    start = text.index("t:weather a skos:Concept ;")
    end = text.index("\n\n", start) + 2
    return [
        (
            "skos:narrower t:climate, t:weather, t:air-quality,",
            "skos:narrower t:climate, t:air-quality,",
        ),
        (text[start:end], ""),
    ]
