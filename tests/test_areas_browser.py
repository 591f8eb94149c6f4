"""Offline by area on a phone (Chromium, 360 px, Arabic): the areas a person searched in or
chose are kept, searched together offline with the server's ranking, and kept current with
only what changed; a new epoch or a gap brings an area whole again."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from babel.support import Translations
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests.pages import ready, wait_js
from webapp.editor import services, snapshot
from webapp.extensions import db
from webapp.models import SearchChange, Service, StaffUser
from webapp.pwa import areas, partition
from webapp.search import changelog, search
from webapp.staff import auth

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "instance" / "screenshots"
CACHED = """caches.open('haven-data').then(c => c.keys()).then(ks => ks.map(
    k => new URL(k.url).pathname + new URL(k.url).search))"""


@pytest.fixture
def by_area(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The seeded directory kept by area, in areas of at most 20 services (the 76
    Californian listings split by a grid: Fresno, Los Angeles and San Diego apart)."""
    app.config["HAVEN_OFFLINE_AREAS"] = "on"
    monkeypatch.setattr(partition, "MOST", 20)
    monkeypatch.setattr(areas, "_held", {})
    return app


def members(app: Flask, town: str) -> tuple[str, set[str]]:
    with app.test_request_context():
        held = areas.current()
        town_area = areas.index("en", {}, 0)["towns"][town][0]
        return town_area, set(held.members[town_area])


def server_ids(app: Flask, q: str, within: set[str]) -> list[str]:
    """The server's ranking of a search, restricted to the services a phone keeps."""
    with app.test_request_context():
        res = search.search(search.parse(MultiDict({"q": q, "per_page": "100"})),
                            home_country=app.config["HAVEN_COUNTRY"])
        return [i for i in res.ids if i in within]


def shown_ids(page: Any) -> list[str]:
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    hrefs = page.locator("#offline-results li.card h2 a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    return [h.rsplit("/", 1)[1] for h in hrefs]


def kept_file(page: Any, area: str) -> Any:
    return page.evaluate(f"""caches.open('haven-data').then(c => c.match(
        '/ar/offline/areas/{area}.json')).then(r => r.json())""")


def as_held(file: dict[str, Any]) -> dict[str, list[Any]]:
    """Records by id, tokens as (token, class) pairs: what two copies must agree on."""
    from webapp.pwa import contract

    at = contract.POSITION
    out = {}
    for r in file["s"]:
        r = list(r)
        t = r[at["tokens"]]
        r[at["tokens"]] = sorted((file["tok"][t[i]], t[i + 1]) for i in range(0, len(t), 2))
        out[r[at["id"]]] = r
    return out


def edit(app: Flask, sid: str, **changes: Any) -> str:
    with app.test_request_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == "areas"))
        if user is None:
            auth.create_user("areas", "a-long-enough-password", "editor")
            user = db.session.scalar(select(StaffUser).where(StaffUser.username == "areas"))
        assert user is not None
        svc = db.session.get(Service, sid) if sid else None
        base = snapshot.of(svc) if svc is not None else {}
        out = services.save(sid or None, {**base, **changes}, svc.revision if svc else None,
                            user, app.config["HSDS_SCHEMA_DIR"])
        assert out.ok, out
        db.session.commit()
        assert out.service_id
        return out.service_id


def retire(app: Flask, sid: str) -> None:
    with app.test_request_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == "areas"))
        svc = db.session.get(Service, sid)
        assert svc is not None and user is not None
        assert services.retire(sid, svc.revision, user).ok
        db.session.commit()


def test_a_phone_keeps_the_areas_it_searched_and_chose_and_only_their_changes(
        by_area: Flask, phones: Any, live_server: str) -> None:
    app = by_area
    fresno, in_fresno = members(app, "fresno")
    la, in_la = members(app, "los angeles")
    with app.test_request_context():
        national = set(areas.current().members["us-all"])  # kept with any US area
    ctx = phones("ar", bypass_csp=True)
    page = ctx.new_page()
    ready(page, live_server, "ar")
    cached = page.evaluate(CACHED)
    assert "/ar/offline/areas.json" in cached  # the list of areas, not the whole directory
    assert "/ar/offline/directory.json" not in cached

    # Nothing kept yet: offline, the search page says so and offers the areas.
    ctx.set_offline(True)
    page.goto(f"{live_server}/ar/search?q=shelter")
    page.wait_for_selector("[data-offline=search][data-ready='no-area']")
    assert page.locator("#areas-none").is_visible()
    ctx.set_offline(False)

    # An online search near Fresno keeps Fresno's area, and only it.
    page.goto(f"{live_server}/ar/search?q=shelter&near=Fresno")
    wait_js(page, "document.documentElement.getAttribute('data-area-kept')")
    assert page.get_attribute("html", "data-area-kept") == f"/ar/offline/areas/{fresno}.json"
    assert sorted(p for p in page.evaluate(CACHED) if "/offline/areas/" in p) == sorted([
        f"/ar/offline/areas/{fresno}.json", "/ar/offline/areas/us-all.json"])
    ctx.set_offline(True)
    # The same search again offline: the offline page, not a copy of the online one.
    page.goto(f"{live_server}/ar/search?q=shelter&near=Fresno")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    page.goto(f"{live_server}/ar/search?q=shelter&per_page=100")
    assert shown_ids(page) == server_ids(app, "shelter", in_fresno | national)
    assert shown_ids(page), "Fresno has shelters"
    assert page.locator("#areas-covered").is_visible()
    ctx.set_offline(False)

    # The picker adds Los Angeles: both are searched offline, in the server's order.
    page.goto(f"{live_server}/ar/offline/search?q=clinic")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    page.evaluate("document.getElementById('areas').open = true")
    page.select_option("#area-add", la)
    page.click("#area-keep")
    page.wait_for_selector("#areas-kept li:nth-child(3)")
    arabic = Translations.load(str(SHOTS.parent.parent / "translations"), ["ar"])
    said = page.inner_text("#areas-msg")
    assert said.startswith(arabic.gettext("Kept on this phone: %(area)s").split("%")[0]), said
    assert page.locator("#areas").get_attribute("open") is not None
    ctx.set_offline(True)
    for q in ("clinic", "shelter", "legal", "عيادة"):
        page.goto(f"{live_server}/ar/search?q={q}&per_page=100")
        assert shown_ids(page) == server_ids(app, q, in_fresno | in_la | national), q
    ctx.set_offline(False)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server}/ar/offline/search?q=shelter")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    page.evaluate("document.getElementById('areas').open = true")
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    page.screenshot(path=str(SHOTS / "areas-ar.png"), full_page=True)

    # Changes in Fresno: an edit, a retirement, a new listing. The next visit online asks
    # each kept area for what changed since its version, and gets only that.
    fresno_ids = sorted(in_fresno)
    edited = edit(app, fresno_ids[0], name="Quillwort Refuge")
    retire(app, fresno_ids[1])
    added = edit(app, "", **{**_snapshot(app, fresno_ids[2]), "name": "Ottervale Clinic"})
    asked: list[tuple[str, int]] = []
    page.on("response", lambda r: asked.append((r.url, len(r.body())))
            if "since=" in r.url else None)
    page.goto(f"{live_server}/ar/offline/search?q=quillwort")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    assert len(asked) == 3  # one per kept area
    for url, size in asked:
        assert size <= (5000 if la in url else 5000 + 3 * 1500), (url, size)
    assert shown_ids(page)[:1] == [edited]
    fresh = app.test_client().get(f"/ar/offline/areas/{fresno}.json").json
    assert as_held(kept_file(page, fresno)) == as_held(fresh)  # as a fresh download
    ctx.set_offline(True)
    page.goto(f"{live_server}/ar/search?q=ottervale&per_page=100")
    assert shown_ids(page)[:1] == [added]
    page.goto(f"{live_server}/ar/services/{fresno_ids[1]}")
    page.wait_for_selector("#svc-desc")
    wait_js(page, "document.getElementById('svc-desc').textContent.length > 0")
    assert page.inner_text("#svc-desc") == arabic.gettext(
        "This listing is not in the copy saved on this phone.")
    page.wait_for_selector("[data-offline=service][data-ready='missing']")
    assert page.locator("#svc-hours").is_hidden() and page.locator("#svc-facts").is_hidden()
    assert page.get_attribute("[data-offline=service] > p:last-child a", "href") == "/ar/hotlines"
    ctx.set_offline(False)

    # A gap in the change log, then a new epoch: the whole area comes again.
    version = kept_file(page, fresno)["v"]
    edit(app, edited, name="Quillwort Hall")
    edit(app, edited, name="Quillwort House")
    with app.app_context():
        seq = int(version.rpartition(":")[2])
        db.session.execute(SearchChange.__table__.delete().where(SearchChange.seq == seq + 1))
        db.session.commit()
    page.goto(f"{live_server}/ar/offline/search?q=quillwort")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    assert as_held(kept_file(page, fresno)) == as_held(
        app.test_client().get(f"/ar/offline/areas/{fresno}.json").json)
    with app.app_context():
        changelog.new_epoch()
        db.session.commit()
    page.goto(f"{live_server}/ar/offline/search?q=quillwort")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    with app.app_context():
        epoch = changelog.state()[0]
    assert kept_file(page, fresno)["v"].startswith(epoch + ":")
    assert json.dumps(kept_file(page, fresno)).count("Quillwort House") == 1


def _snapshot(app: Flask, sid: str) -> dict[str, Any]:
    with app.app_context():
        return dict(snapshot.of(db.session.get(Service, sid)))


def test_offline_a_town_not_kept_and_a_kind_not_close_are_told_apart_from_a_misspelling(
        by_area: Flask, phones: Any, live_server: str) -> None:
    """Offline, with only Fresno's area kept: a town the area list knows but the phone does
    not keep is said to be not kept (nothing from elsewhere, a hotline offered, the picker
    open); a place with no shelter within 50 km gets the nearest kept ones further away,
    nearest first with their distance, as the server ranks them; a misspelled place still
    gets the spelling notice."""
    app = by_area
    fresno, in_fresno = members(app, "fresno")
    with app.test_request_context():
        national = set(areas.current().members["us-all"])
    arabic = Translations.load(str(SHOTS.parent.parent / "translations"), ["ar"])
    ctx = phones("ar", bypass_csp=True)
    page = ctx.new_page()
    ready(page, live_server, "ar")
    page.goto(f"{live_server}/ar/search?q=shelter&near=Fresno")
    wait_js(page, "document.documentElement.getAttribute('data-area-kept')")
    # Every page's footer leads to the areas kept, the picker open.
    page.goto(f"{live_server}/ar/")
    page.click(f"footer a:text-is('{arabic.gettext('Areas kept on this phone')}')")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    assert page.locator("#areas").get_attribute("open") is not None
    assert page.locator("#areas-kept li").count() == 2  # Fresno's area and the national lines
    assert page.inner_text("h1") == arabic.gettext("Areas kept on this phone")
    ctx.set_offline(True)

    page.goto(f"{live_server}/ar/search?category=shelter&near=Los%20Angeles")
    page.wait_for_selector("[data-offline=search][data-ready='not-kept']")
    assert page.inner_text("#unknown-place") == arabic.gettext(
        "“%(place)s” is not kept on this phone. Search for it again when you are connected, "
        "and it will be kept.") % {"place": "\u2068Los Angeles\u2069"}
    assert page.locator("#offline-results li.card").count() == 0
    assert page.get_attribute("#offline-results a", "href") == "/ar/hotlines"
    assert page.locator("#areas").get_attribute("open") is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= 361
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "offline-not-kept-ar.png"), full_page=True)

    sierra = "37.5,-119.0"  # no shelter within 50 km; Fresno's are about 110 km away
    page.goto(f"{live_server}/ar/search?category=shelter&near={sierra}&per_page=100")
    shown = shown_ids(page)
    with app.test_request_context():
        args = MultiDict({"category": "shelter", "near": sierra, "per_page": "100"})
        res, widened = search.search_or_wider(search.parse(args),
                                              home_country=app.config["HAVEN_COUNTRY"])
    assert widened == 50
    assert shown and shown == [i for i in res.ids if i in in_fresno | national]
    assert page.inner_text("#unknown-place") == arabic.gettext(
        "Nothing of this kind within %(km)s km of “%(place)s”. These are the nearest, further "
        "away.") % {"km": "50", "place": f"\u2068{sierra}\u2069"}
    first = page.inner_text("#offline-results li.card .meta")
    away = re.search(r"\d+(?:\.\d)?", first.rsplit("·", 1)[-1])
    assert away, first
    km = float(away.group())
    assert abs(km - res.distances[shown[0]]) < 2, (first, res.distances[shown[0]])
    page.screenshot(path=str(SHOTS / "offline-nearest-further-ar.png"))

    # 911 and the national hotline have no place: near any town they come first, as online.
    page.goto(f"{live_server}/ar/search?category=emergency&category=hotline&near=Fresno"
              "&per_page=100")
    shown = shown_ids(page)
    with app.test_request_context():
        args = MultiDict([("category", "emergency"), ("category", "hotline"),
                          ("near", "Fresno"), ("per_page", "100")])
        res = search.search(search.parse(args), home_country=app.config["HAVEN_COUNTRY"])
    assert shown == [i for i in res.ids if i in in_fresno | national]
    dials = page.locator("#offline-results li.card a[href^='tel:']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    assert dials[:2] == ["tel:911", "tel:18883737888"], dials

    page.goto(f"{live_server}/ar/search?category=shelter&near=Frsnoqq")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    assert page.inner_text("#unknown-place") == arabic.gettext(
        "We could not find “%(place)s”, so these results are from every place. Try a nearby "
        "town or a postcode.") % {"place": "\u2068Frsnoqq\u2069"}
