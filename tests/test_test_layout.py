"""The tests' own layout: what several test modules share lives in a helper module, and a
fixture reaches a test through conftest.py (or a plugin it registers), never by an import.
Importing a test module from another runs its module-level code and hands its autouse fixtures
to the importer, and a fixture imported by name is one an editor's "unused import" removes."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# Files written elsewhere that still import a test module, each with what it imports. An entry
# must still be true (the test fails on a stale one), so it goes the day its file is fixed.
NOT_YET_MOVED: dict[str, set[str]] = {}


def imported_modules(tree: ast.Module) -> set[str]:
    """Every tests.* module a module imports, at its top or inside a function, by any spelling
    (`import tests.x`, `from tests.x import y`, `from tests import x`, `from .x import y`)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("tests.")}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative, inside the tests package
                module = f"tests.{module}" if module else "tests"
            if module == "tests":  # `from tests import x` imports the module tests.x
                found |= {f"tests.{alias.name}" for alias in node.names}
            elif module.startswith("tests."):
                found.add(module)
    return found


def imported_test_modules(tree: ast.Module) -> set[str]:
    """The test modules (tests.test_*) among those a module imports."""
    return {m for m in imported_modules(tree) if m.split(".")[1].startswith("test_")}


def fixtures_of(tree: ast.Module) -> set[str]:
    """The names of the fixtures a module defines (@pytest.fixture, with or without options)."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(target, ast.Attribute) and target.attr == "fixture":
                    names.add(node.name)
    return names


def imported_fixtures(tree: ast.Module, fixtures: dict[str, set[str]]) -> set[str]:
    """module.name for every fixture the module imports by name from a tests.* module."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests."):
            defined = fixtures.get(node.module or "", set())
            out |= {f"{node.module}.{a.name}" for a in node.names if a.name in defined}
    return out


def test_the_check_finds_each_way_of_importing_a_test_module() -> None:
    """The check itself can fail: each spelling of an import of a test module is found, at the
    top or inside a function; a helper module and a fixture-free import are not."""
    source = ("import tests.test_a\nfrom tests.test_b import x\nfrom tests import test_c, pages\n"
              "from .test_d import y\nfrom tests.staff_helpers import keyed\n"
              "def f():\n    from tests.test_e import z\n")
    assert imported_test_modules(ast.parse(source)) == {
        "tests.test_a", "tests.test_b", "tests.test_c", "tests.test_d", "tests.test_e"}
    helper = ast.parse("import pytest\n@pytest.fixture(scope='module')\ndef tools(): ...\n"
                       "@pytest.fixture\ndef sms(): ...\ndef plain(): ...\n")
    assert fixtures_of(helper) == {"tools", "sms"}
    user = ast.parse("from tests.pdf_helpers import plain, tools\n")
    assert imported_fixtures(user, {"tests.pdf_helpers": fixtures_of(helper)}) == \
        {"tests.pdf_helpers.tools"}


def test_no_module_in_tests_imports_a_test_module_or_a_fixture() -> None:
    """Test modules, helper modules and conftest.py import helpers from helper modules only,
    and no fixture by name."""
    trees = {path.name: ast.parse(path.read_text(encoding="utf-8"))
             for path in sorted(TESTS.glob("*.py"))}
    assert len(trees) > 50
    fixtures = {f"tests.{name.removesuffix('.py')}": fixtures_of(tree)
                for name, tree in trees.items()}
    wrong = {name: found for name, tree in trees.items()
             if (found := imported_test_modules(tree) | imported_fixtures(tree, fixtures))}
    for name, expected in NOT_YET_MOVED.items():
        assert wrong.pop(name, None) == expected, f"{name} changed: update NOT_YET_MOVED"
    assert wrong == {}
