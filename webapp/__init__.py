"""Haven: an offline-first directory and outreach app for people affected by trafficking."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from webapp import i18n, security
from webapp.config import ROOT, load_config
from webapp.extensions import babel, csrf, db, migrate


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build a configured app; tests pass overrides. No I/O happens at import time."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
    )
    app.config.update(load_config(app.instance_path))
    if overrides:
        app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.autoescape = True

    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _sqlite_foreign_keys(db.engine)
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        with app.app_context():
            _uuid_as_text(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    babel.init_app(app, locale_selector=i18n.select_babel_locale)
    i18n.init_app(app)
    security.init_app(app)

    from webapp import cli, compression, errors
    from webapp.directory import routes
    from webapp.exchange import api
    from webapp.tips import labels
    from webapp.tips import routes as tip_routes

    app.register_blueprint(routes.root)
    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(tip_routes.bp)
    from webapp.reports import routes as report_routes

    app.register_blueprint(report_routes.bp)
    from webapp import staff
    from webapp.posters import routes as poster_routes

    app.register_blueprint(poster_routes.bp)
    app.register_blueprint(poster_routes.short)
    from webapp.pwa import routes as pwa_routes

    app.register_blueprint(pwa_routes.bp)
    app.register_blueprint(pwa_routes.root)
    from webapp.ops import routes as ops_routes

    app.register_blueprint(ops_routes.bp)
    from webapp.sms import routes as sms_routes

    app.register_blueprint(sms_routes.bp)
    from webapp.booklet import routes as booklet_routes

    app.register_blueprint(booklet_routes.bp)

    @app.url_defaults
    def hashed_static(endpoint: str, values: dict[str, Any]) -> None:
        # Static URLs carry their content hash, so the service worker can keep them forever.
        if endpoint == "static" and "filename" in values:
            values.setdefault("v", pwa_routes.static_hash(values["filename"]))

    app.register_blueprint(staff.register())
    csrf.init_app(app)
    # Public POSTs carry no CSRF token: the pages set no cookie to hold one. Tips, receipts,
    # replies and reports are checked for their origin instead; SMS webhooks for the
    # provider's signature over the raw body.
    for public in (tip_routes.bp, report_routes.bp, sms_routes.bp):
        csrf.exempt(public)
    # A shelter's private space-update link: the secret in its path is the credential, and
    # the phone it is opened on holds no staff session.
    csrf.exempt(app.view_functions["staff.space_link"])
    labels.init_app(app)
    errors.init_app(app)
    compression.init_app(app)
    cli.init_app(app)
    return app


def _sqlite_foreign_keys(engine: Any) -> None:
    """SQLite enforces foreign keys only when asked: ask, so it behaves like PostgreSQL."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


def _uuid_as_text(engine: Any) -> None:
    """PostgreSQL keeps HSDS ids in its uuid type (models.HsdsId); the driver hands them back
    as text, so every reader (the ORM, and the search index's raw cursor) gets the str ids
    the rest of Haven compares and serialises."""
    from psycopg.types.string import TextLoader
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.adapters.register_loader("uuid", TextLoader)
