"""The app's wiring as a newcomer reads it: an endpoint's name names the package that serves
it, no area reaches into another area's routes or blueprint, every staff page gets the staff
language and context, and no URL that is printed on paper or bookmarked has gone."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Blueprint, Flask

from webapp import create_app
from webapp.extensions import db
from webapp.staff.blueprints import staff_context, staff_locale

ROOT = Path(__file__).resolve().parent.parent
URL_RULES = Path(__file__).parent / "data" / "url_rules.txt"

# Blueprint name -> the package (or, for the staff features that share webapp/staff/, the
# module) whose code serves its endpoints.
SERVED_BY = {
    "directory_root": "webapp.directory",
    "directory": "webapp.directory",
    "exchange_api": "webapp.exchange",
    "tips": "webapp.tips",
    "reports": "webapp.reports",
    "posters": "webapp.posters",
    "posters_short": "webapp.posters",
    "pwa": "webapp.pwa",
    "pwa_root": "webapp.pwa",
    "ops": "webapp.ops",
    "sms": "webapp.sms",
    "booklet": "webapp.booklet",
    "staff": "webapp.staff.routes",
    "inbox": "webapp.staff.inbox",
    "invites": "webapp.staff.invites",
    "campaigns": "webapp.staff.campaigns",
    "report_queue": "webapp.staff.report_queue",
    "stats": "webapp.staff.stats",
    "editor": "webapp.editor",
    "referrals": "webapp.referrals",
    "space": "webapp.space",
    "coalition": "webapp.coalition",
}
# The factory imports every route module to register its blueprint; nothing else may.
FACTORY = "webapp"


@pytest.fixture(scope="module")
def wired() -> Iterator[Flask]:
    """An app as create_app wires it (the URL map needs no data)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "test-secret", "HAVEN_SEED_ON_START": False})
    yield app
    with app.app_context():
        db.engine.dispose()


def _within(module: str, owner: str) -> bool:
    return module == owner or module.startswith(owner + ".")


def _area(module: str) -> str:
    """webapp.staff.inbox -> webapp.staff; webapp.templating -> webapp.templating."""
    return ".".join(module.split(".")[:2])


def test_every_endpoint_is_served_by_the_package_its_name_names(wired: Flask) -> None:
    """space.requests is in webapp/space/, inbox.tip_view in webapp/staff/inbox.py: two hops
    from a URL to its code."""
    assert set(wired.blueprints) == set(SERVED_BY)  # a new blueprint says where it lives
    for name, package in SERVED_BY.items():  # and its name says it: "posters_short", "inbox"
        parts = package.split(".")[1:]
        assert any(name == part or name.startswith(part + "_") for part in parts), name
    outside = []
    for endpoint, view in wired.view_functions.items():
        if "." not in endpoint:
            assert endpoint == "static"  # every page belongs to a blueprint
            continue
        name = endpoint.rsplit(".", 1)[0]
        if not _within(view.__module__, SERVED_BY[name]):
            outside.append((endpoint, view.__module__))
    assert outside == []


def _route_modules(app: Flask) -> tuple[set[str], set[tuple[str, str]]]:
    """The modules that define or serve a blueprint, and (module, name) of each blueprint
    object."""
    modules = {view.__module__ for endpoint, view in app.view_functions.items()
               if endpoint != "static"}
    modules |= {bp.import_name for bp in app.blueprints.values()}
    objects = set()
    for module in modules:
        for name, value in vars(importlib.import_module(module)).items():
            if isinstance(value, Blueprint):
                objects.add((module, name))
    return modules, objects


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST) -> Iterator[tuple[str, str | None]]:
    """(module, name) for `from module import name`, (module, None) for `import module`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None


def test_no_area_imports_another_areas_routes_or_blueprint(wired: Flask) -> None:
    """Areas share services, never routes: a route module is imported by the factory alone,
    and a blueprint object is used only by its own package and create_app."""
    route_modules, blueprints = _route_modules(wired)
    assert ("webapp.editor.routes", "bp") in blueprints  # the scan sees the blueprints
    found = []
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        importer = _module_name(path)
        if importer == FACTORY:
            continue
        for module, name in _imports(ast.parse(path.read_text(), str(path))):
            target = f"{module}.{name}" if name and f"{module}.{name}" in route_modules \
                else module
            if _area(target) == _area(importer):
                continue
            if target in route_modules or (module, name) in blueprints:
                found.append(f"{importer} imports {module}{'.' + name if name else ''}")
    assert found == []


def test_every_staff_page_speaks_the_browsers_language_and_knows_who_is_signed_in(
        wired: Flask) -> None:
    """Each blueprint under /staff is made by the staff factory: it carries the staff locale
    and the signed-in context (the navigation, the sign-out form)."""
    staff = {rule.endpoint.rsplit(".", 1)[0] for rule in wired.url_map.iter_rules()
             if rule.rule.startswith("/staff/")}
    assert {"staff", "inbox", "editor", "referrals", "space", "coalition"} <= staff
    for name in staff:
        assert staff_locale in wired.before_request_funcs.get(name, []), name
        assert staff_context in wired.template_context_processors.get(name, []), name


def test_every_url_that_was_served_still_is(wired: Flask) -> None:
    """Paths and methods as they were before the blueprints were split per feature (printed on
    posters and booklets, bookmarked, in tests): only endpoint names may change."""
    served = {(" ".join(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})), rule.rule)
              for rule in wired.url_map.iter_rules()}
    expected = set()
    for line in URL_RULES.read_text().splitlines():
        *methods, rule = line.split()
        expected.add((" ".join(methods), rule))
    assert len(expected) > 100
    assert expected - served == set()


def test_every_audit_entry_is_written_by_the_one_audit_function() -> None:
    """Audit entries are made in `webapp.audit_log` only, whose `record` has no default member:
    an entry without its member organisation lands in nobody's log (the editor's did, once)."""
    makers = []
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "AuditEntry"):
                makers.append(str(path.relative_to(ROOT)))
    assert makers == ["webapp/audit_log.py"]
    record = importlib.import_module("webapp.audit_log").record
    with pytest.raises(TypeError, match="member_id"):
        record("x", staff_id=None)
