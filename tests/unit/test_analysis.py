"""Text analysis is shared by indexing and querying: both sides must agree on every spelling."""

from __future__ import annotations

import unicodedata

import pytest

from indexer.analysis import analyse, normalise, paired_stems, query_terms, tokenise


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Forêts domaniales de l'Œuvre", ["forets", "domaniales", "de", "l", "oeuvre"]),
        ("Loire-Bretagne_2018", ["loire", "bretagne", "2018"]),
        ("STRASSE Straße", ["strasse", "strasse"]),
        ("surface ½ km²", ["surface", "1", "2", "km2"]),
        ("", []),
    ],
)
def test_tokens_are_unaccented_casefolded_words(text: str, tokens: list[str]) -> None:
    assert tokenise(text) == tokens


def test_decomposed_accents_give_the_same_tokens_as_composed_ones() -> None:
    composed = "Rivières et zones humides du bassin Rhône-Méditerranée"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert (
        tokenise(decomposed) == tokenise(composed) == normalise(composed).replace("-", " ").split()
    )
    assert analyse(decomposed) == analyse(composed)


def test_index_and_query_forms_meet_across_plural_and_accents() -> None:
    indexed, length = analyse("Inventaire des zones humides (wetlands)")
    assert length == 5
    index_terms = set(indexed.split())
    for word in ("zone humide", "Wetland", "inventaires"):
        for term in query_terms(word):
            assert set(term.alternatives) & index_terms, (word, term, indexed)


@pytest.mark.parametrize(
    "text",
    [
        "Zones humides des rivières, wetlands and forests",
        "Forêts domaniales Œuvre surface ½ km² Loire-Bretagne_2018",
        "Forêts décomposées".replace("ê", "e\u0302"),
        "",
    ],
)
def test_paired_stems_hold_the_query_sides_stems_at_each_word(text: str) -> None:
    """OpenSearch indexes paired_stems' form (one 'french|english' entry per word): each
    entry must be exactly the alternatives a query for that word sends, twice over (the
    second call answers from the word cache)."""
    expected = " ".join("|".join(query_terms(word)[0].alternatives) for word in tokenise(text))
    assert paired_stems(text) == expected
    assert paired_stems(text) == expected
