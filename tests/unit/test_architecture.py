"""The shape of the code base, checked: who may import whom, and where pieces are built.

    moisson (core) <- harvester, indexer <- pipeline (runtime, conductor) <- search_api,
    publish (output protocols) <- pipeline.cli (the command line, on top)

- `harvester/` (fetch + parse into Records) and `indexer/` (store, themes, duplicates,
  backends) never import each other; the core `moisson/` imports neither, nor anything
  else above it (its plug-point table names implementations by string).
- The module import graph has no cycle (imports under `if TYPE_CHECKING:` are for types
  only and do not count).
- No function-level import of a project module, so every dependency is visible at the top
  of its module, except the few named in ALLOWED_LOCAL_IMPORTS with their reason.
- The store, the search backend and the theme matcher are each built in one place: the
  Runtime (pipeline/runtime.py).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "moisson", "harvester", "indexer", "pipeline", "search_api", "publish", "forge", "webui"
)

# module -> modules it may import inside a function, with the reason.
ALLOWED_LOCAL_IMPORTS: dict[str, dict[str, str]] = {}

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "moisson": ("harvester", "indexer", "pipeline", "search_api", "publish", "forge", "webui"),
    "harvester": ("indexer", "pipeline", "search_api", "publish", "forge", "webui"),
    "indexer": ("harvester", "pipeline", "search_api", "publish", "forge", "webui"),
}


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        folder = ROOT / package
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _project(name: str | None) -> bool:
    return bool(name) and name.split(".")[0] in PACKAGES  # type: ignore[union-attr]


def _imports(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(module-level imports, function-level imports) of project modules."""
    top: set[str] = set()
    local: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child, in_function)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            if isinstance(node, ast.ImportFrom) and node.module:
                # `from search_api import admin` imports search_api.admin
                names += [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                if _project(name):
                    (local if in_function else top).add(name)
            return
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return top, local


def _graph() -> dict[str, tuple[set[str], set[str]]]:
    modules = dict(_modules())
    graph = {}
    for name, path in modules.items():
        top, local = _imports(ast.parse(path.read_text(encoding="utf-8")))
        # Keep only names that are modules (drop `from x import function`).
        graph[name] = ({m for m in top if m in modules}, {m for m in local if m in modules})
    return graph


GRAPH = _graph()


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_lower_layers_do_not_import_upwards(layer: str) -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, (top, local) in GRAPH.items()
        if module.split(".")[0] == layer
        for target in top | local
        if target.split(".")[0] in FORBIDDEN[layer]
    )
    assert wrong == []


def test_no_function_level_imports_of_project_modules() -> None:
    wrong = sorted(
        f"{module} imports {target} inside a function"
        for module, (_, local) in GRAPH.items()
        for target in local
        if target not in ALLOWED_LOCAL_IMPORTS.get(module, {})
    )
    assert wrong == []


def test_the_module_import_graph_has_no_cycle() -> None:
    state: dict[str, int] = {}  # 1 visiting, 2 done
    cycles: list[list[str]] = []

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(GRAPH[module][0]):
            if target == module:
                continue
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                walk(target, [*path, target])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            walk(module, [module])
    assert cycles == []


@pytest.mark.parametrize(
    "pattern",
    [r"\bStore\(|load\(\"stores\"", r"\bbuild_backend\(", r"\bload_themer\("],
)
def test_each_piece_is_built_in_one_place(pattern: str) -> None:
    found = sorted(
        f"{path.relative_to(ROOT)}:{number}"
        for _, path in _modules()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(pattern, line) and not line.lstrip().startswith(("def ", "class ", "#"))
    )
    assert [item.split(":")[0] for item in found] == ["pipeline/runtime.py"], found
