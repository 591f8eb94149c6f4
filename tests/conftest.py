"""Fixtures: app (fresh, seeded database per test), client, runner, PostgreSQL, browser.

Under pytest-xdist each worker is a session of its own: its own template databases and search
index folder, PostgreSQL cluster, redis-server and Chromium, each in a folder and on a free port
of its own. What workers share is the checkout, where a test writes only files no other test
writes (screenshots) and Hypothesis's example database, which is safe for concurrent use.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings
from jinja2.bccache import Bucket, BytecodeCache
from werkzeug.routing import Rule
from werkzeug.serving import make_server

from tests.pg import Postgres
from tests.redis_server import RedisServer
from tests.staff_helpers import Staff, keyed
from webapp import create_app
from webapp.extensions import db

# Fixtures kept beside their helpers (pdf_tools; gateway and sms; passfile): pytest loads these
# modules as plugins, so a test module asks for the fixtures by name and imports none of them.
pytest_plugins = ["tests.backup_helpers", "tests.pdf_helpers", "tests.sms_helpers"]

IN_CI = os.environ.get("CI") == "true"
BACKEND = os.environ.get("HAVEN_TEST_DB", "sqlite")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


# Property tests judge what is typed, not how fast a shared CI machine runs one example: no
# per-example deadline (a slow example under load is not a failure); failures print their seed.
settings.register_profile("haven", deadline=None, print_blob=True)
settings.load_profile("haven")


def missing(what: str) -> None:
    """In CI a missing component is a failure; on a laptop, a skip that says why."""
    if IN_CI:
        pytest.fail(f"{what} is required in CI", pytrace=False)
    pytest.skip(f"{what} is not available")


def scratch_dir(prefix: str) -> Path:
    """A new folder for throwaway databases, in memory (/dev/shm) when the machine has room
    there: every commit fsyncs and every test writes a fresh copy of a seeded database, which
    on a busy disk took about a quarter of their time. Else the usual temporary folder."""
    shm = Path("/dev/shm")
    where = None
    if shm.is_dir() and os.access(shm, os.W_OK):
        free = os.statvfs(shm)
        if free.f_bavail * free.f_frsize >= 2**30:  # containers often give /dev/shm 64 MB
            where = str(shm)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=where))


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """The session's PostgreSQL server (a failure in CI when it cannot start)."""
    # Not under pytest's 0700 tmp folders: the server runs as the postgres user.
    base = scratch_dir(f"haven-pg-{WORKER}-")
    try:
        pg = Postgres(base)
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        missing(f"PostgreSQL ({exc})")
        raise
    yield pg
    pg.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """The session's redis-server (loopback, persistence off; a failure in CI when missing)."""
    try:
        server = RedisServer(tmp_path_factory.mktemp("redis"))
    except Exception as exc:  # noqa: BLE001 - not installed, or it would not start
        missing(f"redis-server ({exc})")
        raise
    yield server
    server.stop()


# Every test makes its own app, and werkzeug compiles each of its ~110 URL rules' two URL
# builders from a syntax tree (74 ms of the app's 82 ms). A builder is a pure function of the
# rule's text and parts (the rule it builds for is its first argument): the same rule in the
# next test's app takes the one already compiled. Tests only; an app in production is made once.
_builders: dict[tuple[Any, ...], Any] = {}
_compile_builder = Rule._compile_builder


def _cached_builder(self: Rule, append_unknown: bool = True) -> Any:
    defaults = self.defaults or {}
    key = (append_unknown, self.rule, tuple(self._trace),
           tuple((k, type(self._converters.get(k)), repr(v)) for k, v in defaults.items()))
    if key not in _builders:
        _builders[key] = _compile_builder(self, append_unknown)
    return _builders[key]


Rule._compile_builder = _cached_builder  # type: ignore[method-assign]


class SharedTemplates(BytecodeCache):
    """Compiled Jinja templates shared by every test app of this process (each app has its
    own Jinja environment, and compiling the templates a first page uses took half of its
    time). Jinja's own bytecode-cache hook: a template whose source changed is compiled again
    (its checksum differs); every test app is made by create_app with the same Jinja options."""

    def __init__(self) -> None:
        self.held: dict[str, tuple[str, CodeType]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        found = self.held.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        if bucket.code is not None:
            self.held[bucket.key] = (bucket.checksum, bucket.code)


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": SharedTemplates()}


INDEX_DIR = Path(tempfile.mkdtemp(prefix="haven-test-index-"))
atexit.register(shutil.rmtree, INDEX_DIR, True)


def base_config(url: str) -> dict[str, Any]:
    """Settings for a test app on the given database."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "HAVEN_SEED_ON_START": False,
        "HAVEN_COUNTRY": "US",
        "HAVEN_SEARCH_INDEX_DIR": str(INDEX_DIR),  # PostgreSQL's index files, not instance/
        # Offline files packed as pages are: each test app makes each once and sends it once
        # (test_compression checks the best levels, which every other app uses).
        "HAVEN_PACK_LEVELS": "quick",
        # Argon2id at its least cost for staff passwords and organisation keys (create_app
        # takes it only when TESTING; test_staff checks the real cost is the default).
        "HAVEN_FAST_HASHING": True,
    }


def seeded_template(url: str) -> list[Path]:
    """Migrate and seed one database from services_data/; then make its search index and
    offline areas' cut, which a worker stores beside the database (search/stored.py). Each
    test's copy of the database gets a copy of them, so its app loads them as a restarted
    worker would instead of making them again (about 35 ms of every test). Returns them."""
    from flask_migrate import upgrade

    from webapp.exchange.services import seed_if_empty
    from webapp.pwa import areas
    from webapp.search import stored

    app = create_app(base_config(url))
    with app.app_context():
        upgrade()
        seed_if_empty(app)
        areas.current()
        db.session.remove()  # the session's connection back to the pool, then closed
        db.engine.dispose()
    for thread in threading.enumerate():
        if thread.name == stored.SAVING:
            thread.join()
    made = search_files(app)
    assert all(path.exists() for path in made), made
    return made


def search_files(app: Flask) -> list[Path]:
    """Where app's database keeps its stored search index and areas' cut."""
    from webapp.search import stored

    with app.app_context():
        index = stored.path_for(app)
    assert index is not None
    return [index, index.with_name(index.name + stored.AREAS_SUFFIX)]


def stored_beside(app: Flask, made: list[Path]) -> None:
    """Copy a template's stored search files to where app's database keeps its own."""
    for source, target in zip(made, search_files(app), strict=True):
        shutil.copy(source, target)


class Templates:
    """Seeded template databases, built once per session, cloned per test."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.sqlite: Path | None = None
        self.pg_ready = False
        self.stored: dict[str, list[Path]] = {}  # backend -> the template's search files

    def sqlite_url(self) -> str:
        if self.sqlite is None:
            self.sqlite = self.base / "template.sqlite3"
            self.stored["sqlite"] = seeded_template(f"sqlite:///{self.sqlite}")
        target = self.base / f"{uuid.uuid4().hex}.sqlite3"
        shutil.copy(self.sqlite, target)
        return f"sqlite:///{target}"

    def pg_url(self, pg: Postgres) -> str:
        if not self.pg_ready:
            pg.sql("CREATE DATABASE haven_template")
            self.stored["postgresql"] = seeded_template(pg.url("haven_template"))
            self.pg_ready = True
        name = "t_" + uuid.uuid4().hex[:12]
        # PostgreSQL 15's default copy goes through the write-ahead log, which would grow by
        # the template's size per test until a checkpoint; a file copy writes it once.
        strategy = " STRATEGY FILE_COPY" if int(pg.bin.parent.name) >= 15 else ""
        pg.sql(f"CREATE DATABASE {name} TEMPLATE haven_template{strategy}")
        return pg.url(name)

    def discard(self, url: str, pg: Postgres | None = None) -> None:
        """Delete one test's copy, so the scratch folder holds the templates and little more."""
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            for file in path.parent.glob(path.name + "*"):  # with its -wal, -shm or -journal
                file.unlink(missing_ok=True)
        elif pg is not None:
            import psycopg

            try:
                pg.sql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[-1]}")
            except psycopg.errors.ObjectInUse:
                pass  # a connection the test opened itself is still open: the copy stays


@pytest.fixture(scope="session")
def templates() -> Iterator[Templates]:
    """Template databases for this session (this worker's, under pytest-xdist)."""
    found = Templates(scratch_dir(f"haven-db-{WORKER}-"))
    yield found
    shutil.rmtree(found.base, ignore_errors=True)


def make_app(backend: str, templates: Templates, request: pytest.FixtureRequest,
             **overrides: Any) -> Flask:
    """A fresh app on a fresh copy of the seeded database of one backend."""
    pg = request.getfixturevalue("postgres") if backend == "postgresql" else None
    url = templates.pg_url(pg) if pg is not None else templates.sqlite_url()
    request.addfinalizer(lambda: templates.discard(url, pg))  # finalizers run last-in first
    app = create_app({**base_config(url), **overrides})
    request.addfinalizer(lambda: _dispose(app))
    stored_beside(app, templates.stored[backend])
    return app


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(templates: Templates, request: pytest.FixtureRequest) -> Flask:
    """An app with a freshly seeded database (SQLite, or PostgreSQL with HAVEN_TEST_DB)."""
    return make_app(BACKEND, templates, request)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(templates: Templates, request: pytest.FixtureRequest) -> Flask:
    """The same test on SQLite and on PostgreSQL (parity)."""
    return make_app(request.param, templates, request)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL phase, leave out the tests that ask for any_app: they ran on both
    databases in the first phase already, and would run on both again."""
    if BACKEND != "postgresql":
        return
    twice = [i for i in items if "any_app" in getattr(i, "fixturenames", ())]
    if twice:
        config.hook.pytest_deselected(items=twice)
        items[:] = [i for i in items if i not in twice]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for app."""
    return app.test_cli_runner()


def whole_bodies(wsgi: Any) -> Any:
    """The app with each response body read whole, and its source closed, before the
    server writes it. A browser that leaves a page while it is still loading (the quick
    exit does) drops connections; werkzeug's development server then never closes a file
    it was sending (a ResourceWarning from the garbage collector, which fails whichever
    test is running then)."""
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = wsgi(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return app


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve app on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, whole_bodies(app), threaded=True)
    in_background(server)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def in_background(server: Any) -> threading.Thread:
    """Serve in a daemon thread until server.shutdown(), which waits for the loop to look:
    every 20 ms here, not the default half second (each browser test paid about a third of a
    second waiting for its server to stop)."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian Chromium driven by Playwright (never a downloaded browser)."""
    if not Path("/usr/bin/chromium").exists():
        missing("Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield b
        b.close()


PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


@pytest.fixture
def phones(browser: Any) -> Iterator[Any]:
    """new(locale, **options) -> a 360 x 740 phone-sized browser context (service workers
    allowed unless options say otherwise); every context is closed at the end."""
    made: list[Any] = []

    def new(locale: str = "en", **options: Any) -> Any:
        ctx = browser.new_context(locale=locale, **{"service_workers": "allow", **PHONE,
                                                    **options})
        made.append(ctx)
        return ctx

    yield new
    for ctx in made:
        ctx.close()


@pytest.fixture
def staff(app: Flask) -> dict[str, Staff]:
    """An organisation key (fast Argon2id for tests) and two staff accounts: admin, reviewer."""
    app.config["HAVEN_PASSPHRASE_KDF"] = "interactive"
    return keyed(app)
