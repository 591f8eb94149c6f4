"""Journeys, one per person, in English, Arabic, Persian and Tigrinya on a 360 x 740 phone,
each asserting what the person gets: the digits a Call link dials online and offline and the
page Back shows after "Leave quickly" (survivor); a receipt typed back in Arabic-Indic and
Persian digits opening that very tip (tipster); every code of a printed English + Arabic
booklet opening the Arabic page of its listing on an Arabic phone, and every day of a
Monday-to-Friday schedule in print (booklet).

tests/test_browser_journeys_exit.py, tests/test_typed_digits.py and tests/test_booklet.py check
each step on its own; here the steps run one after the other, as one person takes them."""

from __future__ import annotations

import secrets
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.dates import get_day_names
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from tests.journey_helpers import BEFORE, EXIT, walk_back
from tests.journey_helpers import phone as exit_phone
from tests.pages import ready
from tests.pdf_helpers import plain, read_back
from tests.staff_helpers import keyed
from tests.tips_helpers import receipt_of, send_tip
from webapp.extensions import db
from webapp.models import Phone, Schedule, Service, ServiceTranslation, Tip

pytestmark = pytest.mark.browser

LANGS = ["en", "ar", "fa", "ti"]
CATEGORY = "shelter"
# The town as a person types it: with its state, or in their own script.
TOWN = {"en": "Fresno, CA", "ar": "فريسنو", "fa": "فرزنو", "ti": "ፍረስኖ"}
WEEK = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
TIMEOUT = 20_000  # ms, for any one thing a page is waited on


@pytest.fixture
def app(app: Flask) -> Flask:
    """The seeded app with a neutral exit that the phone's own routes serve."""
    app.config["HAVEN_EXIT_URL"] = EXIT
    return app


def phone(phones: Any, lang: str, **options: Any) -> Any:
    """The quick-exit tests' phone (neutral site and previous page served here), with every
    wait bounded."""
    ctx = exit_phone(phones, lang, **options)
    ctx.set_default_timeout(TIMEOUT)
    return ctx


def said(app: Flask, lang: str, msgid: str) -> str:
    """What Haven says for msgid in this language."""
    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return str(_(msgid))


def digits_of(text: str) -> str:
    """The decimal digits of text as ASCII, whatever script they are written in."""
    return "".join(str(unicodedata.decimal(ch)) for ch in text
                   if unicodedata.decimal(ch, None) is not None)


def in_script(number: str, zero: str) -> str:
    """ASCII digits written with the digits of another script (zero: that script's 0)."""
    return "".join(chr(ord(zero) + int(ch)) if ch.isdigit() else ch for ch in number)


# --- 1. Survivor -------------------------------------------------------------------------


def call_link(page: Any, selector: str) -> tuple[str, str]:
    """(the digits the first Call link dials, the digits of the number shown in it)."""
    link = page.locator(selector).first
    href = link.get_attribute("href") or ""
    assert href.startswith("tel:"), (page.url, href)
    return digits_of(href.removeprefix("tel:")), digits_of(link.locator("bdi").inner_text())


def stored_number(app: Flask, service_id: str) -> str:
    """The digits of the listing's first voice number, as stored."""
    with app.app_context():
        number = db.session.scalars(select(Phone.number).where(
            Phone.service_id == service_id, Phone.type == "voice").order_by(Phone.position)
        ).first()
    assert number, service_id
    return digits_of(number)


def listing_facts(app: Flask, service_id: str) -> tuple[set[str], set[str]]:
    """(the listing's category codes, its towns), as stored."""
    with app.app_context():
        svc = db.session.get(Service, service_id)
        assert svc is not None, service_id
        return {t.code for t in svc.terms}, {sal.location.city or "" for sal in svc.locations}


def result_ids(page: Any, lang: str, selector: str) -> list[str]:
    """The listing ids of the result cards, in order."""
    hrefs = page.locator(f"{selector} li.card h2 a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    prefix = f"/{lang}/services/"
    return [urlsplit(h).path.removeprefix(prefix) for h in hrefs
            if urlsplit(h).path.startswith(prefix)]


def search_category_and_town(page: Any, lang: str, problems: list[str], where: str) -> bool:
    """From the home page: tap the category, then type the town in the place field of the
    page's filters and apply them. False (and a problem noted) when the page has no such field."""
    page.locator(f"ul.tiles a[href$='category={CATEGORY}']").click()
    page.wait_for_url(f"**/{lang}/search?*")
    near = page.locator("#f-near")
    if near.count() == 0:
        problems.append(f"{where}: {page.url} offers no field for the town (no #f-near): the "
                        f"person cannot search for '{TOWN[lang]}' there")
        return False
    if not near.is_visible():  # the filters are folded away: unfold them as a person does
        page.locator("details.filters summary").click()
    near.press_sequentially(TOWN[lang])
    with page.expect_navigation():
        page.locator("form:has(#f-near) button[type=submit]").click()
    return True


@pytest.mark.parametrize("lang", LANGS)
def test_survivor_finds_a_shelter_calls_it_offline_too_and_leaves_no_trace(
        app: Flask, phones: Any, live_server: str, lang: str) -> None:
    """Home -> shelters -> the town as typed -> a listing: its Call link dials the number shown
    and stored. Offline, the same search finds the same listing, whose Call link dials the
    same digits. Leave quickly: Back shows the page before Haven, never a Haven page."""
    problems: list[str] = []
    ctx = phone(phones, lang)
    page = ctx.new_page()
    page.goto(BEFORE)
    ready(page, live_server, lang)  # the worker controls the page and saved the directory

    # Online, through the forms on the pages.
    assert search_category_and_town(page, lang, problems, "online"), problems
    asked = parse_qs(urlsplit(page.url).query)
    assert asked.get("category") == [CATEGORY] and asked.get("near") == [TOWN[lang]], page.url
    results_url = page.url
    ignored = page.locator("p.notice[role=status]")
    assert ignored.count() == 0, (page.url, ignored.all_inner_texts())  # the town was understood
    online_ids = result_ids(page, lang, "ul.cards")
    assert online_ids, f"{page.url}: no listing found"
    for sid in online_ids:  # each result is a shelter in that town
        codes, towns = listing_facts(app, sid)
        assert CATEGORY in codes and "Fresno" in towns, (page.url, sid, codes, towns)
    page.locator("ul.cards li.card h2 a").first.click()
    page.wait_for_url(f"**/{lang}/services/*")
    sid = urlsplit(page.url).path.rsplit("/", 1)[1]
    assert sid == online_ids[0]
    dials, shown = call_link(page, "main .actions a.call-voice")
    stored = stored_number(app, sid)
    assert len(dials) >= 3 and dials == shown == stored, (
        f"{page.url}: the Call link dials '{dials}', the number shown is '{shown}', "
        f"stored '{stored}'")

    # Offline: the home page saved on the phone, the same taps, the same listing.
    ctx.set_offline(True)
    page.locator("header a.brand").click()
    page.wait_for_url(f"{live_server}/{lang}/")
    if not search_category_and_town(page, lang, problems, "offline"):
        # Carry on from the same search's address (as a Haven link would open it) to check
        # what the offline results and listing say.
        page.evaluate("url => location.replace(url)", results_url)
        page.wait_for_url(lambda url: url == results_url)
    elif parse_qs(urlsplit(page.url).query) != asked:
        problems.append(f"offline: the same taps asked {page.url}, online {results_url}")
    page.wait_for_selector("[data-offline=search][data-ready='1']")
    if page.locator("#unknown-place:not([hidden])").count():
        problems.append(f"offline {page.url}: '{page.inner_text('#unknown-place')}'")
    offline_ids = result_ids(page, lang, "#offline-results")
    if offline_ids != online_ids:
        problems.append(f"offline {page.url}: results {offline_ids}, online {online_ids}")
    card = page.locator(f"#offline-results li.card h2 a[href$='/services/{sid}']")
    assert card.count() == 1, (problems, f"offline {page.url}: listing {sid} not in results")
    card.click()
    page.wait_for_url(f"**/{lang}/services/{sid}")
    page.wait_for_selector("[data-offline=service][data-ready='1']")
    off_dials, off_shown = call_link(page, "#svc-phones a.call-voice")
    if not off_dials == off_shown == stored:
        problems.append(f"offline {page.url}: Call dials {off_dials}, shows {off_shown}, "
                        f"stored {stored}")

    # Leave quickly, then Back.
    ctx.set_offline(False)
    page.locator("#quick-exit").click()
    page.wait_for_url(EXIT)
    history = walk_back(page)
    haven = [u for u in history if u.startswith(live_server)]
    if haven or history[:1] != [BEFORE]:
        problems.append(f"after Leave quickly, Back shows {history} (Haven pages: {haven})")
    assert not problems, "\n".join(problems)


# --- 2. Tipster --------------------------------------------------------------------------

TIP_TEXT = {"en": "Workers are locked in the packing shed at night",
            "ar": "العمال محبوسون في مستودع التعبئة ليلاً",
            "fa": "کارگران شب‌ها در انبار بسته‌بندی زندانی هستند",
            "ti": "ሰራሕተኛታት ለይቲ ኣብ መኽዘን ተዓጽዮም ኣለዉ"}
ARABIC_INDIC_ZERO, PERSIAN_ZERO = "\u0660", "\u06f0"


def staff_message(app: Flask, receipt: str, text: str) -> str:
    """Staff write to the tip a receipt opens; returns that tip's id."""
    from webapp.tips import services

    with app.app_context():
        thread = services.open_with_receipt(receipt)
        assert thread is not None, receipt
        services.add_message(thread, "staff", text, [])
        return thread.tip.id


def tip_ids(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Tip.id)))


def reads_left_to_right(page: Any, selector: str) -> bool:
    return page.eval_on_selector(selector, "e => getComputedStyle(e).direction") == "ltr"


@pytest.mark.parametrize("lang", LANGS)
def test_tipster_confirms_and_opens_the_receipt_typed_in_arabic_and_persian_digits(
        app: Flask, client: FlaskClient, phones: Any, live_server: str, lang: str) -> None:
    """Send a tip through the form, type the receipt back in Arabic-Indic digits (it matches),
    then open "Check a tip" with it in Persian digits: the thread of that tip opens."""
    app.config["HAVEN_PASSPHRASE_KDF"] = "interactive"
    keyed(app)  # an organisation key: tips can be stored
    decoy = receipt_of(send_tip(client, "Another tip, from someone else"))
    decoy_words = f"Message for the other tip {secrets.token_hex(4)}"
    staff_message(app, decoy, decoy_words)
    before = tip_ids(app)

    page = phone(phones, lang).new_page()
    page.goto(f"{live_server}/{lang}/tip")
    page.locator("input[name=kinds][value=labour]").check()
    page.locator("textarea[name=what]").fill(TIP_TEXT[lang])
    with page.expect_navigation():
        page.locator("#tip-form button[type=submit]").click()
    shown = page.locator("p.receipt bdi").inner_text()
    receipt = digits_of(shown)
    assert len(receipt) == 16, (page.url, shown)
    (new_tip,) = tip_ids(app) - before  # the form stored one tip

    confirm = page.locator("form:has(input[name=idempotency_key]) input[name=receipt]")
    assert reads_left_to_right(page, "input[name=receipt]"), page.url
    confirm.press_sequentially(in_script(shown, ARABIC_INDIC_ZERO))  # "١٠٤٨ ٢٣٤٥ ..."
    with page.expect_navigation():
        confirm.press("Enter")
    matched = said(app, lang, "That matches: you wrote it down correctly.")
    heading = page.locator("main h1").inner_text()
    assert heading == matched, (page.url, lang, heading)

    words = f"Thank you. Which road is the shed on? {secrets.token_hex(4)}"
    assert staff_message(app, receipt, words) == new_tip  # the receipt shown is this tip's
    page.locator(f"main a[href$='/{lang}/tip/status']").click()
    page.wait_for_url(f"**/{lang}/tip/status")
    box = page.locator("input[name=receipt]")
    assert reads_left_to_right(page, "input[name=receipt]"), page.url
    box.press_sequentially(in_script(receipt, PERSIAN_ZERO))  # "۱۰۴۸۲۳۴۵..."
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    heading = page.locator("main h1").inner_text()
    assert heading == said(app, lang, "Your tip"), (page.url, lang, heading,
                                                    page.locator("main").inner_text()[:300])
    assert page.locator("main p.status strong").inner_text().strip()  # the tip's status
    thread = page.locator("ol.thread").inner_text()
    assert words in thread and decoy_words not in thread, (page.url, thread)


# --- 3. Booklet --------------------------------------------------------------------------


def weekday_only(app: Flask, ids: list[str]) -> dict[str, tuple[str, list[str]]]:
    """Of these listings, those open Monday to Friday and closed at the weekend, one span a
    day ending before midnight: id -> (name, the spans Monday..Friday as "09:00–17:00")."""
    out: dict[str, tuple[str, list[str]]] = {}
    with app.app_context():
        for sid in ids:
            svc = db.session.get(Service, sid)
            assert svc is not None, sid
            spans: dict[str, list[str]] = {}
            rows = list(db.session.scalars(select(Schedule).where(Schedule.service_id == sid)))
            if any((r.closes_at or "") <= (r.opens_at or "") for r in rows):
                continue  # open past midnight: it runs into Saturday
            for row in rows:
                for day in (row.byday or "").split(","):
                    spans.setdefault(day, []).append(f"{row.opens_at}\u2013{row.closes_at}")
            if sorted(spans, key=WEEK.index) == WEEK[:5] and all(
                    len(v) == 1 for v in spans.values()):
                out[sid] = (svc.name, [spans[d][0] for d in WEEK[:5]])
    return out


def arabic_name(app: Flask, sid: str) -> str:
    """The listing's name on its Arabic page: its Arabic translation, else the name itself."""
    with app.app_context():
        svc = db.session.get(Service, sid)
        assert svc is not None
        tr = db.session.get(ServiceTranslation, (sid, "ar"))
        return (tr.name if tr and tr.name else svc.name).strip()


def block_of(text: str, name: str, names: list[str]) -> str:
    """The part of the booklet's text about one listing: from its name to the next name."""
    start = text.find(name)
    assert start >= 0, name
    ends = [i for n in names if n != name and (i := text.find(n, start + 1)) > start]
    return text[start:min(ends, default=len(text))]


@pytest.mark.usefixtures("pdf_tools")  # poppler and zbar read the booklet back
@pytest.mark.parametrize("lang", LANGS)
def test_booklet_codes_open_the_arabic_listing_and_print_every_weekday(
        app: Flask, client: FlaskClient, phones: Any, live_server: str, lang: str,
        tmp_path: Path) -> None:
    """An English + Arabic booklet printed from the site in this language: every listing's
    code, scanned by a phone set to Arabic, opens the Arabic page of that very listing; every
    listing open Monday to Friday prints all five days, in English and in Arabic.
    (tests/test_booklet.py reads the same from the Flask client with the booklet's own data;
    here the codes open in the phone and the expected days come from the stored schedules.)"""
    app.config["HAVEN_PUBLIC_URL"] = live_server  # the codes open this server
    resp = client.get(f"/{lang}/directory/booklet.pdf?languages=en,ar&region=Fresno")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf", resp.data[:300]
    codes, text = read_back(resp.data, tmp_path)
    assert f"{live_server}/" in codes, codes  # the cover's code
    listing_codes = sorted({c for c in codes if c != f"{live_server}/"})
    assert len(listing_codes) >= 5 and all(c.startswith(live_server) for c in codes), codes
    ids = [c.rsplit("/", 1)[1] for c in listing_codes]

    # A phone set to Arabic (Accept-Language: ar) scanning the codes: each is a first visit.
    page = phone(phones, "ar", service_workers="block").new_page()
    for code, sid in zip(listing_codes, ids, strict=True):
        page.goto(code)
        opened = f"/{lang}/directory/booklet.pdf: the code {code}, scanned by an Arabic phone,"
        assert urlsplit(page.url).path == f"/ar/services/{sid}", f"{opened} opened {page.url}"
        assert page.get_attribute("html", "lang") == "ar", f"{opened} opened {page.url}"
        heading = page.locator("main h1").inner_text().strip()
        want = arabic_name(app, sid)
        assert heading == want, f"{opened} shows '{heading}', not the listing's '{want}'"

    weekdays = weekday_only(app, ids)
    assert weekdays, "a Monday-to-Friday listing in the Fresno booklet"
    flat = plain(text)
    with app.app_context():
        all_names = [plain(s.name) for s in db.session.scalars(
            select(Service).where(Service.id.in_(ids)))]
    en_days, ar_days = get_day_names("wide", locale="en"), get_day_names("wide", locale="ar")
    for name, spans in weekdays.values():
        block = block_of(flat, plain(name), all_names)
        where = f"/{lang}/directory/booklet.pdf, '{name}' (open Monday to Friday)"
        for day, span in enumerate(spans):
            assert plain(f"{en_days[day]} {span}") in block, \
                f"{where} prints no '{en_days[day]} {span}': {block}"
            assert plain(ar_days[day]) in block, f"{where} prints no '{ar_days[day]}': {block}"
        assert block.count(plain(spans[0])) >= 10, f"{where}: not 5 days in 2 languages: {block}"
