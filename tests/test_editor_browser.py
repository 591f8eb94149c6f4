"""The directory editor on a phone, in real Chromium: a phone number changed in
English and an Arabic translation in RTL reach the public page and the offline search; a stale
save is refused with the input kept; revert; an org-editor is kept to their organisation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from babel.support import Translations
from flask import Flask

from tests.editor_helpers import FRESNO, OAKLAND, editors, service_of
from tests.pages import sign_in_page, wait_js
from tests.staff_helpers import Staff, keyed
from webapp import clock
from webapp.extensions import db
from webapp.models import Service, SyncOrigin

pytestmark = pytest.mark.browser
ROOT = Path(__file__).parent.parent
SHOTS = ROOT / "instance" / "screenshots"


@pytest.fixture
def people(app: Flask) -> dict[str, Staff]:
    app.config["HAVEN_PASSPHRASE_KDF"] = "interactive"
    return {**keyed(app), **editors(app)}


def no_overflow(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_editing_on_a_phone_reaches_public_and_offline_pages(
        app: Flask, people: dict[str, Staff], phones: Any, live_server: str) -> None:
    sid = service_of(app, FRESNO, "Legal")
    public = phones("ar").new_page()
    public.goto(f"{live_server}/ar/")
    wait_js(public, "!!navigator.serviceWorker.controller && "
                    "navigator.serviceWorker.controller.state === 'activated'")
    wait_js(public, "document.documentElement.getAttribute('data-offline-ready') === 'ar'")
    public.goto(f"{live_server}/ar/offline/search")
    bundle = public.get_attribute("[data-offline=search]", "data-bundle")
    etag = public.evaluate("u => caches.open('haven-data').then(c => c.match(u))"
                           ".then(r => r && r.headers.get('ETag'))", bundle)

    en = phones("en").new_page()
    sign_in_page(en, live_server, people["editor"])
    en.goto(f"{live_server}/staff/directory?q=Legal")
    no_overflow(en)
    en.click(f"a[href='/staff/directory/{sid}']")
    en.fill("#phone", "(555) 555-0177")
    en.click("form.listing-form button[type=submit]")
    assert en.locator("p.ok[role=status]").is_visible()
    assert en.input_value("#phone") == "(555) 555-0177"

    ar = phones("ar").new_page()
    sign_in_page(ar, live_server, people["admin"])
    ar.goto(f"{live_server}/staff/directory/{sid}/translations/ar")
    assert ar.get_attribute("html", "dir") == "rtl"
    assert ar.get_attribute("form.listing-form", "dir") == "rtl"
    ar.fill("#name", "عيادة ريفرسايد القانونية")
    ar.check("#reviewed")
    no_overflow(ar)
    SHOTS.mkdir(parents=True, exist_ok=True)
    ar.screenshot(path=str(SHOTS / "editor-translation-ar.png"), full_page=True)
    ar.click("form.listing-form button[type=submit]")
    assert ar.locator("p.ok[role=status]").is_visible()
    ar.screenshot(path=str(SHOTS / "editor-listing-ar.png"), full_page=True)
    no_overflow(ar)

    public.goto(f"{live_server}/ar/services/{sid}")
    text = public.locator("main").inner_text()
    assert "عيادة ريفرسايد القانونية" in text and "0177" in text
    # Online, the offline bundle refreshes; then with the network off the search finds it.
    public.evaluate("u => fetch(u)", bundle)
    wait_js(public, f"caches.open('haven-data').then(c => c.match('{bundle}'))"
                    f".then(r => !!r && r.headers.get('ETag') !== {etag!r})")
    public.context.set_offline(True)
    public.goto(f"{live_server}/ar/search?q=ريفرسايد")
    public.wait_for_selector("[data-offline=search][data-ready='1']")
    results = public.locator("#offline-results").inner_text()
    assert "عيادة ريفرسايد القانونية" in results
    public.goto(f"{live_server}/ar/services/{sid}")  # the page kept when it was seen above
    assert "0177" in public.locator("main").inner_text()
    public.context.set_offline(False)


def test_stale_save_revert_and_partner_limits(app: Flask, people: dict[str, Staff], phones: Any,
                                              live_server: str) -> None:
    sid = service_of(app, FRESNO, "Legal")
    first, second = phones("en").new_page(), phones("ar").new_page()
    sign_in_page(first, live_server, people["editor"])
    sign_in_page(second, live_server, people["admin"])
    first.goto(f"{live_server}/staff/directory/{sid}")
    second.goto(f"{live_server}/staff/directory/{sid}")
    old = first.input_value("#phone")
    first.fill("#phone", "(555) 555-0151")
    first.click("form.listing-form button[type=submit]")
    second.fill("#phone", "(555) 555-0152")
    second.fill("#description", "وصف جديد كتبته بعناية")
    second.click("form.listing-form button[type=submit]")
    assert second.locator(".conflict[role=alert]").is_visible()
    assert second.input_value("#phone") == "(555) 555-0152"  # their input is kept
    assert second.input_value("#description") == "وصف جديد كتبته بعناية"
    assert "555-0151" in second.locator(".conflict").inner_text()
    no_overflow(second)
    second.screenshot(path=str(SHOTS / "editor-conflict-ar.png"), full_page=True)

    first.goto(f"{live_server}/staff/directory/{sid}/history")
    first.locator("ol.history li").first.locator("button").click()
    assert first.locator("p.ok[role=status]").is_visible()
    first.goto(f"{live_server}/staff/directory/{sid}")
    assert first.input_value("#phone") == old

    partner = phones("en").new_page()
    sign_in_page(partner, live_server, people["org-editor"])
    other = service_of(app, OAKLAND, "Safe Haven")
    resp = partner.goto(f"{live_server}/staff/directory/{other}")
    assert resp is not None and resp.status == 403
    assert "151 Example Street" not in partner.content()
    partner.goto(f"{live_server}/staff/directory?q=Safe")
    assert "Oakland" not in partner.locator("main").inner_text()
    own = service_of(app, FRESNO, "Safe Haven")
    partner.goto(f"{live_server}/staff/directory/{own}")
    assert partner.input_value("#address") == "141 Example Street"
    assert partner.is_checked("#confidential")
    resp = partner.goto(f"{live_server}/staff/")
    assert resp is not None and resp.status == 403


def test_a_sync_conflict_on_a_phone_in_arabic_names_the_field_and_both_values(
        app: Flask, people: dict[str, Staff], phones: Any, live_server: str) -> None:
    """A mirrored listing whose name changed here and at its source: the card says which
    field in the staff member's language, the value kept here, then the source's."""
    sid = service_of(app, FRESNO, "Legal")
    with app.app_context():
        svc = db.session.get(Service, sid)
        assert svc is not None
        here = svc.name
        db.session.add(SyncOrigin(
            service_id=sid, source="https://directory.example.org/api/hsds",
            fetched_at=clock.now(), upstream_hash="0" * 64, upstream_fields="{}",
            local_fields="{}", conflict_at=clock.now(), conflicts=json.dumps(
                {"name": {"upstream": "Renamed upstream"}, "x_note": {"upstream": [1, 2]},
                 "phones": {"upstream": [{"id": "p1", "number": "(559) 555-0199"}]},
                 "schedules": {"upstream": [{"id": "s1", "byday": "MO,TU", "opens_at": "09:00",
                                             "closes_at": "17:00"}]}})))
        db.session.commit()
    arabic = Translations.load(str(ROOT / "translations"), ["ar"])
    ar = phones("ar").new_page()
    sign_in_page(ar, live_server, people["admin"])
    ar.goto(f"{live_server}/staff/directory/{sid}")
    card = ar.locator(".sync-conflict")
    # by HSDS property name: name, phones, schedules, x_note (no label: its own name)
    assert card.locator("h3").all_inner_texts() == [
        arabic.gettext("Name"), arabic.gettext("Phone"), arabic.gettext("Opening hours"),
        "x_note"]
    assert card.locator("dt").all_inner_texts()[:2] == [arabic.gettext("In this directory"),
                                                        arabic.gettext("Source")]
    values = card.locator("dd").all_inner_texts()
    assert values[:2] == [here, "Renamed upstream"]
    assert values[3] == "(559) 555-0199"  # the number, not the record with its id
    assert values[5] == "MO,TU 09:00–17:00"
    assert values[6:] == ["—", "[1, 2]"]
    # Still accurate comes after the card whose last line tells what it does.
    assert ar.evaluate("""() => !!(document.querySelector('.sync-conflict').compareDocumentPosition(
        document.querySelector('form[action$="/verify"] button')) & 4)""")
    no_overflow(ar)
    SHOTS.mkdir(parents=True, exist_ok=True)
    card.scroll_into_view_if_needed()
    ar.screenshot(path=str(SHOTS / "sync-conflict-ar.png"), full_page=True)
    # The queue: the listing in conflict leads it, its numbers labelled in Arabic.
    ar.goto(f"{live_server}/staff/directory/verify")
    first = ar.locator(".verify-rows > li").first
    assert first.locator(".sync-conflict").count() == 1
    labels = first.locator(".call > span").all_inner_texts()
    assert labels and set(labels) <= {arabic.gettext("Call"), arabic.gettext("Text"),
                                      arabic.gettext("WhatsApp")}
    no_overflow(ar)
    ar.screenshot(path=str(SHOTS / "verify-queue-ar.png"))
