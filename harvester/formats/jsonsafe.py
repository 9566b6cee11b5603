"""The one place where harvested JSON bytes become Python values, with a depth limit.

Python's json module recurses once per nesting level: a document of a few hundred kilobytes
of `[[[[...` raises RecursionError (not ValueError), which no caller expects, and a document
just under the interpreter's limit would blow up later in code that walks it recursively.
Catalogue records nest a dozen levels at most, so anything deeper than MAX_DEPTH is refused
as UnsafeInput; malformed JSON still raises ValueError for the caller to word.
"""

from __future__ import annotations

import json
from typing import Any

from moisson.errors import UnsafeInput

__all__ = ["MAX_DEPTH", "loads"]

MAX_DEPTH = 64


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def loads(data: bytes | str, *, what: str = "the JSON document") -> Any:
    """json.loads, refusing documents nested deeper than MAX_DEPTH (UnsafeInput)."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise UnsafeInput(f"refused {what}: JSON nested deeper than {MAX_DEPTH} levels") from None
    if _depth_exceeds(value, MAX_DEPTH):
        raise UnsafeInput(f"refused {what}: JSON nested deeper than {MAX_DEPTH} levels")
    return value
