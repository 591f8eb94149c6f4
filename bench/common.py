"""Databases for the benchmarks: the seeded demo directory, or n generated services."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade

from bench.gen_services import generate
from webapp import create_app
from webapp.exchange import importer
from webapp.exchange.services import seed_if_empty
from webapp.extensions import db

INDEX_DIR = Path(tempfile.mkdtemp(prefix="haven-bench-index-"))  # PostgreSQL's index files
atexit.register(shutil.rmtree, INDEX_DIR, True)


def bench_app(db_url: str) -> Flask:
    """An app on a migrated (still empty) database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "HAVEN_SEED_ON_START": False,
                      "HAVEN_SEARCH_INDEX_DIR": str(INDEX_DIR)})
    with app.app_context():
        upgrade()
    return app


def seeded_app(db_url: str) -> Flask:
    """An app on a database seeded from services_data/, as `python app.py` would have it."""
    app = bench_app(db_url)
    with app.app_context():
        seed_if_empty(app)
    return app


def import_generated(app: Flask, n: int, regions: int = 0) -> float:
    """Import n generated services as `flask services import FILE` does (read the file,
    validate every record, write everything in one transaction, index); returns the seconds
    that took. Generating the records and writing the file are not counted."""
    folder = Path(tempfile.mkdtemp(prefix="haven-bench-import-"))
    try:
        path = folder / "services.json"
        path.write_text(json.dumps(generate(n, regions=regions), ensure_ascii=False),
                        encoding="utf-8")
        with app.app_context():
            started = time.perf_counter()
            importer.import_path(path, app.config["HSDS_SCHEMA_DIR"])
            took = time.perf_counter() - started
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return took


@contextlib.contextmanager
def regional_directory(prefix: str, default_regions: int) -> Iterator[tuple[Flask, Any]]:
    """(app, args): an app on a throwaway SQLite database with --services generated services
    in --regions regions imported (the command line's, for the area benches)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--regions", type=int, default=default_regions)
    args = parser.parse_args()
    with databases(prefix) as new:
        app = bench_app(new("sqlite", "areas"))
        took = import_generated(app, args.services, regions=args.regions)
        print(f"imported {args.services} services in {args.regions} regions: {took:.0f} s")
        yield app, args


@contextlib.contextmanager
def databases(prefix: str) -> Iterator[Callable[[str, str], str]]:
    """new(backend, name) -> the URL of a new empty database (SQLite file or a database in a
    throwaway PostgreSQL cluster started on first use); all of it removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    held: dict[str, Any] = {}

    def new(backend: str, name: str) -> str:
        if backend != "postgresql":
            return f"sqlite:///{base / (name + '.sqlite3')}"
        if "pg" not in held:
            from tests.pg import Postgres

            held["pg"] = Postgres(Path(tempfile.mkdtemp(prefix=prefix + "pg-")))
        held["pg"].sql(f"CREATE DATABASE {name}")
        return str(held["pg"].url(name))

    try:
        yield new
    finally:
        if "pg" in held:
            held["pg"].stop()
            shutil.rmtree(held["pg"].dir.parent, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)
