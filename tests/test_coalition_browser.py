"""The coalition on a phone, in real Chromium: hub staff refer a tip to a
shelter, the shelter accepts, the hub sees it, another member gets 403; a shelter sets "full"
through its private link and the public page, the API and the offline copy show it; a revoked
link is gone; every coalition page fits a 360 px screen in en/ar/fa/ti."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from tests.coalition_helpers import (
    FRESNO_SHELTER,
    SHELTER_PASS,
    Coalition,
    coalition,
    refer,
    referral_id,
    signed_in,
)
from tests.pages import sign_in_page, wait_js
from tests.staff_helpers import PASSPHRASE, csrf
from tests.tips_helpers import jpeg, send_tip
from webapp.extensions import db
from webapp.models import Referral, SpaceLink, Tip

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).parent.parent / "instance" / "screenshots"


@pytest.fixture
def members(app: Flask) -> Coalition:
    app.config["SESSION_COOKIE_SECURE"] = False  # plain http on the loopback test server
    return coalition(app)


def no_overflow(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 361, (page.url, width)


def _tip(app: Flask) -> str:
    resp = send_tip(app.test_client(), what="Workers sleep in the packing shed",
                    people="Four men, one speaks only Tigrinya", contact="via the church",
                    photos=[(jpeg(), "a.jpg")])
    assert resp.status_code == 201
    with app.app_context():
        return str(db.session.scalar(select(Tip.id)))


def test_hub_refers_shelter_accepts_hub_sees_it(app: Flask, members: Coalition, phones: Any,
                                                live_server: str) -> None:
    tip_id = _tip(app)
    hub = phones("en").new_page()
    sign_in_page(hub, live_server, members.staff["hub"], PASSPHRASE)
    hub.goto(f"{live_server}/staff/tips/{tip_id}")
    hub.click(f"a[href='/staff/tips/{tip_id}/refer']")
    hub.select_option("#partner", "fresno-shelter")
    hub.check("input[name=fields][value=what]")
    hub.check("input[name=fields][value=people]")
    hub.fill("#reason", "Four men need a safe place tonight")
    hub.check("input[name=consent][value=agreed]")
    no_overflow(hub)
    hub.click("form.tip-form button[type=submit]")
    assert re.search(r"/staff/referrals/[0-9a-f]{32}$", hub.url)
    assert hub.get_attribute("#referral-status", "data-status") == "sent"
    rid = hub.url.rsplit("/", 1)[1]

    shelter = phones("ar").new_page()
    sign_in_page(shelter, live_server, members.staff["shelter"], SHELTER_PASS)
    shelter.goto(f"{live_server}/staff/referrals")
    assert shelter.get_attribute("html", "dir") == "rtl"
    shelter.click(f"#received a[href='/staff/referrals/{rid}']")
    text = shelter.locator("main").inner_text()
    assert "Workers sleep in the packing shed" in text and "Tigrinya" in text
    assert "via the church" not in text  # not referred
    no_overflow(shelter)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shelter.screenshot(path=str(SHOTS / "referral-ar.png"), full_page=True)
    shelter.click("button[name=status][value=accepted]")
    # The tap only asks: the status stays until the shelter confirms on the next page.
    assert shelter.get_attribute("#referral-status", "data-status") == "sent"
    assert shelter.get_attribute("html", "dir") == "rtl"
    no_overflow(shelter)
    shelter.click("#confirm-move button[type=submit]")
    assert shelter.get_attribute("#referral-status", "data-status") == "accepted"

    hub.goto(f"{live_server}/staff/tips/{tip_id}")
    assert hub.get_attribute("#tip-referrals [data-status]", "data-status") == "accepted"
    hub.goto(f"{live_server}/staff/referrals/{rid}")
    assert hub.get_attribute("#referral-status", "data-status") == "accepted"

    police = phones("ar").new_page()
    sign_in_page(police, live_server, members.staff["police"])
    resp = police.goto(f"{live_server}/staff/tips/{tip_id}")
    assert resp is not None and resp.status == 403
    resp = police.goto(f"{live_server}/staff/referrals/{rid}")
    assert resp is not None and resp.status == 403


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_photos_box_sits_with_its_words_and_a_tap_on_them_ticks_it(
        app: Flask, members: Coalition, phones: Any, live_server: str, lang: str) -> None:
    tip_id = _tip(app)
    hub = phones(lang).new_page()
    sign_in_page(hub, live_server, members.staff["hub"], PASSPHRASE)
    hub.goto(f"{live_server}/staff/tips/{tip_id}/refer")
    box = hub.locator("input[name=photos]")
    words = hub.locator(f"label[for='{box.get_attribute('id')}'] span")
    b, w = box.bounding_box(), words.bounding_box()
    assert b and w
    # On one line: the box's middle is within the words' line, and nothing sits between them.
    assert w["y"] <= b["y"] + b["height"] / 2 <= w["y"] + w["height"], (b, w)
    gap = w["x"] - (b["x"] + b["width"]) if lang == "en" else b["x"] - (w["x"] + w["width"])
    assert 0 <= gap <= 24, (lang, b, w)
    assert not box.is_checked()
    words.click()
    assert box.is_checked()
    words.click()
    assert not box.is_checked()
    words.click()
    hub.select_option("#partner", "fresno-shelter")
    hub.check("input[name=fields][value=what]")
    hub.fill("#reason", "Photos of the shed")
    hub.check("input[name=consent][value=agreed]")
    no_overflow(hub)
    hub.click("form.tip-form button[type=submit]")
    assert re.search(r"/staff/referrals/[0-9a-f]{32}$", hub.url)
    with app.app_context():
        ref = db.session.get(Referral, hub.url.rsplit("/", 1)[1])
        assert ref is not None and ref.with_photos and len(ref.photos) == 1


def test_shelter_sets_full_by_private_link_on_a_phone(app: Flask, members: Coalition,
                                                      phones: Any, live_server: str) -> None:
    staff = signed_in(app, members.staff["shelter"])
    resp = staff.post(f"/staff/space/{FRESNO_SHELTER}/links",
                      data={"csrf_token": csrf(staff, "/staff/space"), "label": "night desk"})
    found = re.search(r"/staff/space/u/[A-Za-z0-9_-]+", resp.get_data(as_text=True))
    assert found
    link = found.group(0)

    desk = phones("ar").new_page()
    desk.goto(f"{live_server}{link}")
    assert desk.get_attribute("html", "dir") == "rtl"
    desk.check("input[name=populations][value=women]")
    desk.check("input[name=populations][value=minors]")
    no_overflow(desk)
    desk.click("button[name=status][value=full]")
    assert desk.locator("p.ok[role=status]").is_visible()
    assert desk.get_attribute("[data-space]", "data-space") == "full"
    SHOTS.mkdir(parents=True, exist_ok=True)
    desk.screenshot(path=str(SHOTS / "space-link-ar.png"), full_page=True)

    reader = phones("ar", service_workers="allow").new_page()
    reader.goto(f"{live_server}/ar/services/{FRESNO_SHELTER}")
    assert reader.get_attribute(".space-now", "data-space") == "full"
    no_overflow(reader)
    reader.screenshot(path=str(SHOTS / "space-public-ar.png"), full_page=True)
    api = reader.evaluate("u => fetch(u).then(r => r.json())",
                          f"{live_server}/api/hsds/services/{FRESNO_SHELTER}")
    assert api["haven_space"]["status"] == "full"
    assert api["haven_space"]["populations"] == ["women", "minors"]
    # The offline copy: the phone's own detail page, drawn from the bundle with no server page.
    wait_js(reader, "!!navigator.serviceWorker.controller && "
                    "navigator.serviceWorker.controller.state === 'activated'")
    wait_js(reader, "document.documentElement.getAttribute('data-offline-ready') === 'ar'")
    reader.context.set_offline(True)
    reader.goto(f"{live_server}/ar/offline/service?id={FRESNO_SHELTER}")
    reader.wait_for_selector("[data-offline=service][data-ready='1']")
    assert reader.get_attribute("#svc-space", "data-space") == "full"
    assert "141 Example Street" not in reader.content()
    no_overflow(reader)
    reader.screenshot(path=str(SHOTS / "space-offline-ar.png"), full_page=True)
    reader.context.set_offline(False)

    with app.app_context():
        link_id = db.session.scalar(select(SpaceLink.id))
    assert staff.post(f"/staff/space/links/{link_id}/revoke",
                      data={"csrf_token": csrf(staff, "/staff/space")}).status_code == 302
    gone = desk.goto(f"{live_server}{link}")
    assert gone is not None and gone.status == 404


@pytest.mark.parametrize("lang", ["en", "ar", "fa", "ti"])
def test_every_coalition_page_fits_a_phone(app: Flask, members: Coalition, phones: Any,
                                           live_server: str, lang: str) -> None:
    tip_id = _tip(app)
    hub_client = signed_in(app, members.staff["hub"], PASSPHRASE)
    rid = referral_id(refer(hub_client, tip_id, "fresno-shelter", ["what"], "agreed")
                      .headers["Location"])
    new = "/staff/space/requests/new"
    req = hub_client.post(new, data={"csrf_token": csrf(hub_client, new), "household": "single",
                                     "populations": ["women"], "urgency": "tonight"})
    assert req.status_code == 302
    req_url = req.headers["Location"]
    shelter_client = signed_in(app, members.staff["shelter"])
    made = shelter_client.post(f"/staff/space/{FRESNO_SHELTER}/links", data={
        "csrf_token": csrf(shelter_client, "/staff/space"), "label": "desk"})
    link = re.search(r"/staff/space/u/[A-Za-z0-9_-]+", made.get_data(as_text=True))
    assert link

    pages = {
        "hub": [f"/staff/tips/{tip_id}", f"/staff/tips/{tip_id}/refer", "/staff/referrals",
                f"/staff/referrals/{rid}", "/staff/space/requests", new, req_url,
                "/staff/coalition"],
        "shelter": ["/staff/space", f"/staff/referrals/{rid}", "/staff/space/requests",
                    req_url, link.group(0)],
    }
    wide = {}
    for who, paths in pages.items():
        page = phones(lang, extra_http_headers={"Accept-Language": lang}).new_page()
        sign_in_page(page, live_server, members.staff[who],
                PASSPHRASE if who == "hub" else SHELTER_PASS)
        for path in paths:
            resp = page.goto(f"{live_server}{path}")
            assert resp is not None and resp.status == 200, (path, resp and resp.status)
            if lang != "en":
                assert page.get_attribute("html", "lang") == lang
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 361:
                wide[f"{who}:{path}"] = width
        if lang == "ar":
            page.goto(f"{live_server}{req_url}")
            page.screenshot(path=str(SHOTS / f"space-request-{who}-ar.png"), full_page=True)
    assert not wide, wide
