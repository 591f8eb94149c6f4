"""No import cycles among webapp's modules at import time: module-level imports only (those
inside functions, or under TYPE_CHECKING, are not run when a module loads). A cycle held apart
by import order breaks the day someone imports the other module first."""

from __future__ import annotations

import ast
from pathlib import Path

from webapp.config import ROOT

PACKAGE = ROOT / "webapp"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(name: str, modules: set[str]) -> str | None:
    """The webapp module an imported name loads (a module, or the package holding it)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def top_level_imports(tree: ast.Module, here: str, is_package: bool) -> list[str]:
    """Every name a module imports when it loads (module body, try/if blocks included)."""
    out: list[str] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                out.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here if is_package else here.rpartition(".")[0]
                    for _ in range(node.level - 1):
                        anchor = anchor.rpartition(".")[0]
                    base = f"{anchor}.{base}" if base else anchor
                out.extend(f"{base}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If) and not type_checking(node):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(tree.body)
    return out


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(files)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text("utf-8"))
        targets = {resolve(t, modules) for t in top_level_imports(
            tree, name, path.name == "__init__.py")}
        graph[name] = {t for t in targets if t and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checker_finds_a_cycle() -> None:
    """The check itself can fail: a made-up a -> b -> c -> a is found, a chain is not."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    tree = ast.parse("from . import x\nif TYPE_CHECKING:\n    import y\ndef f():\n    import z\n")
    assert top_level_imports(tree, "webapp.pkg", True) == ["webapp.pkg.x"]


def test_no_import_cycles_among_webapp_modules() -> None:
    """Zero cycles among module-level imports of webapp's modules."""
    graph = import_graph()
    assert len(graph) > 100
    assert cycles(graph) == []


def test_every_import_inside_a_function_says_why() -> None:
    """An import inside a function defers a heavy or optional dependency, and a comment says
    which (on its line, or just above it or the group of imports it belongs to). One without a
    reason hides a cycle, which the test above exists to make visible."""
    silent = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for fn in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                row = node.lineno - 1
                while row > 0 and lines[row - 1].lstrip().startswith(("import ", "from ")):
                    row -= 1  # the first import of the group carries the comment
                said = "#" in lines[node.lineno - 1] or (
                    row > 0 and lines[row - 1].lstrip().startswith("#"))
                if not said:
                    silent.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert silent == []
