"""The `flask` commands' wiring: every group comes from a module of webapp/cli/, no module
elsewhere defines a command, and every command's --help reads exactly as operators, deployment
scripts and the README know it (tests/data/cli_help.txt, captured from `flask --app app`).

After a deliberate change to a command's options or help, rewrite the snapshot with
HAVEN_WRITE_CLI_HELP=1 and read its diff before committing it.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import os
import pkgutil
from pathlib import Path

import click
from flask import Flask

import webapp
from webapp import cli

SNAPSHOT = Path(__file__).parent / "data" / "cli_help.txt"
WEBAPP = Path(webapp.__file__).parent
THIRD_PARTY = {"db"}  # Flask-Migrate's, registered by migrate.init_app
# What makes a command or a group: a decorator (@click.command, @group.command(...)) or a
# constructor (AppGroup("name")). Calls to functions that happen to be named `command` are not.
DECORATORS = {"command", "group"}
CONSTRUCTORS = {"AppGroup", "FlaskGroup", "Group", "Command"}


def haven_groups(app: Flask) -> dict[str, click.Group]:
    """The command groups Haven registers, by name."""
    groups = {name: cmd for name, cmd in app.cli.commands.items() if name not in THIRD_PARTY}
    assert all(isinstance(g, click.Group) for g in groups.values()), groups
    return groups  # type: ignore[return-value]


def help_snapshot(app: Flask) -> str:
    """Every group's and command's --help as `flask --app app` prints it to a pipe (78
    columns), each after the command line that shows it."""
    runner = app.test_cli_runner()
    out = []
    for name, group in sorted(haven_groups(app).items()):
        for args in ([name], *([name, sub] for sub in sorted(group.commands))):
            res = runner.invoke(app.cli, [*args, "--help"], prog_name="flask", terminal_width=78)
            assert res.exit_code == 0, res.output
            out.append(f"$ flask --app app {' '.join(args)} --help\n{res.output}\n")
    return "".join(out)


def test_every_command_reads_as_it_did(app: Flask) -> None:
    """Names, arguments, options, defaults and help texts are a contract: unchanged."""
    now = help_snapshot(app)
    if os.environ.get("HAVEN_WRITE_CLI_HELP") == "1":
        SNAPSHOT.write_text(now, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    assert now == expected, "".join(difflib.unified_diff(
        expected.splitlines(keepends=True), now.splitlines(keepends=True),
        "tests/data/cli_help.txt", "flask --help now"))


def test_the_snapshot_covers_every_command(app: Flask) -> None:
    """A group or command added without a snapshot entry would escape the test above."""
    shown = {line.removeprefix("$ flask --app app ").removesuffix(" --help")
             for line in SNAPSHOT.read_text(encoding="utf-8").splitlines()
             if line.startswith("$ flask --app app ")}
    registered = {name for name in haven_groups(app)} | {
        f"{name} {sub}" for name, group in haven_groups(app).items() for sub in group.commands}
    assert shown == registered
    assert {"services import", "backup restore", "directory booklet", "orgs add",
            "staff create-user", "translate compile"} <= registered


def test_every_group_comes_from_a_module_of_webapp_cli(app: Flask) -> None:
    """One place to look: the list in webapp/cli/__init__.py, a module per group."""
    modules = {info.name: importlib.import_module(f"webapp.cli.{info.name}")
               for info in pkgutil.iter_modules(cli.__path__)}
    defined = {id(getattr(m, "group")): name for name, m in modules.items()  # noqa: B009
               if isinstance(getattr(m, "group", None), click.Group)}
    registered = haven_groups(app)
    assert [g.name for g in cli.GROUPS] and set(registered) == {g.name for g in cli.GROUPS}
    for name, group in registered.items():
        assert id(group) in defined, f"flask {name} is not a webapp/cli/ module's group"
        module = f"webapp.cli.{defined[id(group)]}"
        for sub, command in group.commands.items():
            assert command.callback is not None
            assert command.callback.__module__ == module, f"flask {name} {sub}"
    assert "common" in modules and "common" not in {defined[id(g)] for g in cli.GROUPS}


def _makes_commands(tree: ast.AST) -> list[int]:
    """Line numbers where a module defines a click command or group, or registers one."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                name = target.attr if isinstance(target, ast.Attribute) else getattr(
                    target, "id", "")
                if name in DECORATORS:
                    lines.append(dec.lineno)
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
                node.func, "id", "")
            if name in CONSTRUCTORS or name == "add_command":
                lines.append(node.lineno)
    return lines


def test_no_module_outside_webapp_cli_defines_a_command() -> None:
    """A command defined in an area (as `flask directory` once was, in booklet/cli.py) is
    one a reader of webapp/cli/ cannot find."""
    found = {}
    for path in sorted(WEBAPP.rglob("*.py")):
        rel = path.relative_to(WEBAPP)
        lines = _makes_commands(ast.parse(path.read_text(encoding="utf-8")))
        if rel.parts[0] == "cli":
            continue
        if lines:
            found[str(rel)] = lines
    assert found == {}
    inside = _makes_commands(ast.parse((WEBAPP / "cli" / "backup.py").read_text("utf-8")))
    assert inside, "the scan finds the commands it is looking for"
