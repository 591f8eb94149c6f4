"""The printed directory booklet (#12), read back: pdftotext for the text, zbar for the QR
codes, pdffonts for embedded fonts; never a confidential street."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.test_posters import has_words, plain, read_back, tools  # noqa: F401 - fixture
from webapp.extensions import db
from webapp.models import Location


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
        assert f"http://localhost/ar/services/{sid}" in codes, sid
    assert "http://localhost/ar/" in codes  # the cover's code to the site
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
        assert f"http://localhost/es/services/{sid}" in codes
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
    assert any(c.startswith("https://haven.example/en/services/") for c in codes)
    for args, message in ((["--languages", "en,es,fr"], "choose 1 or 2"),
                          (["--base-url", "ftp://x"], "https:// address")):
        base = ["directory", "booklet", "--out", str(tmp_path / "x.pdf"),
                "--base-url", "https://haven.example"]
        res = runner.invoke(args=[*base, *args])
        assert res.exit_code != 0 and message in res.output, res.output
        assert "Traceback" not in res.output


def test_the_poster_builder_links_to_the_booklet(client: FlaskClient) -> None:
    html = client.get("/ar/posters").get_data(as_text=True)
    assert "/ar/directory/booklet.pdf" in html


def test_booklets_are_rate_limited_per_client(app: Flask, client: FlaskClient) -> None:
    """Each booklet costs seconds of CPU: a client gets a few an hour, then a 429 page."""
    app.config["HAVEN_BOOKLETS_PER_HOUR"] = 2
    url = "/en/directory/booklet.pdf?categories=emergency"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert client.get(url, environ_base={"REMOTE_ADDR": "192.0.2.77"}).status_code == 200
