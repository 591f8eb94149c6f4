"""Haven: an offline-first directory and outreach app for people affected by trafficking."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from webapp import i18n, security
from webapp.config import ROOT, load_config
from webapp.extensions import babel, csrf, db, migrate


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build a configured app; tests pass overrides. No I/O happens at import time."""
    # The app's parts, imported here rather than with the module: importing webapp (as every
    # module of it does) stays cheap, and no part is loaded before the app that uses it.
    from webapp import cli, collector, compression, errors, render_budget, templating
    from webapp.booklet import routes as booklet
    from webapp.coalition import routes as coalition
    from webapp.directory import routes as directory
    from webapp.editor import routes as editor
    from webapp.exchange import api as exchange_api
    from webapp.ops import routes as ops
    from webapp.posters import routes as posters
    from webapp.pwa import routes as pwa
    from webapp.referrals import routes as referrals
    from webapp.reports import routes as reports
    from webapp.sms import routes as sms
    from webapp.space import routes as space
    from webapp.staff import campaigns as staff_campaigns
    from webapp.staff import inbox as staff_inbox
    from webapp.staff import invites as staff_invites
    from webapp.staff import report_queue as staff_report_queue
    from webapp.staff import routes as staff
    from webapp.staff import stats as staff_stats
    from webapp.tips import routes as tips

    # Every blueprint, one per feature. An endpoint's name names the package that serves it
    # ("space.requests": webapp/space/routes.py). In webapp/staff/, the "staff" blueprint
    # (sign-in, sessions, accounts, audit log) is routes.py and each other staff feature is
    # the module named like its blueprint ("inbox.tip_view": webapp/staff/inbox.py).
    blueprints = (
        # public pages under /<lang>/ and the language pickers at the root; the HSDS API
        directory.root, directory.bp, exchange_api.bp, tips.bp, reports.bp, posters.bp,
        posters.short, pwa.bp, pwa.root, ops.bp, sms.bp, booklet.bp,
        # staff pages under /staff, each made by webapp.staff.blueprints.staff_blueprint
        staff.bp, staff_inbox.bp, staff_invites.bp, staff_campaigns.bp, staff_report_queue.bp,
        staff_stats.bp, editor.bp, referrals.bp, space.bp, coalition.bp,
    )

    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
    )
    app.config.update(load_config(app.instance_path))
    if overrides:
        app.config.update(overrides)
    if app.config["HAVEN_FAST_HASHING"] and not app.testing:
        raise ValueError("HAVEN_FAST_HASHING weakens every password hash: it is for tests "
                         "(TESTING) only")
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
    render_budget.init_app(app)

    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    @app.url_defaults
    def hashed_static(endpoint: str, values: dict[str, Any]) -> None:
        # Static URLs carry their content hash, so the service worker can keep them forever.
        if endpoint == "static" and "filename" in values:
            values.setdefault("v", pwa.static_hash(values["filename"]))

    csrf.init_app(app)
    # Public POSTs carry no CSRF token: the pages set no cookie to hold one. Tips, receipts,
    # replies and reports are checked for their origin instead; SMS webhooks for the
    # provider's signature over the raw body.
    for public in (tips.bp, reports.bp, sms.bp):
        csrf.exempt(public)
    # A shelter's private space-update link: the secret in its path is the credential, and
    # the phone it is opened on holds no staff session.
    csrf.exempt(app.view_functions["space.link"])
    templating.init_app(app)
    errors.init_app(app)
    compression.init_app(app)
    cli.init_app(app)
    collector.init_app(app)  # last: its middleware wraps every other
    return app


def _sqlite_foreign_keys(engine: Any) -> None:
    """SQLite enforces foreign keys only when asked: ask, so it behaves like PostgreSQL."""
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


def _uuid_as_text(engine: Any) -> None:
    """PostgreSQL keeps HSDS ids in its uuid type (models.HsdsId); the driver hands them back
    as text, so every reader (the ORM, and the search index's raw cursor) gets the str ids
    the rest of Haven compares and serialises."""
    # Only on PostgreSQL: an SQLite install need not have the driver at all.
    from psycopg.types.string import TextLoader

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.adapters.register_loader("uuid", TextLoader)
