"""Headers on every route, no cookies, no third-party hosts, no client identity kept."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask

from tests.pages import concrete_urls
from webapp.security import SECURITY_HEADERS


def test_every_route_is_covered(app: Flask) -> None:
    """The parametrized walk below covers each registered rule."""
    assert len(concrete_urls(app)) == len({r.rule for r in app.url_map.iter_rules()})


@pytest.mark.parametrize("extra", ["", "/does-not-exist"])
def test_headers_on_every_route(app: Flask, extra: str) -> None:
    """Every response (200, 3xx, 404, 405) carries the full set of security headers."""
    client = app.test_client()
    for url in concrete_urls(app):
        for method in ("GET", "POST"):
            resp = client.open(url + extra, method=method)
            for name, value in SECURITY_HEADERS.items():
                assert resp.headers.get(name) == value, (method, url + extra, name)
            csp = resp.headers["Content-Security-Policy"]
            assert "'unsafe-inline'" not in csp
            assert "default-src 'none'" in csp
            cookie = resp.headers.get("Set-Cookie")
            if url.startswith("/staff"):  # the staff session only: strict, HttpOnly, /staff
                assert cookie is None or all(f in cookie for f in (
                    "HttpOnly", "SameSite=Strict", "Path=/staff", "Secure")), url
            else:
                assert cookie is None, url
            resp.close()


def test_500_page_has_headers_and_no_trace(app: Flask) -> None:
    """An unexpected error is a plain page with the headers, never a stack trace."""
    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("kaboom-secret")

    logging.getLogger(app.name).disabled = True
    resp = app.test_client().get("/boom")
    assert resp.status_code == 500
    assert b"kaboom-secret" not in resp.data
    assert b"Traceback" not in resp.data
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_public_pages_reference_no_other_host(app: Flask) -> None:
    """No src/href on a public page loads from another host (links out are anchors only)."""
    client = app.test_client()
    for lang in ("en", "ar", "zh-Hans"):
        for path in ("/", "/search?q=shelter", "/signs", "/privacy", "/about", "/hotlines",
                     "/languages"):
            html = client.get(f"/{lang}{path}").get_data(as_text=True)
            for tag, _attr, url in re.findall(r"<(link|script|img|iframe|source|form)\b[^>]*?"
                                             r"\b(src|href|action)=\"([^\"]+)\"", html):
                assert url.startswith("/"), (lang, path, tag, url)
            assert "style=" not in html
            assert "<script>" not in html


def test_client_identity_is_stripped(app: Flask) -> None:
    """The app never sees REMOTE_ADDR, X-Forwarded-For or User-Agent."""
    seen = {}

    @app.route("/probe")
    def probe() -> str:
        from flask import request

        seen.update(addr=request.remote_addr, ua=request.headers.get("User-Agent"),
                    xff=request.headers.get("X-Forwarded-For"),
                    fwd=request.headers.get("Forwarded"))
        return "ok"

    app.test_client().get("/probe", environ_base={"REMOTE_ADDR": "203.0.113.77"},
                          headers={"User-Agent": "SentinelAgent/1.0",
                                   "X-Forwarded-For": "198.51.100.9",
                                   "Forwarded": "for=198.51.100.10"})
    assert seen == {"addr": "0.0.0.0", "ua": None, "xff": None, "fwd": None}


def test_root_redirects_by_accept_language(client: object) -> None:
    """/ sends the visitor to their language, and sets no cookie."""
    for header, target in [("es-MX,es;q=0.9", "/es/"), ("ar", "/ar/"), ("zh-CN", "/zh-Hans/"),
                           ("de-DE", "/en/"), ("", "/en/"), ("xx;q=0.5, uk;q=0.8", "/uk/")]:
        resp = client.get("/", headers={"Accept-Language": header})  # type: ignore[attr-defined]
        assert resp.status_code == 302 and resp.headers["Location"].endswith(target), header
        assert "Set-Cookie" not in resp.headers
