"""Offline-first PWA in real Chromium: install, offline pages, offline search, tip queue."""

from __future__ import annotations

import datetime as dt
import http.server
import tempfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from werkzeug.datastructures import MultiDict

from tests.conftest import in_background
from tests.pages import ready, wait_js
from tests.search_vectors import VECTORS
from tests.staff_helpers import keyed
from webapp.extensions import db
from webapp.models import OrgKey, Service, Tip
from webapp.search import search

pytestmark = pytest.mark.browser
ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--no-first-run", "--disable-sync",
        "--disable-component-update"]


@pytest.fixture
def app(app: Flask) -> Flask:
    """The seeded app with a key (tips can be stored) and a neutral exit we fulfil."""
    app.config["HAVEN_PASSPHRASE_KDF"] = "interactive"
    app.config["HAVEN_EXIT_URL"] = "https://neutral.example/"
    keyed(app)
    return app


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser context with service workers allowed."""
    ctx = browser.new_context(service_workers="allow")
    ctx.route("https://neutral.example/**",
              lambda route: route.fulfill(status=200, body="<title>Weather</title>",
                                          content_type="text/html"))
    yield ctx
    ctx.close()


def test_installable_in_a_persistent_context(browser: Any, live_server: str) -> None:
    """Chromium reports no installability errors for the manifest and worker."""
    with tempfile.TemporaryDirectory() as profile:
        # The session's Playwright (a second sync_playwright() cannot run beside it).
        ctx = browser.browser_type.launch_persistent_context(
            profile, executable_path="/usr/bin/chromium", args=ARGS)
        page = ctx.new_page()
        ready(page, live_server, "en")
        cdp = ctx.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        manifest = cdp.send("Page.getAppManifest")
        ctx.close()
    assert errors == []
    assert manifest["errors"] == []


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_shell_page_reloads_offline(app: Flask, context: Any, live_server: str,
                                          lang: str) -> None:
    """With the network off, each saved page opens; search and detail come from the bundle."""
    page = context.new_page()
    ready(page, live_server, lang)
    with app.app_context():
        sid = db.session.scalar(select(Service.id).where(Service.is_demo.is_(True))
                                .order_by(Service.id).limit(1))
    context.set_offline(True)
    for path in ("/", "/signs", "/self-check", "/privacy", "/tip", "/offline", "/forget"):
        page.goto(f"{live_server}/{lang}{path}")
        assert page.get_attribute("html", "lang") == lang, path
        assert page.locator("main h1").count() == 1, path
    page.goto(f"{live_server}/{lang}/search?q=shelter")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    assert page.locator("#offline-results li.card").count() > 0
    page.goto(f"{live_server}/{lang}/services/{sid}")
    page.wait_for_selector("[data-offline=service][data-ready='1']")
    assert page.locator("#svc-phones a").count() > 0
    page.goto(f"{live_server}/{lang}/hotlines")  # never visited: the offline page says so
    assert page.locator("main h1").count() == 1
    context.set_offline(False)


def server_ids(app: Flask, q: str, params: dict[str, str], now: dt.datetime | None = None
               ) -> tuple[list[str], int]:
    with app.test_request_context():
        p = search.parse(MultiDict({"q": q, "per_page": "50", **params}))
        res = search.search(p, home_country=app.config["HAVEN_COUNTRY"], now=now)
        return res.ids, res.total


def test_shared_vectors_offline_in_the_browser(app: Flask, context: Any,
                                               live_server: str) -> None:
    """Each shared vector, searched offline on the phone, gives the server's ids and total."""
    page = context.new_page()
    ready(page, live_server, "en")
    context.set_offline(True)
    page.goto(f"{live_server}/en/offline/search")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    now = dt.datetime(2026, 11, 18, 18, 0, tzinfo=dt.UTC)
    cases = [(v["q"], v["params"]) for v in VECTORS] + [
        ("", {"category": "medical", "open_now": "1"}), ("clinic", {"open_now": "1"})]
    queries = [{"qs": "?" + "&".join(f"{k}={v}" for k, v in {"q": q, "per_page": "50",
                                                             **params}.items())}
               for q, params in cases]
    got = page.evaluate("""async ([queries, nowMs]) => {
        const dir = await HavenOffline.directory(document.querySelector('[data-bundle]')
                                                 .getAttribute('data-bundle'));
        return queries.map(x => { const t0 = performance.now();
            const r = dir.search(HavenOffline.paramsFrom(x.qs), new Date(nowMs));
            return {ids: r.ids, total: r.total, ms: performance.now() - t0}; });
    }""", [queries, now.timestamp() * 1000])
    context.set_offline(False)
    assert sum(1 for a in got if a["ids"]) > 0.8 * len(cases)  # the comparison is not vacuous
    for (q, params), answer in zip(cases, got, strict=True):
        want = server_ids(app, q, params, now)
        assert (answer["ids"], answer["total"]) == (want[0], want[1]), (q, params)


def write_offline(page: Any, context: Any, live_server: str, what: str) -> None:
    """Open the tip form once online (the shell is saved), then offline write and send a tip:
    the phone queues it."""
    ready(page, live_server, "en")
    page.goto(f"{live_server}/en/tip")
    context.set_offline(True)
    page.goto(f"{live_server}/en/tip")
    page.check("input[value=labour]")
    page.fill("textarea[name=what]", what)
    page.click("#tip-form button[type=submit]")


def test_a_queued_tip_the_server_cannot_take_says_it_is_not_sent(app: Flask, context: Any,
                                                                 live_server: str) -> None:
    """Written offline, then online on a server that answers 503 (here: its organisation
    key gone, so every try is refused the same way): the tip stays on the phone, and the
    page says it has not gone and to call a hotline if someone is in danger, instead of
    promising it will be sent."""
    page = context.new_page()
    write_offline(page, context, live_server, "UNSENT-SENTINEL seen at the docks")
    page.wait_for_selector("#tip-queue li.queued-queued")
    with app.app_context():
        db.session.execute(delete(OrgKey))
        db.session.commit()
    context.set_offline(False)
    page.wait_for_selector("#tip-queue li.queued-queued .queued-msg:has-text('Not sent yet')",
                           timeout=20000)
    assert page.inner_text("#tip-queue li.queued-queued .queued-msg") == (
        "Not sent yet: the server could not take it just now. It will try again. "
        "If someone is in danger, call a hotline now.")
    stored = page.evaluate("HavenQueue.all().then(a => a.map(i => [i.state, i.failed]))")
    assert stored == [["queued", 503]]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tip)) == 0


def test_tip_written_offline_is_stored_exactly_once(app: Flask, context: Any,
                                                    live_server: str) -> None:
    """Offline: kept on the phone. Online again: sent; reloads and double flushes store one."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    write_offline(page, context, live_server, "OFFLINE-SENTINEL seen at the docks")
    try:
        page.wait_for_selector("#tip-queued:not([hidden])", timeout=10000)
    except Exception as exc:
        raise AssertionError([errors, page.evaluate("navigator.onLine"), page.url,
                              page.evaluate("!!window.HavenTips"),
                              page.evaluate("HavenQueue.all().then(a => JSON.stringify(a))"
                                            ".catch(e => 'ERR ' + e)"),
                              page.evaluate("(() => { const f = document.getElementById("
                                            "'tip-form'); const out = []; new FormData(f)"
                                            ".forEach((v, k) => out.push(k)); return out; })()"),
                              page.evaluate("HavenQueue.add({key: 'x', action: 'a', fields: "
                                            "[['a','b']], photos: []}).then(() => 'ok', e => "
                                            "'ERR ' + e)")]) from exc
    page.wait_for_selector("#tip-queue li.queued-queued")
    page.reload()
    page.wait_for_selector("#tip-queue li.queued-queued")
    context.set_offline(False)
    # Back online, the same page (no reload) says "sent"; the digits wait for a tap.
    page.wait_for_selector("#tip-queue li.queued-sent", timeout=20000)
    before_tap = page.content()
    assert page.locator("#tip-queue .receipt-inline").count() == 0
    page.click("#tip-queue li.queued-sent button.show-receipt")
    assert "Sent. Your receipt number:" in page.inner_text("#tip-queue")
    shown = page.inner_text("#tip-queue .receipt-inline")
    receipt = shown.replace("\u00a0", "").replace(" ", "")
    assert len(receipt) == 16 and receipt.isdigit(), shown
    assert receipt not in before_tap and shown not in before_tap
    box = page.eval_on_selector("#tip-queue .receipt-inline",
                                "e => [e.getClientRects().length, e.getBoundingClientRect().width]")
    assert box[0] == 1, box  # one line, not 12 + 4
    assert page.is_hidden("#tip-queued")  # no longer "saved on this phone"
    # On screen, it is no longer kept on the phone: only this page holds it.
    assert receipt not in everything_stored(page)
    page.goto(f"{live_server}/en/signs")  # left, then Back (the back-forward cache included)
    page.go_back()
    assert urlsplit(page.url).path == "/en/tip"
    page.wait_for_load_state("networkidle")
    assert receipt not in page.content()
    page.evaluate("Promise.all([HavenTips.flush(), HavenTips.flush(), HavenQueue.flush()])")
    page.reload()
    page.evaluate("HavenTips.flush()")
    page.wait_for_timeout(500)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tip)) == 1
    # Left and opened again (by anyone who picks up the phone): no receipt anywhere.
    page.goto(f"{live_server}/en/")
    page.goto(f"{live_server}/en/tip")
    page.wait_for_load_state("networkidle")
    assert page.is_hidden("#tip-queue")
    assert receipt not in page.content() and receipt not in everything_stored(page)


def everything_stored(page: Any) -> str:
    """All this origin keeps on the phone, as text: IndexedDB, both storages, Cache Storage."""
    return page.evaluate("""async () => {
        const out = [JSON.stringify({...localStorage}), JSON.stringify({...sessionStorage})];
        for (const info of await indexedDB.databases()) {
            const d = await new Promise((ok, no) => { const r = indexedDB.open(info.name);
                r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
            for (const name of d.objectStoreNames) {
                out.push(JSON.stringify(await new Promise(ok => {
                    const r = d.transaction(name).objectStore(name).getAll();
                    r.onsuccess = () => ok(r.result); })));
            }
            d.close();
        }
        for (const k of await caches.keys()) {
            const c = await caches.open(k);
            for (const req of await c.keys()) {
                out.push(req.url + " " + await (await c.match(req)).text());
            }
        }
        return out.join("\\n");
    }""")


class _Weather(http.server.BaseHTTPRequestHandler):
    """A neutral site on its own origin."""

    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        body = b"<title>Weather</title><p>Sunny</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def neutral_site() -> Iterator[str]:
    """A real second origin for the exit. Playwright's interception (context.route) is
    unreliable for a redirect answered with Clear-Site-Data: Chromium sometimes sends
    that request to the network, which cannot resolve a made-up name."""
    server = http.server.ThreadingHTTPServer(("localhost", 0), _Weather)
    in_background(server)
    yield f"http://localhost:{server.server_port}/weather"
    server.shutdown()
    server.server_close()


def test_forget_this_device_leaves_nothing(app: Flask, context: Any, live_server: str,
                                           neutral_site: str) -> None:
    """One tap: no cache, no database, no worker; then the neutral site."""
    app.config["HAVEN_EXIT_URL"] = neutral_site
    page = context.new_page()
    ready(page, live_server, "en")
    page.evaluate("HavenQueue.add({key: 'k1', action: '/en/tip', fields: [], photos: []})")
    page.goto(f"{live_server}/en/search?q=zebracorn")  # a search the browser may have kept
    page.goto(f"{live_server}/en/forget")
    page.click("#forget-device")
    page.wait_for_url(neutral_site)
    assert page.title() == "Weather"
    context.set_offline(True)
    for path in ("/en/search?q=zebracorn", "/en/"):  # not even from the browser's own cache
        with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
            page.goto(f"{live_server}{path}")
    context.set_offline(False)
    check = context.new_page()
    check.route(f"{live_server}/probe", lambda r: r.fulfill(status=200, body="<p>probe</p>",
                                                            content_type="text/html"))
    check.goto(f"{live_server}/probe")
    state = check.evaluate("""async () => ({
        caches: await caches.keys(),
        dbs: (await indexedDB.databases()).map(d => d.name),
        workers: (await navigator.serviceWorker.getRegistrations()).length })""")
    assert state == {"caches": [], "dbs": [], "workers": 0}


# wcag2a + wcag2aa, and heading-order (a best-practice rule: results once jumped h1 -> h3).
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]},
               "rules": {"heading-order": {"enabled": True}}}


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_axe_finds_no_wcag_a_or_aa_violations(app: Flask, browser: Any, live_server: str,
                                              lang: str) -> None:
    """axe-core (wcag2a, wcag2aa, heading-order) on every public page and three listings."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.pages import public_paths

    ctx = browser.new_context(service_workers="block")
    page = ctx.new_page()
    axe = Axe()
    found = {}
    for path in public_paths(app):
        page.goto(f"{live_server}/{lang}{path}")
        if path.startswith("/offline/search"):
            page.goto(f"{live_server}/{lang}/offline/search?q=shelter")
            wait_js(page, "document.querySelector('[data-offline=search]')"
                          ".getAttribute('data-ready') === '1'")
        result = axe.run(page, options=AXE_OPTIONS)
        if result.violations_count:
            found[path] = [(v["id"], len(v["nodes"])) for v in result.response["violations"]]
    ctx.close()
    assert not found, found


def test_axe_check_would_catch_a_violation(browser: Any, live_server: str) -> None:
    """The accessibility check is live: an image without alt text is reported."""
    from axe_playwright_python.sync_playwright import Axe

    ctx = browser.new_context(service_workers="block")
    page = ctx.new_page()
    page.goto(f"{live_server}/en/about")
    page.evaluate("document.querySelector('main').appendChild(document.createElement('img'))")
    page.evaluate("document.querySelector('main').appendChild(document.createElement('h4'))"
                  ".textContent = 'skipped levels'")
    result = Axe().run(page, options=AXE_OPTIONS)
    ctx.close()
    found = [v["id"] for v in result.response["violations"]]
    assert "image-alt" in found and "heading-order" in found


def test_new_version_activates_and_the_page_says_so(app: Flask, context: Any,
                                                    live_server: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed worker takes over without a reload loop; the open page shows a notice."""
    from webapp.pwa import routes

    page = context.new_page()
    ready(page, live_server, "en")
    assert page.is_hidden("#sw-updated")
    monkeypatch.setattr(routes, "asset_version", lambda: "new-version-1")
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    wait_js(page, "!document.getElementById('sw-updated').hidden")
    wait_js(page, "navigator.serviceWorker.controller.scriptURL.endsWith('/sw.js') && "
                  "navigator.serviceWorker.controller.state === 'activated'")


def test_no_store_pages_are_never_kept(app: Flask, context: Any, live_server: str) -> None:
    """A tip thread page visited online is not there offline: the offline page answers."""
    page = context.new_page()
    ready(page, live_server, "en")
    page.goto(f"{live_server}/en/tip/status")
    assert page.locator("input[name=receipt]").count() == 1
    context.set_offline(True)
    page.goto(f"{live_server}/en/tip/status")
    assert page.locator("input[name=receipt]").count() == 0
    context.set_offline(False)


def test_near_me_offline_uses_the_phone_position_only(app: Flask, browser: Any,
                                                      live_server: str) -> None:
    """Offline, 'use my location' sorts by distance on the phone; no request carries it."""
    ctx = browser.new_context(service_workers="allow", geolocation={"latitude": 36.74,
                                                                   "longitude": -119.79},
                              permissions=["geolocation"])
    page = ctx.new_page()
    ready(page, live_server, "en")
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    ctx.set_offline(True)
    page.goto(f"{live_server}/en/search?q=shelter")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    page.click("#near-me")
    wait_js(page, "location.search.indexOf('near=36.740') !== -1")
    first = page.inner_text("#offline-results li.card h2")
    ctx.set_offline(False)
    ctx.close()
    ids, _total = server_ids(app, "shelter", {"near": "36.74,-119.79"})
    with app.app_context():
        name = db.session.get(Service, ids[0]).name  # type: ignore[union-attr]
    assert first == name
    assert seen and not [u for u in seen if "36.7" in u]  # the position never left


# What a listing page says about a service, read the same way online and offline: the alert,
# each fact (kind of help, for, who, languages, cost, where), the hours and how current it is.
READ_LISTING = """() => {
    const seen = e => !!e && !e.hidden && !e.closest('[hidden]') && e.offsetParent !== null;
    const text = e => e.innerText.replace(/\\s+/g, ' ').trim();
    const art = document.querySelector('main article');
    const alert = art.querySelector('p.alert');
    const facts = [...art.querySelectorAll('dl dt')].filter(seen)
        .map(dt => [text(dt), text(dt.nextElementSibling)]);
    const hours = [...art.querySelectorAll('table.hours tr')].filter(seen)
        .map(tr => [text(tr.cells[0]), text(tr.cells[1])]);
    const heads = [...art.querySelectorAll('h2')];
    const current = [];
    for (let e = heads[heads.length - 1].nextElementSibling; e; e = e.nextElementSibling) {
        if (!e.classList.contains('report-link') && seen(e)) { current.push(text(e)); }
    }
    const state = [...art.querySelectorAll('p.open, p.closed')].filter(seen).map(text);
    return {alert: seen(alert) ? text(alert) : null, facts, hours, current, state};
}"""


@pytest.mark.parametrize("lang", ["ar", "fa", "ti", "en"])
def test_offline_listing_says_what_the_online_one_says(app: Flask, context: Any,
                                                       live_server: str, lang: str) -> None:
    """For listings with an alert, a confidential address, hours, a source or a cost, the
    offline page shows the same alert, kind of help, cost, confidential note, language names,
    checked-on text and note on words not in the reader's language as the online page, in
    Arabic, Persian and Tigrinya."""
    with app.app_context():
        def named(where: Any) -> str:
            return db.session.scalars(select(Service.id).where(where).order_by(Service.id)
                                      ).first() or ""
        ids = [named(Service.name == "Fresno Safe Haven House"),
               named(Service.name.like("Disque 100%")),
               named(Service.name == "Sacramento Migrant Rights Desk"),
               named(Service.free.is_(False))]
    assert all(ids), ids
    page = context.new_page()
    ready(page, live_server, lang)
    online, notes = {}, {}
    untranslated = "p.untranslated:not([hidden])"  # "Not available in Arabic: shown in ..."
    for sid in ids:
        page.goto(f"{live_server}/{lang}/services/{sid}")
        online[sid] = page.evaluate(READ_LISTING)
        notes[sid] = page.locator(untranslated).all_inner_texts()
    context.set_offline(True)
    for sid in ids:
        page.goto(f"{live_server}/{lang}/services/{sid}")
        page.wait_for_selector("[data-offline=service][data-ready='1']")
        offline = page.evaluate(READ_LISTING)
        assert page.locator(untranslated).all_inner_texts() == notes[sid], sid
        want = online[sid]
        assert offline["alert"] == want["alert"], sid
        assert offline["hours"] == want["hours"], sid
        assert offline["state"] == want["state"], sid  # open now, closed now, or 24/7
        assert offline["current"] == want["current"], sid
        # The offline copy never carries a street: "Where" is the online line without it.
        for (o_key, o_val), (w_key, w_val) in zip(offline["facts"], want["facts"], strict=True):
            assert o_key == w_key, sid
            assert o_val == w_val or (o_key == offline["facts"][-1][0]
                                      and w_val.endswith(", " + o_val)), (sid, o_val, w_val)
    context.set_offline(False)
    fresno = online[ids[0]]
    # The comparison is not vacuous: an alert, five facts, a "Where" carrying the note.
    assert fresno["alert"] and len(fresno["facts"]) >= 5 and len(fresno["facts"][-1][1]) > 40
    assert any(online[sid]["hours"] for sid in ids) and all(v["current"] for v in online.values())
    assert any(online[sid]["state"] for sid in ids)
    assert any(notes.values()) == (lang != "en"), notes  # the hotline's words are in English


def test_offline_listing_is_called_an_example_exactly_when_it_is_one(
        app: Flask, context: Any, live_server: str) -> None:
    """The offline detail page of a real line (911, the national hotline) never says it is
    fictional, and an example listing always does, as online. A class's display rule showed
    the hidden "fictional" notice on every offline listing: someone in danger could decide
    not to call."""
    with app.app_context():
        real = db.session.scalars(select(Service.id).where(
            Service.is_demo.is_(False), Service.source_url.is_not(None)).order_by(Service.id)
                                  ).all()[:2]
        demo = db.session.scalars(select(Service.id).where(Service.is_demo.is_(True))
                                  .order_by(Service.id)).first()
    assert len(real) == 2 and demo
    page = context.new_page()
    ready(page, live_server, "ar")
    notice = "p.demo"
    online = {}
    for sid in [*real, demo]:
        page.goto(f"{live_server}/ar/services/{sid}")
        online[sid] = page.locator(notice).first.is_visible()
    assert online == {real[0]: False, real[1]: False, demo: True}
    context.set_offline(True)
    for sid in [*real, demo]:
        page.goto(f"{live_server}/ar/services/{sid}")
        page.wait_for_selector("[data-offline=service][data-ready='1']")
        assert page.locator("#svc-demo").is_visible() == online[sid], sid
    context.set_offline(False)


def test_a_language_never_saved_opens_havens_offline_page_offline(
        context: Any, live_server: str) -> None:
    """Offline, a tap on another language's name (its pages never saved on this phone) lands
    on Haven's own offline page in the language that was saved, with its links home and to
    offline search, not on a bare English word "Offline"."""
    page = context.new_page()
    ready(page, live_server, "ar")
    context.set_offline(True)
    page.goto(f"{live_server}/ti/")
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("main a[href='/ar/offline/search']").count() >= 1
    context.set_offline(False)
