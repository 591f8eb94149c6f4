"""Web and e-mail addresses: an HSDS import refuses anything but http(s) with a host and a
plain address, naming the record and the field, and writes nothing; a page never links a
stored address that is anything else (rows imported before this check included)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from tests.reference import HSDS_30
from webapp.directory import presenters
from webapp.extensions import db
from webapp.models import Organization, Service

REF = HSDS_30
EXAMPLE = REF / "examples" / "service_full.json"
GOOD_ID = "0b2d6f53-9b57-4a1e-8f0e-55d3a1c2b111"
BAD_ID = "7c4e1e2a-2222-4b7b-9d6a-0f1e2d3c4b5a"

NOT_WEB = ["javascript:alert(document.cookie)", " JaVaScRiPt:alert(1)",
           "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
           "file:///etc/passwd", "/relative/path", "//evil.example/x", "example.org",
           "http://[::1", "https://", "https://exa mple.org", "https://example.org/\u202egpj.exe",
           "https://example.org\\@evil.example", "https://example.org/\x00"]
NOT_MAIL = ["javascript:alert(1)//@example.org", "a@b@example.org", "help @example.org",
            "<help@example.org>", "help@example.org?bcc=x@evil.example",
            "help%0Abcc@example.org", "help@example.org\r\nBcc: x@evil.example",
            "help\x00@example.org", "help@localhost"]


def _set(rec: dict[str, Any], path: str, value: object) -> None:
    *parents, last = path.split("/")
    for name in parents:
        rec = rec.setdefault(name, {})
    rec[last] = value


def _count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Service)) or 0)


@pytest.mark.parametrize(("field", "value"), [
    ("url", "javascript:alert(document.cookie)"),
    ("url", "data:text/html,<script>alert(1)</script>"),
    ("url", "http://[::1"),
    ("organization/website", "vbscript:msgbox(1)"),
    ("haven_source/url", "file:///etc/passwd"),
    ("email", "<a@example.org>"),
    ("email", "help@example.org\r\nBcc: x@evil.example"),
    ("assurer_email", "a@b@example.org"),
    ("organization/email", "javascript:alert(1)//@example.org"),
])
def test_an_import_with_a_bad_address_writes_nothing(app: Flask, runner: FlaskCliRunner,
                                                     tmp_path: Path, field: str,
                                                     value: str) -> None:
    good = json.loads(EXAMPLE.read_text())
    good["id"] = GOOD_ID
    bad = copy.deepcopy(good)
    bad["id"] = BAD_ID
    _set(bad, field, value)
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([good, bad]))
    before = _count(app)
    result = runner.invoke(args=["services", "import", str(path)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    line = next(x for x in result.output.splitlines() if f"field '{field}'" in x)
    assert f"{path}: record 2 (id {BAD_ID}" in line
    assert "not a web address" in line or "not an e-mail address" in line
    assert _count(app) == before  # not even the good record
    api = app.test_client()
    for sid in (GOOD_ID, BAD_ID):
        assert api.get(f"/api/hsds/services/{sid}").status_code == 404


def test_good_addresses_still_import_and_are_served(app: Flask, runner: FlaskCliRunner,
                                                    tmp_path: Path) -> None:
    rec = json.loads(EXAMPLE.read_text())
    rec["id"] = GOOD_ID
    rec.update(url="https://example.org/help?lang=es", email="intake+es@example.org",
               haven_source={"url": "http://example.org/source", "quote": "555"})
    rec["organization"]["website"] = ""  # empty: absent
    rec["organization"].pop("email")
    path = tmp_path / "one.json"
    path.write_text(json.dumps(rec))
    result = runner.invoke(args=["services", "import", str(path)])
    assert result.exit_code == 0, result.output
    got = app.test_client().get(f"/api/hsds/services/{GOOD_ID}").json
    assert (got["url"], got["email"]) == ("https://example.org/help?lang=es",
                                         "intake+es@example.org")


@pytest.mark.parametrize("url", NOT_WEB)
def test_never_a_web_link(url: str) -> None:
    assert presenters.web_link(url) is None


@pytest.mark.parametrize("email", NOT_MAIL)
def test_never_a_mailto(email: str) -> None:
    assert presenters.mail_address(email) is None


@pytest.mark.parametrize(("url", "link"), [
    ("https://Example.org/a%20b?q=1#x", "https://Example.org/a%20b?q=1#x"),
    ("http://bücher.example/", "http://bücher.example/"),
    ("https://[2001:db8::1]/", "https://[2001:db8::1]/"),
])
def test_ordinary_web_links_stay(url: str, link: str) -> None:
    assert presenters.web_link(url) == link


def _listing(app: Flask) -> tuple[str, str | None]:
    with app.app_context():
        svc = db.session.scalars(select(Service).where(Service.is_demo.is_(True))
                                 .where(Service.organization_id.is_not(None))
                                 .order_by(Service.id).limit(1)).one()
        return svc.id, svc.organization_id


def _store(app: Flask, sid: str, **values: object) -> None:
    """Write straight to the row, as an older import or a hand edit may have left it."""
    with app.app_context():
        svc = db.session.get(Service, sid)
        assert svc is not None
        for name, value in values.items():
            target = svc.organization if name.startswith("org_") else svc
            setattr(target, name.removeprefix("org_"), value)
        db.session.commit()


def _links(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


@pytest.mark.parametrize("url", NOT_WEB)
def test_a_stored_bad_website_is_never_linked(app: Flask, client: FlaskClient,
                                              url: str) -> None:
    sid, _org = _listing(app)
    _store(app, sid, url=url)
    resp = client.get(f"/en/services/{sid}")
    assert resp.status_code == 200  # a malformed host once answered 500
    html = resp.get_data(as_text=True)
    assert "<dt>Website</dt>" not in html
    assert not [h for h in _links(html) if h.split(":")[0].strip().lower() in
                ("javascript", "data", "vbscript", "file")]


def test_a_stored_bad_organisation_website_is_never_linked(app: Flask,
                                                           client: FlaskClient) -> None:
    sid, org = _listing(app)
    _store(app, sid, url=None, email=None, org_website="javascript:alert(1)",
           org_email="help%0Abcc@example.org")
    with app.app_context():
        assert db.session.get(Organization, org).website == "javascript:alert(1)"
    html = client.get(f"/en/services/{sid}").get_data(as_text=True)
    assert "<dt>Website</dt>" not in html and "javascript:" not in html
    assert "mailto:" not in html


@pytest.mark.parametrize("email", NOT_MAIL)
def test_a_stored_bad_email_is_never_a_mailto(app: Flask, client: FlaskClient,
                                              email: str) -> None:
    sid, _org = _listing(app)
    _store(app, sid, email=email)
    html = client.get(f"/en/services/{sid}").get_data(as_text=True)
    assert "mailto:" not in html
