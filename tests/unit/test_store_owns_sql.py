"""The store owns its SQL (issue 11, item 3): outside `indexer/store/`, no module imports
SQLAlchemy, the store's tables (`indexer.store.schema`) or reaches for a database engine.
Retirement, activity, tokens, run bookkeeping and clusters call named Store methods.

One allowance, for one attribute access: the scheduler hands `store.engine` to APScheduler's
SQLAlchemyJobStore, which takes an Engine and keeps its jobs table in the store database
(so SQLite gets the store's WAL mode and busy timeout). That is APScheduler's SQL on its
own table, not ours on the store's.

Tests are not scanned: they build stores of older versions and inspect raw tables on
purpose. Every other Python file of the checkout is, so a new package (pipeline/, an
output protocol, bench/) is covered the day it lands.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "indexer" / "store"
SKIPPED = {"tests", "build", "dist", "node_modules"}
ENGINE_ALLOWED = "scheduler.py"  # APScheduler's job store borrows the engine (see above)


def project_modules() -> list[Path]:
    """Every .py file of the checkout outside indexer/store/, tests and hidden or build
    directories (.venv, .git, var/ caches)."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if any(p.startswith(".") or p in SKIPPED or p.endswith(".egg-info") for p in parts):
            continue
        if parts[0] == "var" or path.is_relative_to(STORE):
            continue
        found.append(path)
    return found


def violations(source: str) -> list[str]:
    """What in `source` reaches the database behind the store's back, one line each."""
    out = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:  # one line per import statement is enough
            if name == "sqlalchemy" or name.startswith("sqlalchemy."):
                out.append(f"line {node.lineno}: imports {name}")
                break
            if name == "indexer.store.schema":
                out.append(f"line {node.lineno}: imports the store's tables")
                break
        if isinstance(node, ast.Attribute) and node.attr in {"engine", "_engine"}:
            out.append(f"line {node.lineno}: .{node.attr}")
    return sorted(set(out))


def test_the_check_sees_each_way_around_the_store() -> None:
    source = (
        "import sqlalchemy as sa\n"
        "from sqlalchemy.exc import SQLAlchemyError\n"
        "from indexer.store.schema import records\n"
        "from indexer.store import schema\n"
        "with store.engine.connect() as conn:\n"
        "    pass\n"
        "store._engine.dispose()\n"
    )
    assert violations(source) == [
        "line 1: imports sqlalchemy",
        "line 2: imports sqlalchemy.exc",
        "line 3: imports the store's tables",
        "line 4: imports the store's tables",
        "line 5: .engine",
        "line 7: ._engine",
    ]
    assert violations("from indexer.store import Store\nstore.begin_run('src')\n") == []


def test_no_module_outside_the_store_touches_its_database() -> None:
    modules = project_modules()
    scanned = {p.relative_to(ROOT).as_posix() for p in modules}
    # the modules that used to write SQL are among those scanned (no vacuous pass)
    assert {"pipeline/retirement.py", "indexer/activity.py", "indexer/tokens.py"} <= scanned
    assert "indexer/cluster_store.py" in scanned
    found: dict[str, list[str]] = {}
    allowed: list[str] = []
    for path in modules:
        name = path.relative_to(ROOT).as_posix()
        for problem in violations(path.read_text(encoding="utf-8")):
            if path.name == ENGINE_ALLOWED and problem.endswith(": .engine"):
                allowed.append(f"{name} {problem}")
            else:
                found.setdefault(name, []).append(problem)
    assert found == {}, "SQL on the store's tables belongs in indexer/store/ (a Store method)"
    # exactly the one borrowed engine: the allowance cannot quietly grow
    assert len(allowed) == 1, allowed
