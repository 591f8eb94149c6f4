"""Haven on a 360 x 740 phone in Chromium, in English, Arabic, Persian and Tigrinya.

Every public page (found from the URL map) must fit the screen's width; help must be on the
first screen; the self-check must ask and answer, online and offline; fictional numbers must
sit inside an element marked as an example; staff must see an Arabic tipster's number in order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask import Flask

from tests.pages import public_paths, wait_js
from tests.staff_helpers import PASSPHRASE, keyed

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}
LANGS = ["en", "ar", "fa", "ti"]
DEMO_NUMBER = re.compile(r"555-01\d\d")


@pytest.fixture
def app(app: Flask) -> Flask:
    """The seeded app with an organisation key (so the tip form is the real one)."""
    app.config["HAVEN_PASSPHRASE_KDF"] = "interactive"
    app.config["HAVEN_EXIT_URL"] = "https://neutral.example/"
    app.config["SESSION_COOKIE_SECURE"] = False  # plain http on the loopback test server
    app.config["HAVEN_STAFF"] = keyed(app)
    return app


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A phone-sized page with JavaScript on and no service worker."""
    ctx = browser.new_context(viewport=PHONE, service_workers="block")
    ctx.route("https://neutral.example/**", lambda r: r.fulfill(status=200, body="ok"))
    yield ctx.new_page()
    ctx.close()


@pytest.mark.parametrize("lang", LANGS)
def test_no_page_is_wider_than_the_phone(app: Flask, phone: Any, live_server: str,
                                         lang: str) -> None:
    """scrollWidth <= 360 on every public page (the RTL tip form once measured 10,359 px)."""
    paths = public_paths(app)
    assert len(paths) >= 18 and "/tip" in paths and "/self-check" in paths
    wide = {}
    for path in paths:
        phone.goto(f"{live_server}/{lang}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
    assert not wide, wide


def test_overflow_check_would_catch_the_old_honeypot(phone: Any, live_server: str) -> None:
    """The check is live: the old left:-9999px honeypot widens an RTL page."""
    phone.goto(f"{live_server}/ar/tip")
    phone.evaluate("(() => { const s = document.querySelector('.hp').style; "  # CSSOM: CSP-safe
                   "s.insetInlineStart = 'auto'; s.left = '-9999px'; s.clipPath = 'none'; })()")
    assert phone.evaluate("document.documentElement.scrollWidth") > 5000


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("lang", LANGS)
def test_search_box_on_the_first_screen(browser: Any, live_server: str, lang: str,
                                        javascript: bool) -> None:
    """Home: the emergency number, the national hotline, then the search box, all on screen 1."""
    ctx = browser.new_context(viewport=PHONE, java_script_enabled=javascript,
                              service_workers="block")
    page = ctx.new_page()
    page.goto(f"{live_server}/{lang}/")
    box = page.locator("#q").bounding_box()
    calls = page.locator(".lines > .cards .call").all()
    first_calls = [c.inner_text() for c in calls]
    more_open = page.evaluate("document.querySelector('.more-lines').open")
    lang_link = page.locator(".lang-link").bounding_box()
    ctx.close()
    assert box is not None and box["y"] < PHONE["height"], box
    assert any("911" in c for c in first_calls) and any("888-373-7888" in c for c in first_calls)
    assert not any(DEMO_NUMBER.search(c) for c in first_calls)  # examples fold away
    assert more_open is False
    assert lang_link is not None and lang_link["y"] < 100  # the language switcher is up top


def test_more_hotlines_open_without_javascript(browser: Any, live_server: str) -> None:
    """The folded hotlines open with a tap even with JavaScript off (<details>)."""
    ctx = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = ctx.new_page()
    page.goto(f"{live_server}/en/")
    assert not page.locator(".more-lines .call").first.is_visible()
    page.click(".more-lines summary")
    assert page.locator(".more-lines .call").first.is_visible()
    ctx.close()


def answer_shown(page: Any) -> list[str]:
    return page.eval_on_selector_all(".sc-answer:not([hidden])",
                                     "els => els.map(e => e.getAttribute('data-answer'))")


def check_self_check(page: Any) -> None:
    questions = page.locator("#self-check input[type=checkbox]")
    assert questions.count() >= 11
    assert "?" in page.inner_text("#self-check label[for=sc-debt]") or \
        "؟" in page.inner_text("#self-check label[for=sc-debt]")
    page.click("#sc-go")
    assert answer_shown(page) == ["none"]
    page.check("#sc-debt")
    assert answer_shown(page) == ["some"]
    page.check("#sc-wages")
    page.check("#sc-documents")
    assert answer_shown(page) == ["many"]
    page.check("#sc-violence")
    assert answer_shown(page) == ["many", "urgent"]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_self_check_asks_and_answers_online_and_offline(browser: Any, live_server: str,
                                                        lang: str) -> None:
    """At least 11 questions; ticking changes the answer; the same with the network off."""
    ctx = browser.new_context(viewport=PHONE, service_workers="allow")
    page = ctx.new_page()
    page.goto(f"{live_server}/{lang}/")
    wait_js(page, "!!navigator.serviceWorker.controller && "
                  "navigator.serviceWorker.controller.state === 'activated'")
    wait_js(page, f"document.documentElement.getAttribute('data-offline-ready') === '{lang}'")
    page.goto(f"{live_server}/{lang}/self-check")
    check_self_check(page)
    ctx.set_offline(True)
    page.goto(f"{live_server}/{lang}/self-check")
    check_self_check(page)
    ctx.close()


def test_every_example_number_is_marked(app: Flask, browser: Any, live_server: str) -> None:
    """Every 555-01xx number on a public page (and offline results) is inside [data-example];
    the hotlines page keeps examples out of the 'checked against a source' sections."""
    ctx = browser.new_context(viewport=PHONE, service_workers="allow")
    page = ctx.new_page()
    seen = 0
    unmarked: dict[str, list[str]] = {}
    for path in [*public_paths(app), "/search?q=support+line", "/search?category=shelter"]:
        page.goto(f"{live_server}/en{path}")
        if path.startswith("/offline/search"):
            page.goto(f"{live_server}/en/offline/search?q=support+line")
            wait_js(page, "document.querySelector('[data-offline=search]')"
                          ".getAttribute('data-ready') === '1'")
        found = page.evaluate(r"""() => {
            const out = {seen: 0, bad: []};
            const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            let n;
            while ((n = walk.nextNode())) {
              if (/555-01\d\d/.test(n.data)) {
                out.seen++;
                if (!n.parentElement.closest('[data-example]')) { out.bad.push(n.data.trim()); }
              }
            }
            return out; }""")
        seen += found["seen"]
        if found["bad"]:
            unmarked[path] = found["bad"]
    page.goto(f"{live_server}/en/hotlines")
    promised = page.eval_on_selector_all(
        "section.country:not(#c-examples) [data-example], section.country:not(#c-examples) "
        ".call", "els => els.map(e => e.textContent)")
    ctx.close()
    assert seen >= 5  # the check looked at real example numbers
    assert not unmarked, unmarked
    assert promised and not any(DEMO_NUMBER.search(t) for t in promised)


def test_staff_see_arabic_numbers_in_order(app: Flask, browser: Any, live_server: str) -> None:
    """Laid out in the browser, "0555 123 456" reads 0555, 123, 456 from left to right, and
    "8XYZ789" stays whole, in the inbox preview and on the tip page."""
    staff = app.config["HAVEN_STAFF"]["admin"]
    ctx = browser.new_context(viewport=PHONE)
    page = ctx.new_page()
    page.goto(f"{live_server}/ar/tip")
    page.check("input[value=labour]")
    page.fill("textarea[name=what]",
              "رأيت رجلاً يتصل من الرقم 0555 123 456 وسيارة لوحتها 8XYZ789 قرب المحطة.")
    page.click("#tip-form button[type=submit]")
    page.wait_for_selector(".receipt")
    page.goto(f"{live_server}/staff/login")
    page.fill("input[name=username]", staff.username)
    page.fill("input[name=password]", staff.password)
    page.fill("input[name=code]", pyotp.TOTP(staff.secret).now())
    page.click("form:has(input[name=code]) button[type=submit]")
    page.goto(f"{live_server}/staff/unlock")
    page.fill("input[name=passphrase]", PASSPHRASE)
    page.click("form:has(input[name=passphrase]) button[type=submit]")
    positions = r"""(sel) => { const el = document.querySelector(sel), pos = {};
        const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT); let n;
        while ((n = walk.nextNode())) { for (const w of ['0555', '123', '456', '8XYZ', '789']) {
          const i = n.data.indexOf(w);
          if (i >= 0 && !(w in pos)) { const r = document.createRange(); r.setStart(n, i);
            r.setEnd(n, i + w.length); pos[w] = r.getBoundingClientRect().left; } } }
        return pos; }"""
    page.goto(f"{live_server}/staff/")
    assert "العربية" in page.inner_text(".tip-row")
    inbox = page.evaluate(positions, ".preview-text")
    page.click(".tip-row a")
    tip = page.evaluate(positions, "dd.text")
    tip_url = page.url
    wide = {}
    for url in (f"{live_server}/staff/", tip_url, f"{live_server}/staff/stats",
                f"{live_server}/staff/campaigns", f"{live_server}/staff/audit",
                f"{live_server}/staff/users", f"{live_server}/staff/reports",
                f"{live_server}/staff/directory/import"):
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[url] = width
    assert not wide, wide  # staff pages are mobile-first too
    page.set_content('<p dir="rtl">الرقم 0555 123 456 ولوحتها 8XYZ789 قرب</p>')
    plain = page.evaluate(positions, "p")
    ctx.close()
    for pos in (inbox, tip):
        assert pos["0555"] < pos["123"] < pos["456"], pos
        assert pos["8XYZ"] < pos["789"], pos
    assert not plain["0555"] < plain["123"] < plain["456"]  # unisolated: reversed
