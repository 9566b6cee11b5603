"""Answers of a pure step kept by key, emptied whole when full.

The theme matcher's steps are pure functions of a keyword, a URI or a label, and catalogues
repeat the same few thousand of each across their records: remembering the answers saves
most of the matcher's work on a harvest. Emptying the memo whole when it reaches its limit
keeps memory bounded without the bookkeeping of an LRU, which costs more than it saves here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()


class BoundedMemo(Generic[K, V]):
    """Picklable (the themer crosses to page workers) and not thread-safe beyond what a dict
    is: two threads may compute one answer twice, which is harmless for a pure step."""

    __slots__ = ("_answers", "limit")

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._answers: dict[K, V] = {}

    def get(self, key: K, compute: Callable[..., V], *args: object) -> V:
        """The answer for `key`, `compute(*args)` the first time."""
        found = self._answers.get(key, _MISSING)
        if found is _MISSING:
            found = compute(*args)
            if len(self._answers) >= self.limit:
                self._answers = {}
            self._answers[key] = found
        return found  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._answers)
