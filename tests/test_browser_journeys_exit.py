"""The person's way out, in a 360 x 740 phone: after "Leave quickly", Back shows no Haven page
they had open (a search, a listing), and Esc while typing a tip keeps the text."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from tests.journey_helpers import BEFORE, EXIT, phone, walk_back
from tests.pages import ready

pytestmark = pytest.mark.browser

QUERY = {"en": "shelter Fresno", "ar": "مأوى Fresno", "fa": "سرپناه Fresno", "ti": "shelter Fresno"}


@pytest.fixture
def app(app: Flask) -> Flask:
    """The seeded app, its quick exit pointed at a host the test fulfils itself."""
    app.config["HAVEN_EXIT_URL"] = EXIT
    return app


def search_then_open_a_listing(page: Any, base: str, lang: str) -> tuple[str, str]:
    """home -> type a search -> results -> first listing; returns (results URL, listing URL)."""
    page.goto(f"{base}/{lang}/")
    page.fill("#q", QUERY[lang])
    with page.expect_navigation():
        page.press("#q", "Enter")
    assert urlsplit(page.url).path == f"/{lang}/search", page.url
    assert parse_qs(urlsplit(page.url).query)["q"] == [QUERY[lang]]
    results = page.url
    with page.expect_navigation():
        page.click("li.card h2 a")
    assert f"/{lang}/services/" in page.url
    return results, page.url


@pytest.mark.parametrize("lang", ["en", "ar", "fa", "ti"])
def test_leave_quickly_leaves_no_haven_page_one_back_away(phones: Any, live_server: str,
                                                          lang: str) -> None:
    """before -> home -> search -> listing -> Leave quickly: Back shows the page before Haven,
    and no further Back reaches the search or the listing."""
    page = phone(phones, lang, service_workers="block").new_page()
    page.goto(BEFORE)
    search_then_open_a_listing(page, live_server, lang)
    page.click("#quick-exit")
    page.wait_for_url(EXIT)
    history = walk_back(page)
    assert history and history[0] == BEFORE, history
    assert not [u for u in history if u.startswith(live_server)], history


def test_in_page_links_and_the_language_list_leave_nothing_behind(phones: Any,
                                                                   live_server: str) -> None:
    """A fragment link (the language list) and a language switch are moves inside Haven too."""
    page = phone(phones, "ar", service_workers="block").new_page()
    page.goto(BEFORE)
    page.goto(f"{live_server}/ar/signs")
    page.click("header a.lang-link")
    assert page.url.endswith("/ar/signs#languages")
    with page.expect_navigation():
        page.click("#languages a[hreflang=fa]")
    assert "/fa/" in page.url
    page.click("#quick-exit")
    page.wait_for_url(EXIT)
    history = walk_back(page)
    assert history[:1] == [BEFORE] and not [u for u in history if u.startswith(live_server)]


def test_without_javascript_back_still_walks_the_pages(phones: Any, live_server: str) -> None:
    """No script, no replacing: the browser's own Back is the way back (and the exit a link)."""
    page = phone(phones, "en", java_script_enabled=False).new_page()
    page.goto(f"{live_server}/en/")
    page.fill("#q", "shelter")
    with page.expect_navigation():
        page.press("#q", "Enter")
    page.go_back()
    assert page.url == f"{live_server}/en/"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_listing_offers_its_way_back_to_the_results(phones: Any, live_server: str,
                                                      lang: str) -> None:
    """Offline, the listing opened from the results links back to the same search."""
    ctx = phone(phones, lang)
    page = ctx.new_page()
    ready(page, live_server, lang)
    ctx.set_offline(True)
    page.fill("#q", QUERY[lang])
    with page.expect_navigation():
        page.press("#q", "Enter")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    results = page.url
    with page.expect_navigation():
        page.click("#offline-results li.card h2 a")
    page.wait_for_selector("[data-offline=service][data-ready='1']")
    with page.expect_navigation():
        page.click("#back-to-results a")
    assert page.url == results
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    assert page.input_value("#q") == QUERY[lang]
    ctx.set_offline(False)


def test_escape_while_typing_a_tip_keeps_the_page_and_the_text(phones: Any,
                                                               live_server: str) -> None:
    """One Esc in the tip's text box keeps the page and every word; Esc twice leaves."""
    page = phone(phones, "ar", service_workers="block").new_page()
    page.goto(f"{live_server}/ar/tip")
    text = "رأيت عمالاً محبوسين في المزرعة"
    page.fill("textarea[name=what]", text)
    page.focus("textarea[name=what]")
    page.keyboard.press("Escape")
    page.wait_for_timeout(1200)
    assert urlsplit(page.url).path == "/ar/tip"
    assert page.input_value("textarea[name=what]") == text
    page.fill("input[name=city]", "Fresno")
    page.keyboard.press("Escape")  # one Esc in another text field: still here
    page.wait_for_timeout(300)
    assert urlsplit(page.url).path == "/ar/tip"
    page.keyboard.press("Escape")  # the second, within a second: gone
    page.wait_for_url(EXIT)


def test_escape_outside_a_text_field_still_leaves(phones: Any, live_server: str) -> None:
    """On the tip page, with a box ticked (not typing), one Esc opens the neutral site."""
    page = phone(phones, "en", service_workers="block").new_page()
    page.goto(f"{live_server}/en/tip")
    page.check("input[value=labour]")
    page.keyboard.press("Escape")
    page.wait_for_url(EXIT)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_an_online_listing_links_back_to_its_results(phones: Any, live_server: str,
                                                     lang: str) -> None:
    """Online too: home -> search -> a card -> "Back to results" is the same search."""
    page = phone(phones, lang, service_workers="block").new_page()
    page.goto(f"{live_server}/{lang}/")
    page.fill("#q", QUERY[lang])
    with page.expect_navigation():
        page.press("#q", "Enter")
    results = page.url
    with page.expect_navigation():
        page.click("ul.cards li.card h2 a")
    assert "/services/" in page.url
    with page.expect_navigation():
        page.click("#back-to-results a")
    assert page.url == results
    assert page.input_value("#q") == QUERY[lang]


def test_staff_pages_keep_the_browsers_back(app: Flask, staff: dict[str, Any], phones: Any,
                                            live_server: str) -> None:
    """Staff move through many pages on their own device: Back still works there."""
    from tests.pages import sign_in_page

    page = phone(phones, "en", service_workers="block").new_page()
    sign_in_page(page, live_server, staff["admin"])
    page.goto(f"{live_server}/staff/")
    with page.expect_navigation():
        page.click("nav a[href='/staff/referrals']")
    page.go_back()
    assert page.url == f"{live_server}/staff/"
