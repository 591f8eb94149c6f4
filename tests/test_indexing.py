"""Indexing is a deployment choice; robots.txt is text; staff and tip pages never indexed."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp import create_app
from webapp.config import _on_off_auto

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

NOINDEX = '<meta name="robots" content="noindex">'


def test_robots_txt_is_plain_text(client: FlaskClient) -> None:
    """200 text/plain (it once redirected to /robots.txt/), with the private paths listed."""
    resp = client.get("/robots.txt")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    body = resp.get_data(as_text=True)
    for line in ("User-agent: *", "Disallow: /staff/", "Disallow: /api/", "Disallow: /p/",
                 "Disallow: /en/tip", "Disallow: /ar/tip"):
        assert line in body.splitlines()


@pytest.mark.parametrize(("setting", "public_indexed"), [("on", True), ("off", False),
                                                         ("auto", False)])
def test_indexing_setting(app: Flask, setting: str, public_indexed: bool) -> None:
    """on/off decide; auto is off while the demo listings are loaded (as in the test data)."""
    app.config["HAVEN_INDEXING"] = setting
    client = app.test_client()
    assert (NOINDEX not in client.get("/en/").get_data(True)) is public_indexed
    assert (NOINDEX not in client.get("/en/hotlines").get_data(True)) is public_indexed
    assert ("Disallow: /\n" not in client.get("/robots.txt").get_data(True)) is public_indexed
    for always_hidden in ("/en/tip", "/en/tip/status", "/staff/login", "/en/offline"):
        assert NOINDEX in client.get(always_hidden).get_data(True), always_hidden


def test_auto_indexes_a_real_deployment(app: Flask) -> None:
    """With no demo listings, auto lets search engines list the public pages."""
    from webapp.extensions import db
    from webapp.search.changelog import set_meta

    with app.app_context():
        set_meta("demo_loaded", "0")
        db.session.commit()
    app.config["HAVEN_INDEXING"] = "auto"
    client = app.test_client()
    assert NOINDEX not in client.get("/en/").get_data(True)
    assert NOINDEX in client.get("/en/tip").get_data(True)


@pytest.mark.parametrize("name", ["HAVEN_INDEXING", "HAVEN_OFFLINE_AREAS"])
def test_a_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """HAVEN_INDEXING=maybe (or HAVEN_OFFLINE_AREAS=maybe) stops the app with a message
    naming the setting."""
    assert _on_off_auto(name, "ON ") == "on" and _on_off_auto(name, "") == "auto"
    with pytest.raises(ValueError, match=f"{name} must be on, off or auto"):
        _on_off_auto(name, "maybe")
    monkeypatch.setenv(name, "maybe")
    with pytest.raises(ValueError, match=name):
        create_app({"TESTING": True})
