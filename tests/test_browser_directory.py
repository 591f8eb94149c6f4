"""Real Chromium on the directory pages: no other host, no cookie, quick exit."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

pytestmark = pytest.mark.browser

EXIT = "https://neutral.example/weather"
PAGES = ["/en/", "/ar/", "/en/search?q=shelter", "/ar/search?q=%D9%85%D8%AD%D8%A7%D9%85%D9%8A",
         "/en/signs", "/en/hotlines", "/en/privacy", "/en/about", "/zh-Hans/languages"]


@pytest.fixture
def app(app: Flask) -> Flask:
    """The seeded app, its quick exit pointed at a host the test fulfils itself."""
    app.config["HAVEN_EXIT_URL"] = EXIT
    return app


def test_public_pages_only_talk_to_their_own_host(browser: Any, live_server: str) -> None:
    """Every request a page makes goes to Haven's origin, and no cookie is ever set."""
    context = browser.new_context()
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    for path in PAGES:
        resp = page.goto(live_server + path)
        assert resp is not None and resp.status == 200, path
        page.wait_for_load_state("networkidle")
    hosts = {urlsplit(u).netloc for u in seen if not u.startswith("data:")}
    assert hosts == {urlsplit(live_server).netloc}, hosts
    assert context.cookies() == []
    assert page.evaluate("document.cookie") == ""
    context.close()


def test_escape_leaves_with_replace(browser: Any, live_server: str) -> None:
    """Esc opens the neutral site and the Haven page is not left behind in this tab's history."""
    context = browser.new_context()
    context.route("https://neutral.example/**",
                  lambda route: route.fulfill(status=200, body="<title>Weather</title>",
                                              content_type="text/html"))
    page = context.new_page()
    page.goto(live_server + "/en/")
    page.goto(live_server + "/en/signs")
    depth = page.evaluate("history.length")
    page.keyboard.press("Escape")
    page.wait_for_url(EXIT)
    assert page.evaluate("history.length") == depth  # replaced, not pushed
    page.go_back()
    assert page.url == live_server + "/en/"  # back skips the page that was open
    context.close()


def test_quick_exit_link_works_without_javascript(browser: Any, live_server: str) -> None:
    """With JavaScript off the button is a plain link to the neutral site."""
    context = browser.new_context(java_script_enabled=False)
    context.route("https://neutral.example/**",
                  lambda route: route.fulfill(status=200, body="ok", content_type="text/html"))
    page = context.new_page()
    page.goto(live_server + "/ar/")
    assert page.get_attribute("html", "dir") == "rtl"
    page.click("#quick-exit")
    page.wait_for_url(EXIT)
    context.close()


def test_search_works_without_javascript(browser: Any, live_server: str) -> None:
    """The no-JavaScript path: type a query in Arabic, submit, read legal-aid results."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/ar/")
    page.fill("input[name=q]", "محامي")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/ar/search" in page.url
    assert page.locator("li.card").count() > 0
    context.close()
