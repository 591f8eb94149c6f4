"""The contract between the offline bundle and the phone's search: the phone reads a record's
fields by the names the server ships and ranks with the server's numbers, and a phone holding
a bundle from before the contract is refreshed, or told its copy is out of date."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests.pages import ready
from webapp.config import ROOT
from webapp.extensions import db
from webapp.models import Service
from webapp.models.coalition import SPACE_FRESH
from webapp.pwa import bundle, contract
from webapp.search import search, search_sql

SEARCH_JS = (ROOT / "static" / "js" / "search.js").read_text("utf-8")
# Partly typed words whose prefix matches compete with typo matches in the seeded directory.
PARTIAL = ["dome", "fres", "crim", "char", "cana", "fore"]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page with no service worker, so the bundle it fetches is the one the test serves."""
    ctx = browser.new_context(service_workers="block")
    yield ctx.new_page()
    ctx.close()


def server_ids(app: Flask, q: str) -> tuple[list[str], list[str]]:
    """(in-memory index, SQL) ids for a query, as the online search page asks."""
    with app.test_request_context():
        p = search.parse(MultiDict({"q": q, "per_page": "50"}))
        home = app.config["HAVEN_COUNTRY"]
        return search.search(p, home_country=home).ids, search_sql.search(p, home_country=home).ids


def offline_ids(app: Flask, page: Any, live_server: str, queries: list[str]) -> list[list[str]]:
    """The phone's answers to the queries from a bundle built now, with the server's numbers
    as they are now."""
    with app.test_request_context():
        body = bundle.encode(bundle.build("en", app.config["HAVEN_COUNTRY"]))
    page.unroute("**/offline/directory.json")
    page.route("**/offline/directory.json",
               lambda route: route.fulfill(body=body, content_type="application/json"))
    page.goto(f"{live_server}/en/offline/search")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    return page.evaluate("""async (queries) => {
        const dir = await HavenOffline.directory(document.querySelector('[data-bundle]')
                                                 .getAttribute('data-bundle'));
        return queries.map(q => dir.search(HavenOffline.paramsFrom(
            '?per_page=50&q=' + encodeURIComponent(q))).ids);
    }""", queries)


@pytest.mark.browser
def test_a_ranking_factor_changed_on_the_server_reorders_the_phone_alike(
        app: Flask, page: Any, live_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a prefix match worth less than a typo, the server and the phone both put the
    typo matches first: the phone takes the factor from the bundle."""
    before = [server_ids(app, q) for q in PARTIAL]
    assert offline_ids(app, page, live_server, PARTIAL) == [mem for mem, _sql in before]
    monkeypatch.setattr(search, "F_PREFIX", 0.2)
    after = [server_ids(app, q) for q in PARTIAL]
    assert all(mem == sql for mem, sql in after)  # both server engines read the one constant
    changed = [q for q, (old, new) in zip(PARTIAL, zip(before, after, strict=True), strict=True)
               if old[0] != new[0]]
    assert len(changed) >= 3, changed  # the change reorders results: the comparison is not vacuous
    assert offline_ids(app, page, live_server, PARTIAL) == [mem for mem, _sql in after]


@pytest.mark.browser
def test_a_phone_with_a_bundle_from_before_the_contract(app: Flask, browser: Any,
                                                        live_server: str) -> None:
    """Its saved copy lacks the contract: offline, the page says the copy is out of date (not
    a blank page); online, the phone fetches today's copy, shows the server's results and
    keeps that copy, so the next search without a connection works."""
    with app.app_context():
        sid = db.session.scalar(select(Service.id).where(Service.is_demo.is_(True))
                                .order_by(Service.id).limit(1))
    want = server_ids(app, "shelter")[0][:20]
    ctx = browser.new_context(service_workers="allow")
    try:
        page = ctx.new_page()
        ready(page, live_server, "en")
        old = json.loads(app.test_client().get("/en/offline/directory.json").data)
        del old["contract"]  # the copy an older Haven saved
        # Put straight into the worker's store: a fetch through the worker would refresh it.
        page.evaluate("""async (old) => {
            const kept = await caches.open('haven-data');
            await kept.put('/en/offline/directory.json', new Response(
                old, {headers: {'Content-Type': 'application/json'}}));
        }""", json.dumps(old))
        ctx.set_offline(True)
        page.goto(f"{live_server}/en/search?q=shelter")
        page.wait_for_selector("[data-offline=search][data-ready]")
        shell = page.locator("[data-offline=search]")
        assert shell.get_attribute("data-ready") == "unreadable"
        assert page.inner_text("#offline-results") == shell.get_attribute("data-t-unreadable")
        page.goto(f"{live_server}/en/services/{sid}")
        page.wait_for_selector("[data-offline=service][data-ready]")
        assert page.inner_text("#svc-desc") == page.get_attribute("[data-offline=service]",
                                                                   "data-t-unreadable")

        ctx.set_offline(False)
        page.goto(f"{live_server}/en/offline/search?q=shelter")
        page.wait_for_selector("[data-offline=search][data-ready]")
        assert shell.get_attribute("data-ready") == "1"
        assert shown_ids(page) == want
        ctx.set_offline(True)
        page.goto(f"{live_server}/en/search?q=shelter")
        page.wait_for_selector("[data-offline=search][data-ready]")
        assert shell.get_attribute("data-ready") == "1"
        assert shown_ids(page) == want
        kept = page.evaluate("""async () => (await (await caches.open('haven-data'))
            .match('/en/offline/directory.json')).json()""")
        assert kept["contract"]["fields"] == list(contract.FIELDS)
    finally:
        ctx.close()


def shown_ids(page: Any) -> list[str]:
    """The listings the offline results page links to, in order."""
    return [href.rsplit("/", 1)[1] for href in page.eval_on_selector_all(
        "#offline-results li.card h2 a", "links => links.map(a => a.getAttribute('href'))")]


def test_the_bundle_names_what_each_record_holds(app: Flask, client: Any) -> None:
    """Read by the names the bundle ships, each record's flags say what the database says,
    and the contract carries the server's ranking numbers and limits."""
    body = json.loads(client.get("/en/offline/directory.json").data)
    shipped = body["contract"]
    at = {name: i for i, name in enumerate(shipped["fields"])}
    flags = shipped["flags"]
    with app.app_context():
        stored = {s.id: s for s in db.session.scalars(select(Service))}
    assert body["s"]
    for record in body["s"]:
        assert len(record) == len(shipped["fields"])
        s = stored[record[at["id"]]]
        assert bool(record[at["flags"]] & flags["free"]) == bool(s.free)
        assert bool(record[at["flags"]] & flags["always_open"]) == bool(s.always_open)
        assert bool(record[at["flags"]] & flags["demo"]) == bool(s.is_demo)
    assert (shipped["ranking"]["prefix"], shipped["ranking"]["typo1"],
            shipped["ranking"]["typo2"]) == (search.F_PREFIX, search.F_TYPO1, search.F_TYPO2)
    assert shipped["limits"]["max_per_page"] == search.MAX_PER_PAGE
    assert shipped["limits"]["radius_km"] == search.DEFAULT_RADIUS_KM
    assert shipped["freshness"]["space_seconds"] == SPACE_FRESH.total_seconds()


def test_search_js_repeats_no_position_or_number() -> None:
    """search.js reads records by name and takes ranking factors, windows and limits from the
    bundle: no record or part of one read by position (a point stays [latitude, longitude])
    and none of the server's numbers written in it."""
    assert not re.findall(r"\b(?:s|S\[\w+\]|ph|sp|pl|wm|x|slots)\[\d+\]", SEARCH_JS)
    assert not re.findall(r"(?<![\w.])(?:0\.7|0\.6|0\.45|48|50|100|365|190|12|8)(?![\w.])",
                          SEARCH_JS)
    assert '"cat:"' not in SEARCH_JS and '"name:"' not in SEARCH_JS


def test_search_js_reads_only_names_the_contract_declares() -> None:
    """Every field, part, flag and number search.js reads by name is one the server ships."""
    shipped = contract.shipped()
    tables = {"F": set(shipped["fields"]), "FLAG": set(shipped["flags"]),
              "R": set(shipped["ranking"]), "K": set(shipped["keys"]),
              "L": set(shipped["limits"]), "FRESH": set(shipped["freshness"])}
    read = 0
    for table, name in re.findall(r"\b(F|FLAG|R|K|L|FRESH)\.(\w+)", SEARCH_JS):
        assert name in tables[table], f"{table}.{name}"
        read += 1
    for group, name in re.findall(r"\bP\.(\w+)\.(\w+)", SEARCH_JS):
        assert name in shipped["parts"][group], f"P.{group}.{name}"
        read += 1
    assert read > 50
