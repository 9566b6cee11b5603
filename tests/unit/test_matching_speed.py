"""The theme matcher's fast paths give what the plain definitions give (issue 19).

`text_stems` and `content_words` cache per whitespace chunk and `TextScorer.best` reads
precomputed label entries; each must agree with the straightforward computation it
replaced, on the awkward inputs: combining marks (a text normalised whole), ligatures,
symbols NFKD turns into letters, punctuation inside chunks, stopwords, empty text. The
whole-matcher comparison across commits is bench/theme_snapshot.py.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections import Counter

import pytest

from indexer.analysis import _LIGATURES, _MARKS, normalise, tokenise
from indexer.matching_text import MATCH_STOPWORDS, content_words, stems, text_stems
from indexer.rules import Rule, RuleSet
from indexer.text_scoring import K1, MARGIN, RELATIVE_MARGIN, TextScorer
from indexer.themes import Themer, load_themer
from moisson.config import ThemesSettings

TEXTS = [
    "",
    "   ",
    "Zones humides de la Camargue (2018) : l'eau, les marais et d'autres milieux.",
    "Cours d'eau\u00a0et\tplans d'eau — réseau hydrographique",
    "Forêts ŒUVRE Ætat naïve",
    "Foreta\u0302ts de\u0301cidues, re\u0301seau routier",  # combining marks: normalised whole
    "Marque™ ℡ ① ² x²",  # symbols NFKD turns into letters only when normalised whole
    "Marque™ e\u0301te\u0301",
    "Grundwasserschutzzone und Oberflächenwasser der Flüsse",
    "under_score snake_case foo-bar foo/bar a.b.c",
    "the of and le la les",  # stopwords only
]


def _plain_content(text: str) -> tuple[str, ...]:
    return tuple(w for w in tokenise(text) if w not in MATCH_STOPWORDS)


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("language", ["", "fr", "en", "de", "nl", "cs"])
def test_text_stems_are_the_stems_of_the_content_words(text: str, language: str) -> None:
    content = _plain_content(text)
    assert content_words(text) == content
    expected = tuple(stems(list(content), language)) if language else content
    assert text_stems(text, language) == expected
    assert text_stems(text, language) == expected  # again, from the chunk cache


def _plain_best(
    scorer: TextScorer, title: str, abstract: str, languages: list[str]
) -> tuple[str, str, str, float, float] | None:
    """TextScorer.best as first written (per-label loop over (language, term) keys)."""
    scores: Counter[str] = Counter()
    best_label: dict[str, tuple[float, str, str]] = {}
    for lang in languages:
        in_title = Counter(stems(list(_plain_content(title)), lang))
        frequency = Counter({t: 2 * n for t, n in in_title.items()})
        frequency.update(Counter(stems(list(_plain_content(abstract)), lang)))
        found = [
            lab
            for term in frequency
            for lab in scorer.by_first.get((lang, term), ())
            if all(frequency[t] for t in lab.terms)
        ]
        found.sort(key=lambda lab: -len(lab.terms))
        longer: list[set[str]] = []
        for lab in found:
            terms = set(lab.terms)
            if any(terms < other for other in longer):
                continue
            longer.append(terms)
            weight = sum(
                scorer.idf[(lang, t)] * frequency[t] * (K1 + 1) / (frequency[t] + K1)
                for t in lab.terms
            )
            scores[lab.concept] += weight
            where = "title" if all(in_title[t] for t in lab.terms) else "abstract"
            if weight > best_label.get(lab.concept, (0.0, "", ""))[0]:
                best_label[lab.concept] = (weight, lab.label, where)
    if not scores:
        return None
    concept, score = scores.most_common(1)[0]
    branch = scorer.branch.get(concept, {concept})
    runner_up = max((v for c, v in scores.items() if c not in branch), default=0.0)
    if score < scorer.threshold or score - runner_up < max(MARGIN, RELATIVE_MARGIN * score):
        return None
    return concept, best_label[concept][1], best_label[concept][2], score, runner_up


ABSTRACTS = [
    (
        "Zones humides",
        "Inventaire des zones humides, marais et tourbières du bassin; zones humides "
        "d'importance, milieux humides, eau.",
    ),
    ("Occupation du sol 2018", "Occupation du sol et usage des sols, sol agricole."),
    ("Road network", "Roads, road traffic and transport network of the region; roads."),
    ("Réseau routier", "Routes départementales, trafic routier, transport, routes."),
    ("Plan local d'urbanisme", "Zonage du PLU, urbanisme, communes, servitudes."),
    ("Geologie", "Geologische kaart, bodem, grondwater en geologie van Nederland."),
]


@pytest.mark.parametrize(("title", "abstract"), ABSTRACTS)
def test_the_text_step_scores_as_the_plain_loop_does(title: str, abstract: str) -> None:
    scorer = load_themer(ThemesSettings()).text_scorer
    for language in (None, "fr", "en", "nl"):
        languages = ["fr", "en"] + ([language] if language == "nl" else [])
        plain = _plain_best(scorer, title, abstract, languages)
        hit = scorer.best(title, abstract, language)
        if plain is None:
            assert hit is None
            continue
        assert hit is not None
        concept, label, where, score, runner_up = plain
        assert (hit.concept, hit.label, hit.field) == (concept, label, where)
        assert math.isclose(hit.score, round(score, 2), abs_tol=1e-9)
        assert math.isclose(hit.runner_up, round(runner_up, 2), abs_tol=1e-9)


def test_some_text_is_filed_so_the_comparison_means_something() -> None:
    scorer = load_themer(ThemesSettings()).text_scorer
    assert any(scorer.best(t, a, "fr") for t, a in ABSTRACTS)


def test_normalise_equals_the_translate_definition() -> None:
    """analysis.normalise replaces ligatures with str.replace (str.translate was slow on
    non-ASCII text): the same as translating, NFKD, marks stripped, casefold."""
    pool = "aeiouAEIOU éèêëÉÈàçÇôÔßẞœŒæÆøØđłŁ  ,.'-\u0301\u0327ﬁﬂ™℡①²İı\u00a0ĳ"
    rng = random.Random(19)
    texts = ["", "plain ascii Text", "ŒUVRE Forêts", "Œœ æÆ øØ đ łŁ"]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(1, 40))) for _ in range(500)]
    for text in texts:
        decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
        assert normalise(text) == _MARKS.sub("", decomposed).casefold(), repr(text)


PATTERNS = [
    r"(directive (cadre|2000/60)|water framework directive|\bdce\b)",
    r"\bplu\b|plan local d.urbanisme",
    r"^zones? humides?\s+\w+",
    r"\d{4}\s*-\s*\d{4}",
    r"[a-z]+_[A-Z]+\W",
    r"routes?\S*\B",
    r"[^a-z ]{2}$",
]


def test_text_patterns_match_alike_in_ascii_mode_on_ascii_text() -> None:
    """Themer._search_text runs an ASCII `pattern` in ASCII mode on ASCII text: the same
    match (span) as the rule's Unicode-mode regex, whatever the text holds."""
    rules = RuleSet(
        rules=[
            Rule(id=f"p{i}", comment="test", concept="x", pattern=p) for i, p in enumerate(PATTERNS)
        ]
    )
    themer = Themer(load_themer(ThemesSettings()).thesaurus, rules)
    rng = random.Random(19)
    pool = "abcdeKkSsIi _-/.,2019\t\n\x1c\x1f" + "dce plu route zones humides directive cadre "
    texts = [
        "directive cadre sur l'eau",
        "la dce 2000/60",
        "zones humides camargue",
        "1990 - 2020",
        "routes_nationales",
        "snake_CASE!",
        "abc\x1cdef",
    ]
    texts += ["".join(rng.choice(pool) for _ in range(rng.randint(0, 60))) for _ in range(1500)]
    for rule in rules.rules:
        assert rule.id in themer._ascii_patterns
        unicode_mode = themer._patterns[rule.id]
        for text in texts:
            fast = themer._search_text(rule.id, text)
            slow = unicode_mode.search(text)
            assert (fast and fast.span()) == (slow and slow.span()), (rule.pattern, text)
