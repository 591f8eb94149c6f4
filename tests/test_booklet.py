"""The printed directory booklet, read back: pdftotext for the text, zbar for the QR
codes, pdffonts for embedded fonts; never a confidential street."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import delete, select

from tests.pdf_helpers import has_words, plain, read_back
from webapp.extensions import db
from webapp.models import Location

# Runs again on PostgreSQL in the second phase of scripts/test.sh; poppler and zbar read it.
pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("pdf_tools")]

PUBLIC = "https://haven.example"  # HAVEN_PUBLIC_URL in these tests, unless a test unsets it


@pytest.fixture(autouse=True)
def public_url(request: pytest.FixtureRequest) -> None:
    """Booklets are drawn only for a site that knows its public address."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["HAVEN_PUBLIC_URL"] = PUBLIC


def expected(app: Flask, query: str) -> list[tuple[str, str]]:
    """(service id, first phone) of the listings a booklet should hold."""
    from webapp.booklet import services

    with app.test_request_context():
        req = services.parse(*query.split("|"))
        contents = services.collect(req)
        return [(e.id, e.views[req.languages[0]].phones[0].number)
                for _c, entries in contents.sections for e in entries
                if e.views[req.languages[0]].phones]


def streets(app: Flask) -> list[str]:
    with app.app_context():
        return [s for s in db.session.scalars(select(Location.address_1).where(
            Location.confidential.is_(True))) if s]


def test_arabic_and_devanagari_booklet_reads_back(app: Flask, client: FlaskClient,
                                                   tmp_path: Path) -> None:
    resp = client.get("/ar/directory/booklet.pdf?languages=ar,hi&region=Fresno")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "Set-Cookie" not in resp.headers
    codes, text = read_back(resp.data, tmp_path)
    listings = expected(app, "ar,hi|Fresno|")
    assert len(listings) >= 5
    flat = plain(text)
    for sid, phone in listings:
        assert plain(phone) in flat, phone
        assert f"{PUBLIC}/services/{sid}" in codes, sid
    assert f"{PUBLIC}/" in codes  # the cover's code to the site, in the phone's language
    assert plain("911") in flat and plain("1-888-373-7888") in flat  # the cover's lines
    assert has_words("مأوى", text) and has_words("आश्रय", text)  # both languages' headings
    assert has_words("مثال", text)  # fictional listings are marked, in Arabic too
    fonts_out = subprocess.run(["pdffonts", str(tmp_path / "p.pdf")], capture_output=True,
                               text=True, check=True).stdout
    names = fonts_out.lower()
    assert "naskharabic" in names.replace("-", "") and "devanagari" in names
    rows = [ln for ln in fonts_out.splitlines()[2:] if ln.strip()]
    assert rows and all(" yes " in ln for ln in rows)  # every font embedded
    for street in streets(app):
        assert plain(street) not in flat


def test_devanagari_is_shaped(client: FlaskClient) -> None:
    """A conjunct (श्र) is one shaped cluster: the glyphs HarfBuzz picked are not the letters'
    own, so the embedded font has the conjunct's glyph."""
    import uharfbuzz as hb

    from webapp import fonts

    resp = client.get("/hi/directory/booklet.pdf?languages=hi&categories=shelter")
    assert resp.status_code == 200
    regular, _bold = fonts.font_files("devanagari")
    face = hb.Face(hb.Blob.from_file_path(str(regular)))
    shaped = hb.Buffer()
    shaped.add_str("आश्रय")
    shaped.guess_segment_properties()
    hb.shape(hb.Font(face), shaped)
    alone = [hb.Font(face).get_nominal_glyph(ord(ch)) for ch in "आश्रय"]
    assert [g.codepoint for g in shaped.glyph_infos] != alone


def test_every_listing_of_a_region_in_two_latin_languages(app: Flask, client: FlaskClient,
                                                          tmp_path: Path) -> None:
    resp = client.get("/es/directory/booklet.pdf?languages=es,en&region=Oakland"
                      "&categories=shelter,legal-aid,medical")
    assert resp.status_code == 200
    codes, text = read_back(resp.data, tmp_path)
    listings = expected(app, "es,en|Oakland|shelter,legal-aid,medical")
    assert listings
    for sid, phone in listings:
        assert plain(phone) in plain(text)
        assert f"{PUBLIC}/services/{sid}" in codes
    assert "Dónde encontrar ayuda" in text or has_words("Dónde encontrar ayuda", text)
    assert "Where to find help" in text


@pytest.mark.parametrize(("query", "expect"), [
    ("languages=en,ar,hi", "languages: choose 1 or 2"),
    ("languages=en,xx", "languages: choose 1 or 2"),
    ("categories=spaceship", "categories: use the kinds of help"),
    ("format=a0", "format: a5 or half-letter"),
])
def test_bad_parameters_are_named(client: FlaskClient, query: str, expect: str) -> None:
    resp = client.get(f"/en/directory/booklet.pdf?{query}")
    assert resp.status_code == 400
    assert expect in resp.get_data(as_text=True)


def test_cli_writes_the_booklet(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    out = tmp_path / "fresno.pdf"
    res = runner.invoke(args=["directory", "booklet", "--languages", "en,es", "--region",
                              "Fresno", "--base-url", "https://haven.example", "--out",
                              str(out)])
    assert res.exit_code == 0, res.output
    codes, _text = read_back(out.read_bytes(), tmp_path)
    assert any(c.startswith("https://haven.example/services/") for c in codes)
    for args, message in ((["--languages", "en,es,fr"], "choose 1 or 2"),
                          (["--base-url", "ftp://x"], "https:// address")):
        base = ["directory", "booklet", "--out", str(tmp_path / "x.pdf"),
                "--base-url", "https://haven.example"]
        res = runner.invoke(args=[*base, *args])
        assert res.exit_code != 0 and message in res.output, res.output
        assert "Traceback" not in res.output


def test_the_poster_builder_makes_a_booklet_for_a_town_in_two_languages(
        client: FlaskClient, tmp_path: Path) -> None:
    """Staff choose the town and the languages in a form on the builder (it said to edit the
    address): the form, filled in as a person does, brings that booklet."""
    html = client.get("/ar/posters").get_data(as_text=True)
    form = re.search(r'<form method="get" action="([^"]+)" class="booklet-form">(.*?)</form>',
                     html, re.S)
    assert form and form.group(1) == "/ar/directory/booklet.pdf"
    options = dict((label, value) for value, label in re.findall(
        r'<option value="([^"]+)">([^<]+)</option>', form.group(2)))
    both = next(v for label, v in options.items() if "English" in label)
    assert both == "ar,en"
    assert 'name="region"' in form.group(2)
    resp = client.get(form.group(1), query_string={"region": "Fresno", "languages": both})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    _codes, text = read_back(resp.data, tmp_path)
    assert "Monday" in text and "الاثنين" in text  # both languages
    assert "Bakersfield" not in text and "Fresno" in text  # that town only


def test_booklets_are_rate_limited_per_client(app: Flask, client: FlaskClient) -> None:
    """Each booklet costs seconds of CPU: a client gets a few an hour, then a 429 page."""
    app.config["HAVEN_BOOKLETS_PER_HOUR"] = 2
    url = "/en/directory/booklet.pdf?categories=emergency"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert client.get(url, environ_base={"REMOTE_ADDR": "192.0.2.77"}).status_code == 200


def entries_of(app: Flask, query: str) -> tuple[list[Any], list[Any]]:
    """(cover lines, listings) a booklet asked for with "languages|region|categories" holds,
    each with its view in every language."""
    from webapp.booklet import services

    with app.test_request_context():
        contents = services.collect(services.parse(*query.split("|")))
        return contents.lines, [e for _c, entries in contents.sections for e in entries]


def words_in(sentence: str, text: str) -> bool:
    """has_words, colons too: pdftotext moves a right-to-left line's colon as it moves its
    full stop."""
    return has_words(sentence.replace(":", " "), text.replace(":", " "))


def booklet_text(client: FlaskClient, query: str, tmp_path: Path) -> tuple[list[str], str]:
    """(QR payloads, pdftotext output) of /en/directory/booklet.pdf?<query>."""
    resp = client.get(f"/en/directory/booklet.pdf?{query}")
    assert resp.status_code == 200, resp.data[:300]
    return read_back(resp.data, tmp_path)


def test_every_day_of_a_weekday_schedule_in_each_language(app: Flask, client: FlaskClient,
                                                         tmp_path: Path) -> None:
    """A Monday-to-Friday service reads open on Thursday and Friday too, and closed at the
    weekend, in both languages of the booklet: no day is cut off."""
    _lines, listings = entries_of(app, "en,ar|Fresno|legal-aid")
    weekdays = [e for e in listings
                if [t == "Closed" for _d, t in e.views["en"].hours] == [False] * 5 + [True] * 2]
    assert weekdays, "the seed has a Monday-to-Friday legal clinic in Fresno"
    _codes, text = booklet_text(client, "languages=en,ar&region=Fresno&categories=legal-aid",
                                tmp_path)
    flat = plain(text)
    for entry in weekdays:
        for day, times in entry.views["en"].hours:  # "Thursday 09:00–17:00", "Sunday Closed"
            assert plain(f"{day} {times}") in flat, (day, times)
    wanted: dict[str, int] = {}  # each span of times, as often as the listings' days have it
    for entry in listings:
        for tag in ("en", "ar"):
            for _day, times in entry.views[tag].hours:
                wanted[plain(times)] = wanted.get(plain(times), 0) + 1
    for times, count in wanted.items():
        assert flat.count(times) >= count, times
    for entry in weekdays:  # the Arabic days, every one of them, and the Arabic "Closed"
        for day, times in entry.views["ar"].hours:
            assert plain(day) in flat and plain(times) in flat, (day, times)
    with app.test_request_context(), force_locale("ar"):
        assert plain(_("Closed")) in flat


def test_a_listing_without_hours_says_so(app: Flask, client: FlaskClient,
                                         tmp_path: Path) -> None:
    """No schedule is "hours not listed", in each language, never a week of "Closed"."""
    from webapp.models import Schedule

    _lines, listings = entries_of(app, "en,ar|Fresno|legal-aid")
    with app.app_context():
        db.session.execute(delete(Schedule).where(
            Schedule.service_id.in_([e.id for e in listings])))
        db.session.commit()
    _codes, text = booklet_text(client, "languages=en,ar&region=Fresno&categories=legal-aid",
                                tmp_path)
    for babel_id in ("en", "ar"):
        with app.test_request_context(), force_locale(babel_id):
            assert words_in(_("Hours not listed: call before you go."), text), babel_id
            assert plain(_("Closed")) not in plain(text), babel_id


def test_every_listing_code_opens_its_page_in_the_phone_language(
        app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    """In an English + Arabic booklet, every code opens the listing's own page in the
    language of the phone that scans it (Accept-Language), as posters do; the cover's code
    opens the home page the same way."""
    _lines, listings = entries_of(app, "en,ar|Fresno|")
    assert len(listings) >= 5
    codes, _text = booklet_text(client, "languages=en,ar&region=Fresno", tmp_path)
    assert f"{PUBLIC}/" in codes
    listing_codes = sorted(c for c in codes if c != f"{PUBLIC}/")
    assert listing_codes == sorted(f"{PUBLIC}/services/{e.id}" for e in listings)
    names = {e.id: e.views["ar"].name for e in listings}
    for code in listing_codes:
        sid = code.rsplit("/", 1)[1]
        page = client.get(urlsplit(code).path, headers={"Accept-Language": "ar"},
                          follow_redirects=True)
        assert page.status_code == 200, code
        assert page.request.path == f"/ar/services/{sid}", code
        html = page.get_data(as_text=True)
        assert '<html lang="ar" dir="rtl">' in html, code
        assert str(escape(names[sid])) in html, code
    # the same code on a Persian phone opens the Persian page: the phone decides, not paper
    page = client.get(urlsplit(listing_codes[0]).path, headers={"Accept-Language": "fa"},
                      follow_redirects=True)
    assert page.request.path == f"/fa/services/{listing_codes[0].rsplit('/', 1)[1]}"
    home = client.get("/", headers={"Accept-Language": "ar"}, follow_redirects=True)
    assert home.request.path == "/ar/" and '<html lang="ar"' in home.get_data(as_text=True)


def test_the_cover_labels_each_line_in_each_language(app: Flask, client: FlaskClient,
                                                     tmp_path: Path) -> None:
    """The cover's "Text" is in each language of the booklet; a hotline's name is its stored
    translation where there is one, else the name as it is, printed once."""
    from webapp.directory.hotlines import country_lines
    from webapp.directory.queries import first_lines
    from webapp.models import ServiceTranslation

    with app.test_request_context():  # the emergency number and the national hotline
        lines, _rest = first_lines(country_lines("US"))
    texted = next(v for v in lines if any(p.kind == "sms" for p in v.phones[:2]))
    other = next(v for v in lines if v is not texted)
    arabic_name = "الخط الوطني لمكافحة الاتجار بالبشر"
    with app.app_context():
        db.session.add(ServiceTranslation(service_id=texted.id, locale="ar", name=arabic_name))
        db.session.commit()
    resp = client.get("/en/directory/booklet.pdf?languages=en,ar&region=Fresno")
    assert resp.status_code == 200
    read_back(resp.data, tmp_path)
    cover = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(tmp_path / "p.pdf"), "-"],
                           capture_output=True, text=True, check=True).stdout
    for babel_id in ("en", "ar"):
        with app.test_request_context(), force_locale(babel_id):
            assert has_words(_("Text"), cover), babel_id
    assert has_words(arabic_name, cover)  # the stored translation, in the Arabic part
    assert plain(texted.name) in plain(cover)  # and the name, in the English one
    assert plain(cover).count(plain(other.name)) == 1  # untranslated: once, as it is


@pytest.mark.parametrize("public", ["", "haven.example", "  "])
def test_without_a_public_address_no_booklet_prints_a_guessed_one(
        app: Flask, client: FlaskClient, public: str) -> None:
    """Unset (or not an http(s) address): no booklet, whatever Host the request names, so no
    code can open the loopback address or someone else's site; the refusal says what to set
    and is never cached."""
    app.config["HAVEN_PUBLIC_URL"] = public
    for base in ("http://127.0.0.1:5077", "http://evil.example"):
        resp = client.get("/en/directory/booklet.pdf?languages=en&categories=emergency",
                          base_url=base)
        assert resp.status_code == 503 and resp.mimetype == "text/html"
        assert resp.headers["Cache-Control"] == "no-store"
        assert "HAVEN_PUBLIC_URL" in resp.get_data(as_text=True)
    app.config["HAVEN_PUBLIC_URL"] = PUBLIC + "/"
    assert client.get("/en/directory/booklet.pdf?languages=en&categories=emergency",
                      base_url="http://evil.example").status_code == 200
