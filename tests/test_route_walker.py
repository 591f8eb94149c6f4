"""Every route of the URL map, sent what a hostile or broken client sends: names url_for
reserves in the query, bad percent-encoding, non-ASCII and malformed headers, junk bodies,
signed in or not. None may answer 500: bad input gets a 4xx that names it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.pages import concrete_urls
from tests.staff_helpers import Staff, csrf, keyed, sign_in
from webapp.extensions import db
from webapp.models import Service

HOSTILE_QUERIES = [
    "endpoint=x&_anchor=y&_method=DELETE",
    "_external=1&_scheme=javascript",
    "lang=//evil.example&next=%0d%0aSet-Cookie:x=1",
    "q=%ff%fe%00&near=%c0%af&page=-1&per_page=99999999999999999999",
    "category=%E2%80%AE&language=..%2F..&modified_after=9999-99-99",
    "a=" + "b" * 5000,
]
HOSTILE_HEADERS: list[dict[str, str]] = [
    {"Accept-Language": "\u00e9\u00e9;q=abc, *;q=2, zz-ZZZZ-1234567"},
    {"X-Haven-Signature": "sha256=\u00e9t\u00e9", "X-Twilio-Signature": "\u00fc",
     "Content-Type": "application/json"},
    {"If-None-Match": '"' + "x" * 300, "Range": "bytes=9-1", "Origin": "null"},
    {"Content-Type": "multipart/form-data; boundary=", "Sec-Fetch-Site": "same-origin"},
]
BODIES = [b"", b"\xff\xfe\x00garbage", b"a=1&" * 10, b'{"x": [1, 2, {"y": null}]}']


def _urls(app: Flask) -> list[str]:
    with app.app_context():
        sid = db.session.scalar(select(Service.id).order_by(Service.id).limit(1))
    real = [u.replace("00000000-0000-0000-0000-000000000000", str(sid), 1)
            for u in concrete_urls(app) if "00000000" in u]
    return concrete_urls(app) + real


def _walk(app: Flask, client: Any, under: str = "") -> dict[str, int]:
    errors: dict[str, int] = {}
    for url in [u for u in _urls(app) if u.startswith(under)]:
        for n, query in enumerate(HOSTILE_QUERIES):
            headers = HOSTILE_HEADERS[n % len(HOSTILE_HEADERS)]
            for method in ("GET", "POST"):
                body = BODIES[n % len(BODIES)] if method == "POST" else None
                resp = client.open(f"{url}?{query}", method=method, headers=headers, data=body)
                if resp.status_code >= 500:
                    errors[f"{method} {url}?{query[:40]}"] = resp.status_code
                resp.close()  # a static file's response holds the file open until closed
    return errors


def test_no_route_answers_500_to_a_hostile_client(app: Flask) -> None:
    app.config.update(HAVEN_POSTS_PER_HOUR=100000, HAVEN_PUBLIC_URL="https://haven.example")
    errors = _walk(app, app.test_client())
    assert not errors, errors


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_no_staff_route_answers_500_to_a_hostile_signed_in_client(
        app: Flask, staff: dict[str, Staff], role: str) -> None:
    """Signed in and unlocked: the staff pages read the same hostile input."""
    app.config.update(HAVEN_POSTS_PER_HOUR=100000, HAVEN_PUBLIC_URL="https://haven.example")
    client = app.test_client()
    sign_in(client, staff[role], unlock=True)
    errors = _walk(app, client, "/staff")
    assert not errors, errors


@pytest.mark.parametrize(("nxt", "lands"), [
    ("/staff/users", "/staff/users"),
    ("/staff/\r\nSet-Cookie: x=1", None),
    ("/staff//evil.example", None),
    ("https://evil.example/staff/", None),
    ("/staff/\\evil.example", None),
])
def test_sign_in_goes_only_to_a_plain_staff_page(app: Flask, staff: dict[str, Staff],
                                                 nxt: str, lands: str | None) -> None:
    """A hostile next= after a good sign-in: no 500, no other site; home instead."""
    import time

    import pyotp

    client = app.test_client()
    who = staff["admin"]
    for when in (time.time(), time.time() + 30):
        resp = client.post("/staff/login", query_string={"next": nxt}, data={
            "csrf_token": csrf(client, "/staff/login"), "username": who.username,
            "password": who.password, "code": pyotp.TOTP(who.secret).at(when)})
        if resp.status_code == 302:
            break
    assert resp.status_code == 302
    location = resp.headers["Location"]
    if lands:
        assert location == lands
    else:
        assert location.startswith("/staff") and "evil" not in location and "\n" not in location


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_a_date_at_the_edge_of_time_is_no_server_error(app: Flask, value: str) -> None:
    """modified_after whose zone pushes it past year 9999 or before year 1 (a 500 on the
    search page, found reading the API's fix): the page answers, the filter clamps."""
    resp = app.test_client().get("/en/search", query_string={"modified_after": value})
    assert resp.status_code == 200


@pytest.mark.parametrize(("path", "header", "words"), [
    ("/ar/no-such-page", "", "ar"),
    ("/staff/no/such/page", "ti", "ti"),
    ("/p/zzzzzz", "ar,en;q=0.5", "ar"),
    ("/no/such/page", "", "en"),
])
def test_an_error_page_outside_a_locale_speaks_the_readers_language(
        app: Flask, path: str, header: str, words: str) -> None:
    """A URL no route matched speaks the language its path names, else the browser's: an
    Arabic or Tigrinya reader is not shown "This page does not exist." in English."""
    from flask_babel import force_locale, gettext

    from webapp import i18n

    resp = app.test_client().get(path, headers={"Accept-Language": header} if header else {})
    assert resp.status_code == 404
    with app.test_request_context(), force_locale(i18n.BY_TAG[words].babel):
        expected = gettext("This page does not exist.")
    html = resp.get_data(as_text=True)
    assert expected in html
    assert f'lang="{words}"' in html
    if words != "en":
        assert "This page does not exist." not in html


def test_a_405_says_which_methods_are_allowed(app: Flask) -> None:
    """Werkzeug's Allow header survives the error page (page and API)."""
    for path in ("/api/hsds/services", "/en/tip/status"):
        resp = app.test_client().put(path)
        assert resp.status_code == 405
        assert "GET" in resp.headers.get("Allow", ""), path


def test_a_403_says_access_not_fault(app: Flask) -> None:
    """A reviewer at an admin page is told it is not theirs, not that the site failed."""
    client = app.test_client()
    sign_in(client, keyed(app)["reviewer"])
    html = client.get("/staff/users").get_data(as_text=True)
    assert "You do not have access to this page." in html
    assert "Something went wrong on our side." not in html
