"""The packages of seawall form layers: no two subpackages import each other, directly or through others.

Imports inside functions count — a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

import seawall

ROOT = Path(seawall.__file__).parent
PACKAGES = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}


def dependencies() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in PACKAGES}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if len(parts) < 2:
            continue  # top-level modules (scan.py, inspect.py…) sit above every subpackage
        owner = parts[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
            for name in names:
                head = name.split(".")
                if head[0] == "seawall" and len(head) > 1 and head[1] in PACKAGES and head[1] != owner:
                    edges[owner].add(head[1])
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_subpackages() -> None:
    assert cycles(dependencies()) == []


def test_the_bottom_layers_stay_at_the_bottom() -> None:
    edges = dependencies()
    assert edges["model"] == set() and edges["formats"] == set()
    assert edges["blobs"] <= {"model"}
    assert "fs" not in edges["image"] and "catalog" not in edges["fs"]


def test_the_checker_sees_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
