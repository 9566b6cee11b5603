"""Typo tolerance shared by both backends: a "did you mean" correction of the user's words
against the vocabulary of the index (issue 20 item 2).

Why here and not in each engine: the embedded index holds stems and OpenSearch's
`fuzziness` scores differently, so two engine-specific fallbacks would drift apart. Instead
the search service corrects the words once, against one vocabulary read through the
backend protocol (every record's title and abstract words), and both backends run the same
corrected query, so they give the same results (contract-tested).

Correction is SymSpell-style: every vocabulary word is indexed under its deletes up to
`MAX_DISTANCE` letters; a typed word's deletes meet its neighbours' in a dictionary lookup,
and each candidate is confirmed with an optimal-string-alignment (Damerau) distance. Among
candidates the nearest wins, then the most frequent, then the alphabetically first, so the
choice is deterministic. Words of three letters or less, digits and stopwords are never
corrected. A word with no neighbour may
still be the shortened beginning of a longer one ('orthofoto' for 'orthophotographies'):
a second pass compares it with the beginnings of the words starting with the same three
letters. Stems count as words too, so 'orthofoto' meets 'orthophoto', the stem of
'orthophotos' (a plural the typo is 3 edits from), and searches for the same stem.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import combinations

from indexer.analysis import STOPWORDS, stem_pairs, tokenise

__all__ = ["MAX_DISTANCE", "Vocabulary", "distance"]

MAX_DISTANCE = 2
_MIN_LENGTH = 4  # shorter words have too many neighbours to correct safely
_START = 3  # letters a word and its completion share (the completion pass)
_MIN_COMPLETED = 6  # shorter words are not completed: too many longer words start alike


def distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _deletes(word: str, depth: int) -> set[str]:
    """`word` and every string made by deleting up to `depth` of its letters."""
    found = {word}
    for n in range(1, min(depth, len(word) - 1) + 1):
        for gone in combinations(range(len(word)), n):
            found.add("".join(c for i, c in enumerate(word) if i not in gone))
    return found


class Vocabulary:
    """Words of the index with their document frequency, and their deletes index."""

    def __init__(self, frequencies: Counter[str]) -> None:
        self.frequencies = frequencies
        self._by_delete: dict[str, list[str]] = {}
        self._by_start: dict[str, list[str]] = {}
        for word in frequencies:
            if len(word) >= _MIN_LENGTH and not word.isdigit():
                self._by_start.setdefault(word[:_START], []).append(word)
                for key in _deletes(word, MAX_DISTANCE):
                    self._by_delete.setdefault(key, []).append(word)

    @classmethod
    def of_texts(cls, texts: Iterable[str]) -> Vocabulary:
        """The vocabulary of `texts`, one per record (a word counts once per record)."""
        counts: Counter[str] = Counter()
        for text in texts:
            words = set(tokenise(text))
            french, english = stem_pairs(sorted(words))
            counts.update(words | set(french) | set(english))
        return cls(counts)

    def __len__(self) -> int:
        return len(self.frequencies)

    def correct_word(self, word: str) -> str | None:
        """The nearest vocabulary word to `word` (a normalised token) within MAX_DISTANCE;
        None when `word` is known, too short, a number or a stopword, or has no neighbour."""
        if (
            word in self.frequencies
            or len(word) < _MIN_LENGTH
            or word.isdigit()
            or word in STOPWORDS
        ):
            return None
        candidates = {
            c for key in _deletes(word, MAX_DISTANCE) for c in self._by_delete.get(key, ())
        }
        scored = [(distance(word, c), -self.frequencies[c], c) for c in candidates]
        scored = [s for s in scored if s[0] <= MAX_DISTANCE]
        if scored:
            return min(scored)[2]
        return self._complete(word)

    def _complete(self, word: str) -> str | None:
        """A longer word whose beginning is within MAX_DISTANCE of `word` ('orthofoto' ->
        'orthophotographies', 'orthophoto' + 8 letters): compounds typed shortened."""
        if len(word) < _MIN_COMPLETED:
            return None
        scored = []
        for candidate in self._by_start.get(word[:_START], ()):
            if len(candidate) <= len(word):
                continue
            near = min(
                distance(word, candidate[:k])
                for k in range(len(word) - 1, min(len(word) + 2, len(candidate)) + 1)
            )
            if near <= MAX_DISTANCE:
                scored.append((near, -self.frequencies[candidate], candidate))
        return min(scored)[2] if scored else None

    def correct(self, text: str) -> str | None:
        """`text` with each unknown word replaced by its correction, as normalised words
        joined by spaces; None when no word changes."""
        words = tokenise(text)
        fixed = [self.correct_word(w) or w for w in words]
        return " ".join(fixed) if fixed != words else None
