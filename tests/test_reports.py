"""Listing pages show the website and e-mail; readers report a wrong listing."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.db_helpers import everything_stored
from tests.staff_helpers import Staff, csrf, sign_in
from webapp.directory.presenters import mail_address, web_link
from webapp.extensions import db
from webapp.models import AuditEntry, ListingReport, Service, StaffUser

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

SENTINEL_IP = "203.0.113.91"
SENTINEL_XFF = "198.51.100.44"
SENTINEL_UA = "ReporterAgent/9.1 (haven-test)"


def listing(app: Flask, **where: object) -> Service:
    """A demo listing with a website (or whatever `where` asks for)."""
    with app.app_context():
        stmt = select(Service).where(Service.is_demo.is_(True)).order_by(Service.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(Service, name) == value)
        svc = db.session.scalars(stmt.limit(1)).first()
        assert svc is not None
        db.session.expunge(svc)
        return svc


def reports(app: Flask) -> list[ListingReport]:
    with app.app_context():
        rows = db.session.scalars(select(ListingReport).order_by(ListingReport.id)).all()
        for r in rows:
            db.session.expunge(r)
        return list(rows)


@pytest.mark.parametrize(("url", "expect"), [
    ("https://example.org/clinic", "https://example.org/clinic"),
    ("http://example.org", "http://example.org"),
    ("  HTTPS://Example.org/a  ", "https://Example.org/a"),
    ("javascript:alert(1)", None),
    ("data:text/html,<b>x</b>", None),
    ("ftp://example.org/file", None),
    ("example.org", None),
    ("https://", None),
    ("", None),
    (None, None),
])
def test_only_web_addresses_become_links(url: str | None, expect: str | None) -> None:
    assert web_link(url) == expect


@pytest.mark.parametrize(("email", "expect"), [
    ("intake@example.org", "intake@example.org"),
    (" intake@example.org ", "intake@example.org"),
    ("intake@example.org?bcc=x@evil.example", None),
    ("a@b@example.org", None),
    ("not an address", None),
    ("intake@localhost", None),
    (None, None),
])
def test_only_plain_addresses_become_mailto(email: str | None, expect: str | None) -> None:
    assert mail_address(email) == expect


def test_listing_shows_website_email_and_report_link(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        svc = db.session.scalars(select(Service).where(Service.url.is_not(None))
                                 .where(Service.email.is_not(None)).limit(1)).first()
        assert svc is not None
        sid, url, email = svc.id, svc.url, svc.email
    html = client.get(f"/ar/services/{sid}").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" rel="([^"]+)" dir="ltr">', html)
    assert link and link.group(1) == url
    assert set(link.group(2).split()) == {"noopener", "noreferrer"}
    assert f'href="mailto:{email}"' in html
    assert f'href="/ar/services/{sid}/report"' in html


def test_a_listing_with_an_unsafe_website_shows_no_link(app: Flask, client: FlaskClient) -> None:
    svc = listing(app)
    with app.app_context():
        db.session.get(Service, svc.id).url = "javascript:alert(1)"
        db.session.commit()
    html = client.get(f"/en/services/{svc.id}").get_data(as_text=True)
    assert "javascript:" not in html
    assert "Website" not in html


def test_report_reaches_the_queue_and_staff_close_it(app: Flask, client: FlaskClient,
                                                     staff: dict[str, Staff]) -> None:
    svc = listing(app)
    page = client.get(f"/ar/services/{svc.id}/report")
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers
    html = page.get_data(as_text=True)
    assert 'dir="rtl"' in html and 'name="kind"' in html
    assert not re.search(r'name="(name|email|phone|contact)"', html)  # no contact field
    before = client.get(f"/en/services/{svc.id}").get_data(as_text=True)
    resp = client.post(f"/ar/services/{svc.id}/report",
                       data={"kind": "wrong_phone", "note": "الرقم 0555 123 456 لا يعمل"})
    assert resp.status_code == 201
    assert "Set-Cookie" not in resp.headers
    assert resp.headers["Cache-Control"] == "no-store"
    [report] = reports(app)
    assert (report.service_id, report.kind, report.locale, report.status) == (
        svc.id, "wrong_phone", "ar", "open")
    # The public page does not change until staff act.
    assert client.get(f"/en/services/{svc.id}").get_data(as_text=True) == before

    staff_client = app.test_client()
    sign_in(staff_client, staff["reviewer"])
    queue = staff_client.get("/staff/reports").get_data(as_text=True)
    assert svc.name in queue and "A phone number is wrong" in queue
    assert "0555 123 456" in queue.replace("\u2066", "").replace("\u2069", "")
    token = csrf(staff_client, "/staff/reports")
    assert staff_client.post(f"/staff/reports/{report.id}",
                             data={"csrf_token": token, "outcome": "maybe"}).status_code == 400
    done = staff_client.post(f"/staff/reports/{report.id}",
                             data={"csrf_token": token, "outcome": "fixed"})
    assert done.status_code == 302
    [report] = reports(app)
    with app.app_context():
        reviewer = db.session.scalar(select(StaffUser.id).where(
            StaffUser.username == staff["reviewer"].username))
    assert report.status == "fixed" and report.handled_by == reviewer
    assert "No open reports." in staff_client.get("/staff/reports").get_data(as_text=True)
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "report_fixed" in actions
    again = staff_client.post(f"/staff/reports/{report.id}",
                              data={"csrf_token": token, "outcome": "dismissed"})
    assert again.status_code == 404  # closed once, not twice


def test_staff_queue_needs_sign_in(client: FlaskClient) -> None:
    resp = client.get("/staff/reports")
    assert resp.status_code == 302 and "/staff/login" in resp.headers["Location"]
    token = csrf(client, "/staff/login")
    assert client.post("/staff/reports/1", data={"csrf_token": token,
                                                 "outcome": "fixed"}).status_code == 302
    assert client.post("/staff/reports/1", data={"outcome": "fixed"}).status_code == 400


@pytest.mark.parametrize(("data", "expect"), [
    ({}, "Please choose what is wrong."),
    ({"kind": "hacked"}, "Please choose what is wrong."),
    ({"kind": "other", "note": "x" * 1001}, "at most 1000 characters"),
    ({"kind": "other", "note": "abc\u202edef"}, "invisible control characters"),
])
def test_bad_reports_are_refused_and_nothing_is_stored(app: Flask, client: FlaskClient,
                                                       data: dict[str, str],
                                                       expect: str) -> None:
    svc = listing(app)
    resp = client.post(f"/en/services/{svc.id}/report", data=data)
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert expect in html and "Nothing was sent yet." in html
    assert reports(app) == []


def test_unknown_listing_and_other_sites_are_refused(app: Flask, client: FlaskClient) -> None:
    assert client.get("/en/services/no-such-id/report").status_code == 404
    assert client.post("/en/services/no-such-id/report",
                       data={"kind": "closed"}).status_code == 404
    svc = listing(app)
    assert client.post(f"/en/services/{svc.id}/report", data={"kind": "closed"},
                       headers={"Origin": "https://evil.example"}).status_code == 403
    assert reports(app) == []


def test_reports_are_rate_limited(app: Flask, client: FlaskClient) -> None:
    app.config["HAVEN_REPORTS_PER_HOUR"] = 2
    svc = listing(app)
    env = {"REMOTE_ADDR": "192.0.2.50"}
    codes = [client.post(f"/en/services/{svc.id}/report", data={"kind": "moved"},
                         environ_base=env).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert len(reports(app)) == 2
    other = client.post(f"/en/services/{svc.id}/report", data={"kind": "moved"},
                        environ_base={"REMOTE_ADDR": "192.0.2.51"})
    assert other.status_code == 201


def test_no_client_identity_is_kept(app: Flask, client: FlaskClient, staff: dict[str, Staff],
                                    request: pytest.FixtureRequest,
                                    caplog: pytest.LogCaptureFixture) -> None:
    """After a report and the staff queue, no sentinel address or agent remains anywhere."""
    caplog.set_level(logging.DEBUG)
    svc = listing(app)
    headers = {"X-Forwarded-For": SENTINEL_XFF, "User-Agent": SENTINEL_UA,
               "Forwarded": f"for={SENTINEL_XFF}"}
    client.environ_base.update({"REMOTE_ADDR": SENTINEL_IP})
    assert client.post(f"/en/services/{svc.id}/report", data={"kind": "closed", "note": "gone"},
                       headers=headers).status_code == 201
    staff_client = app.test_client()
    staff_client.environ_base.update({"REMOTE_ADDR": SENTINEL_IP,
                                      "HTTP_USER_AGENT": SENTINEL_UA})
    sign_in(staff_client, staff["admin"])
    assert "gone" in staff_client.get("/staff/reports", headers=headers).get_data(as_text=True)
    blobs = everything_stored(app, request, caplog)
    assert b"gone" in blobs[0]  # the check reads the real data: the report is in there
    for needle in (SENTINEL_IP, SENTINEL_XFF, SENTINEL_UA, "ReporterAgent"):
        assert all(needle.encode() not in b for b in blobs), needle
