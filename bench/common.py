"""Databases for the benchmarks: the seeded demo directory, or n generated services."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade

from bench.gen_services import generate
from webapp import create_app
from webapp.cli import seed_if_empty
from webapp.exchange import importer
from webapp.exchange.sources import Record
from webapp.extensions import db


def bench_app(db_url: str) -> Flask:
    """An app on a migrated (still empty) database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "HAVEN_SEED_ON_START": False})
    with app.app_context():
        upgrade()
    return app


def seeded_app(db_url: str) -> Flask:
    """An app on a database seeded from services_data/, as `python app.py` would have it."""
    app = bench_app(db_url)
    with app.app_context():
        seed_if_empty(app)
    return app


def import_generated(app: Flask, n: int) -> None:
    """Import n generated services through the real importer (validation included)."""
    with app.app_context():
        importer.ensure_taxonomies()
        db.session.commit()
        recs = generate(n)
        for i in range(0, n, 5000):
            batch = [Record("generated", j, r) for j, r in enumerate(recs[i:i + 5000], i)]
            importer.write_rows(importer.build_rows(batch, app.config["HSDS_SCHEMA_DIR"]))
            db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()


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
