"""Save a before/after snapshot, or compare the code's output with a saved one.

The snapshot scripts (bench/iso_snapshot.py, bench/theme_snapshot.py) check that a rewrite
keeps every output identical across commits, which no test inside one commit can do; what
differs between them is only what they snapshot and how two values are compared.
"""

from __future__ import annotations

import operator
import pickle
from collections.abc import Callable
from pathlib import Path


def save_or_compare(
    action: str,
    file: Path,
    now: dict[str, object],
    same: Callable[[object, object], bool] = operator.eq,
) -> int:
    """`save` writes `now` to `file`; `compare` prints what differs from it (exit code 1)."""
    if action == "save":
        file.write_bytes(pickle.dumps(now))
        print(f"{len(now)} records saved to {file}")
        return 0
    before = pickle.loads(file.read_bytes())  # a file these tools wrote
    keys = sorted(before.keys() | now.keys())
    differ = [key for key in keys if not same(before.get(key), now.get(key))]
    for key in differ[:20]:
        print(f"{key}\n  before {str(before.get(key))[:400]}\n  now    {str(now.get(key))[:400]}")
    print(f"{len(keys)} compared, {len(differ)} differ")
    return 1 if differ else 0
