"""Imports run one way: no circle among opgrad's modules but core/graph <-> core/value.

Imports inside functions count (they hide a circle from the interpreter, not from a
reader); imports under ``if TYPE_CHECKING:`` do not (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "opgrad"
ALLOWED = {frozenset({"opgrad.core.graph", "opgrad.core.value"})}


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def runtime_imports(tree: ast.Module, package: str) -> set[str]:
    """Every module named by an import that can run (TYPE_CHECKING blocks skipped)."""
    skipped = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
               and "TYPE_CHECKING" in ast.unparse(block.test) for n in ast.walk(block)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            found.update({base, *(f"{base}.{alias.name}" for alias in node.names)})
    return found


def import_graph() -> dict[str, set[str]]:
    names = module_names()

    def resolve(name: str) -> str | None:
        while name and name not in names:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = {resolve(t) for t in runtime_imports(ast.parse(path.read_text()), package)
                   if t.startswith("opgrad")}
        # importing one's own package face is how Python loads any submodule
        graph[name] = {t for t in targets if t and t != name and not name.startswith(t + ".")}
    return graph


def circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(frozenset(group))
    return found


def test_no_import_circle_but_the_core_pair() -> None:
    unexpected = [sorted(c) for c in circles(import_graph()) if c not in ALLOWED]
    assert not unexpected, f"import circles: {unexpected}"


@pytest.mark.parametrize("graph", [
    {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()},
    {"a": {"b"}, "b": {"a"}},
])
def test_the_circle_finder_finds_circles(graph: dict[str, set[str]]) -> None:
    assert circles(graph) and max(len(c) for c in circles(graph)) >= 2


def test_an_import_inside_a_function_counts_and_a_type_checking_one_does_not() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import opgrad.x\n"
                     "def f():\n    from opgrad.viz import explore\n")
    assert runtime_imports(tree, "opgrad") >= {"opgrad.viz", "opgrad.viz.explore"}
    assert "opgrad.x" not in runtime_imports(tree, "opgrad")
