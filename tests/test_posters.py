"""Posters read back: rasterised with pdftoppm, QR decoded with zbar, text with pdftotext."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from tests.pdf_helpers import has_words, plain, read_back
from tests.reference import HOTLINES_CSV
from tests.staff_helpers import csrf, keyed, sign_in
from webapp import fonts
from webapp.i18n import LOCALES
from webapp.posters import render, words

# poppler and zbar read every poster back.
pytestmark = pytest.mark.usefixtures("pdf_tools")

FORMATS = list(render.FORMATS)
HEADLINE = "Are you being forced to work or to sell sex? You are not alone."
HOTLINE_DIGITS = "18883737888"  # US national hotline, from hotlines.csv via services_data
PUBLIC = "https://help.example.org"  # HAVEN_PUBLIC_URL in these tests, unless a test unsets it


@pytest.fixture(autouse=True)
def public_url(request: pytest.FixtureRequest) -> None:
    """Posters are drawn only for a site that knows its public address."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["HAVEN_PUBLIC_URL"] = PUBLIC


def headline(app: Flask, babel_id: str) -> str:
    with app.test_request_context(), force_locale(babel_id):
        return str(_(HEADLINE))


def said(app: Flask, babel_id: str, target: str) -> words.Words:
    """The sentences a poster whose code opens `target` prints in one language."""
    with app.test_request_context(), force_locale(babel_id):
        return words.words(target)


# What each kind of code opens, and the other kind (whose words must not be printed).
OPENS = {"home": "/", "tip": "/tip"}
OTHER = {"home": "tip", "tip": "home"}


def assert_words_match(app: Flask, babel_id: str, fmt: str, target: str, text: str) -> None:
    """The printed text (pdftotext) is the one for what the code opens, not the other's."""
    flat = plain(text)
    mine, other = said(app, babel_id, target), said(app, babel_id, OTHER[target])
    assert mine != other
    if render.FORMATS[fmt][2] in ("poster", "tearoff"):
        assert has_words(mine.headline, text) and plain(mine.scan) in flat
        assert plain(other.scan) not in flat
    else:  # cards and stickers print one call to action beside the code
        assert plain(mine.call) in flat and plain(other.call) not in flat


# Every format in every locale for the help target; the witness target in every locale on
# the A4 poster and in every format in a left-to-right and a right-to-left locale (the words
# for each target in every locale are also held by test_the_words_follow_the_target...).
# Each render costs about a second: the full cross product doubled the file's time.
READ_BACK = ([(loc, fmt, "home") for loc in LOCALES for fmt in FORMATS]
             + [(loc, "a4", "tip") for loc in LOCALES]
             + [(loc, fmt, "tip") for loc in LOCALES if loc.tag in ("en", "ar")
                for fmt in FORMATS if fmt != "a4"])


@pytest.mark.parametrize(("loc", "fmt", "target"), READ_BACK,
                         ids=[f"{loc.tag}-{fmt}-{target}" for loc, fmt, target in READ_BACK])
def test_every_format_in_every_locale_reads_back(app: Flask, client: FlaskClient, fmt: str,
                                                 loc: Any, target: str, tmp_path: Path) -> None:
    """Each QR decodes to the page it opens; the words printed are for that page's reader
    (help for the person, "report what you saw" for a witness); the hotline is there."""
    resp = client.get(f"/{loc.tag}/posters/poster.pdf",
                      query_string={"languages": loc.tag, "format": fmt, "target": target,
                                    "country": "US"})
    assert resp.status_code == 200, resp.data[:300]
    codes, text = read_back(resp.data, tmp_path)
    assert codes, "no QR code decoded"
    assert set(codes) == {PUBLIC + OPENS[target]}  # the phone's language decides
    assert HOTLINE_DIGITS in re.sub(r"\D", "", text)
    assert_words_match(app, loc.babel, fmt, target, text)


def test_three_languages_rtl_and_complex_script(client: FlaskClient, app: Flask,
                                                tmp_path: Path) -> None:
    """en + ar + hi on one poster: all three headlines, one QR, fonts embedded."""
    resp = client.get("/en/posters/poster.pdf?languages=ar,hi,en&format=a4&target=legal-aid")
    codes, text = read_back(resp.data, tmp_path)
    assert codes == [PUBLIC + "/search?category=legal-aid"]
    for babel_id in ("ar", "hi", "en"):
        assert has_words(headline(app, babel_id), text)
    fonts_out = subprocess.run(["pdffonts", str(tmp_path / "p.pdf")], capture_output=True,
                               text=True, check=True).stdout
    rows = [ln for ln in fonts_out.splitlines()[2:] if ln.strip()]
    assert rows and all(" yes " in ln for ln in rows)  # every font embedded (subset)


def test_arabic_headline_is_joined(app: Flask) -> None:
    """Shaped Arabic uses contextual forms: glyph ids differ from the letters shaped alone."""
    import uharfbuzz as hb

    regular, _bold = fonts.font_files("arabic")
    blob = hb.Blob.from_file_path(str(regular))
    font = hb.Font(hb.Face(blob))
    word = headline(app, "ar").split()[3]  # a word of several joining letters

    def gids(text: str) -> list[int]:
        buf = hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        hb.shape(font, buf, {})
        return [i.codepoint for i in buf.glyph_infos]

    joined = gids(word)
    isolated = [g for ch in word for g in gids(ch)]
    assert 0 not in joined and len(joined) == len(isolated)
    assert joined != list(reversed(isolated)) and joined != isolated


def test_no_missing_glyph_ever_reaches_a_pdf(app: Flask) -> None:
    """A character no installed font has is refused instead of printed as a box."""
    spec = render.Spec("a4", "http://x/en/", (render.Block(
        "en", "Help \U0001fae8", "b", "s", "c", (render.Line("Call", "911"),)),))
    with pytest.raises(render.MissingGlyphs):
        render.render_pdf(spec)


def test_state_notice_letter_16pt_three_languages(app: Flask, client: FlaskClient,
                                                  tmp_path: Path) -> None:
    """California mode: Letter, every text run at least 16 pt, en + es + one more."""
    resp = client.get("/en/posters/poster.pdf?languages=en,es,vi&format=letter&mode=ca")
    assert resp.status_code == 200
    from fpdf import FPDF  # noqa: F401 (fpdf2 writes "BT /F1 16.00 Tf" runs)

    src = tmp_path / "n.pdf"
    src.write_bytes(resp.data)
    info = subprocess.run(["pdfinfo", str(src)], capture_output=True, text=True).stdout
    assert "612 x 792 pts" in info  # US Letter
    sizes = [float(x) for x in re.findall(rb"/F\d+ ([\d.]+) Tf", _inflate(resp.data))]
    assert sizes and min(sizes) >= 16.0
    codes, text = read_back(resp.data, tmp_path)
    digits = re.sub(r"\D", "", text)
    assert "233733" in digits and HOTLINE_DIGITS in digits
    assert has_words(headline(app, "vi"), text) and has_words(headline(app, "es"), text)


def _inflate(pdf: bytes) -> bytes:
    import zlib

    out = b""
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out += zlib.decompress(m.group(1))
        except zlib.error:
            continue
    return out


@pytest.mark.parametrize(("query", "expect"), [
    ("languages=en,es,vi&format=a4&mode=ca", "A4 is narrower than 8.5 inches"),
    ("languages=vi,es,en&format=letter&mode=ca", "English, Spanish and one more"),
    ("languages=en,es,ar,fr", "choose 1 to 3"),
    ("languages=xx", "not a shipped language"),
    ("languages=Klingon", "Choose from: English (en), Español (es)"),
    ("numbers=5550100", "not a verified number"),
    ("country=US&numbers=911,911", "1 to 4 different numbers"),
    ("format=a3", "not a format we print"),
    ("target=nowhere", "not a page the code can open"),
    ("country=ZZ", "no verified hotline"),
    ("organisation=" + "x" * 81, "at most 80 characters"),
])
def test_bad_parameters_get_a_400_naming_them(client: FlaskClient, query: str,
                                              expect: str) -> None:
    """Each refusal says which parameter and why."""
    resp = client.get("/en/posters/poster.pdf?" + query)
    assert resp.status_code == 400 and expect in resp.get_data(as_text=True)


def test_png_and_svg_outputs(client: FlaskClient, tmp_path: Path) -> None:
    """The same URL as .png (300 dpi) and .svg; the PNG's QR decodes."""
    from PIL import Image
    from pyzbar.pyzbar import decode

    png = client.get("/en/posters/poster.png?languages=en&format=a5")
    assert png.status_code == 200 and png.mimetype == "image/png"
    with Image.open(io.BytesIO(png.data)) as img:
        assert img.size[0] == pytest.approx(148 / 25.4 * 300, abs=3)
        assert [d.data.decode() for d in decode(img)] == [PUBLIC + "/"]
    svg = client.get("/en/posters/poster.svg?languages=en&format=a5")
    assert svg.status_code == 200 and b"<svg" in svg.data[:500]


def test_builder_page(client: FlaskClient) -> None:
    """The builder shows a preview image of the very same URL."""
    html = client.get("/ar/posters?languages=ar,en&format=cards").get_data(as_text=True)
    assert 'dir="rtl"' in html
    assert "/ar/posters/poster.png?languages=ar%2Cen&amp;format=cards&amp;target=home&amp;" \
        "country=US&amp;numbers=911%2C18883737888" in html


def test_qr_module_size() -> None:
    """At the smallest printed size the modules are at least 0.5 mm."""
    url = "http://localhost/zh-Hans/search?category=children-youth"
    _png, modules = render.qr_png(url)
    for minimum in (render.TAB_QR_MM, render.MIN_QR_MM["cards"], render.MIN_QR_MM["poster"]):
        size = render.qr_size(url, minimum)
        assert size >= minimum and size / modules >= 0.5


def test_campaign_short_link_counts_scans_per_day_only(app: Flask, client: FlaskClient,
                                                       tmp_path: Path) -> None:
    """/p/<code> redirects and counts per day; staff see it; the QR prints the short link."""
    from sqlalchemy import select

    from webapp.extensions import db
    from webapp.models import CampaignDay

    app.config["HAVEN_PASSPHRASE_KDF"] = "interactive"
    app.config["HAVEN_ORG_NAME"] = "Example Outreach"
    who = keyed(app)["reviewer"]
    staff = app.test_client()
    sign_in(staff, who)
    resp = staff.post("/staff/campaigns", data={"csrf_token": csrf(staff, "/staff/campaigns"),
                                                "label": "Bus station", "language": "es",
                                                "target": "tip"})
    html = resp.get_data(as_text=True)
    code = re.search(r"<code[^>]*>/p/([a-z0-9]+)</code>", html).group(1)  # type: ignore[union-attr]
    assert "organisation=Example+Outreach" in html and f"campaign={code}" in html
    for _scan in range(3):
        hop = client.get(f"/p/{code}", environ_base={"REMOTE_ADDR": "203.0.113.5"},
                         headers={"User-Agent": "ScanAgent"})
        assert hop.status_code == 302 and hop.headers["Location"] == "/es/tip"
        assert hop.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in hop.headers
    assert client.get("/p/nothere").status_code == 404
    with app.app_context():
        rows = db.session.execute(select(CampaignDay.code, CampaignDay.day,
                                         CampaignDay.scans)).all()
    assert len(rows) == 1 and rows[0].scans == 3  # one row: code, day, count — nothing else
    assert ">3<" in staff.get("/staff/campaigns").get_data(as_text=True)
    pdf = client.get(f"/es/posters/poster.pdf?languages=es&campaign={code}")
    codes, _text = read_back(pdf.data, tmp_path)
    assert codes == [f"{PUBLIC}/p/{code}"]
    assert_words_match(app, "es", "a4", "tip", _text)  # the short link opens the tip form
    # The campaign's page decides the words, whatever target the URL names.
    other = client.get(f"/es/posters/poster.pdf?languages=es&format=cards&target=home"
                       f"&campaign={code}")
    (tmp_path / "c").mkdir()
    codes, text = read_back(other.data, tmp_path / "c")
    assert codes and set(codes) == {f"{PUBLIC}/p/{code}"}
    assert_words_match(app, "es", "cards", "tip", text)


def test_bulk_build_renders_one_poster_per_country(app: Flask, tmp_path: Path) -> None:
    """`flask posters build` writes a PDF per country with verified hotlines."""
    runner = app.test_cli_runner()
    out = tmp_path / "out"
    res = runner.invoke(args=["posters", "build", "--languages", "en,es", "--format", "letter",
                              "--out", str(out), "--base-url", "https://help.example.org"])
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in out.glob("*.pdf"))
    assert "US-letter.pdf" in files and len(files) >= 10
    codes, text = read_back((out / "US-letter.pdf").read_bytes(), tmp_path)
    assert codes == ["https://help.example.org/"]
    bad = runner.invoke(args=["posters", "build", "--languages", "en,es,ar,fr", "--out",
                              str(out), "--base-url", "https://x.example"])
    assert bad.exit_code != 0 and "choose 1 to 3" in bad.output


def test_arabic_headline_in_the_pdf_uses_joined_forms(client: FlaskClient, app: Flask,
                                                      tmp_path: Path) -> None:
    """Measured in the PDF: the word's width is HarfBuzz's joined width, not the isolated sum."""
    import uharfbuzz as hb

    src = tmp_path / "ar.pdf"
    src.write_bytes(client.get("/ar/posters/poster.pdf?languages=ar&format=a4").data)
    out = subprocess.run(["pdftotext", "-bbox", str(src), "-"], capture_output=True, text=True,
                         check=True).stdout
    boxes = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" '
                       r'yMax="[\d.]+">([^<]*)</word>', out)
    word = "العمل"
    assert word in headline(app, "ar")
    found = [float(x1) - float(x0) for x0, x1, t in boxes if t in (word, word[::-1])]
    assert found, "the word was not found in the PDF"
    _regular, bold = fonts.font_files("arabic")
    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(bold))))

    def width(text: str) -> float:
        buf = hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        hb.shape(font, buf, {})
        return sum(p.x_advance for p in buf.glyph_positions) / font.face.upem * 30  # 30 pt

    # The headline's size depends on the layout: compare against "أو", whose letters never
    # join, so its width is the same shaped or not.
    ref = "أو"
    ref_found = [float(x1) - float(x0) for x0, x1, t in boxes if t in (ref, ref[::-1])]
    assert ref_found, "the reference word was not found in the PDF"
    joined, isolated = width(word) / width(ref), sum(width(ch) for ch in word) / width(ref)
    assert abs(isolated - joined) > 0.3
    assert found[0] / ref_found[0] == pytest.approx(joined, rel=0.02)




def reference_number(country: str, service_contains: str) -> str:
    """A number as the sourced reference lists it (first of phone_local)."""
    import csv

    with HOTLINES_CSV.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["country"] == country and service_contains in row["service"]:
                return re.split(r"[;(]", row["phone_local"])[0].strip()
    raise AssertionError(f"{country} {service_contains} not in hotlines.csv")


@pytest.mark.parametrize(("path", "lang", "expect"), [
    ("/", "ar,en;q=0.5", "/ar/"),
    ("/", "es-MX", "/es/"),
    ("/tip", "fa", "/fa/tip"),
    ("/search?category=legal-aid", "ti", "/ti/search?category=legal-aid"),
])
def test_qr_target_serves_the_readers_language(client: FlaskClient, tmp_path: Path, path: str,
                                               lang: str, expect: str) -> None:
    """The code printed on an English poster opens the reader's language (Accept-Language)."""
    target = {"/": "home", "/tip": "tip"}.get(path, "legal-aid")
    pdf = client.get(f"/en/posters/poster.pdf?languages=en&format=a5&target={target}")
    codes, _text = read_back(pdf.data, tmp_path)
    assert codes == [PUBLIC + path]
    hop = client.get(path, headers={"Accept-Language": lang})
    assert hop.status_code == 302 and hop.headers["Location"] == expect
    assert "Accept-Language" in hop.headers["Vary"]
    page = client.get(expect)
    assert page.status_code == 200 and f'lang="{expect.split("/")[1]}"' in page.get_data(True)


def test_uk_poster_prints_the_modern_slavery_helpline(client: FlaskClient,
                                                      tmp_path: Path) -> None:
    """By default: the emergency number and the country's trafficking hotline (reference data)."""
    helpline = reference_number("GB", "Modern Slavery")
    emergency = reference_number("GB", "Emergency")
    pdf = client.get("/en/posters/poster.pdf?languages=en&format=a4&country=GB")
    _codes, text = read_back(pdf.data, tmp_path)
    digits = re.sub(r"\D", "", text)
    assert re.sub(r"\D", "", helpline) in digits
    assert re.sub(r"\D", "", emergency) in digits
    assert "101" not in text.split()  # not picked unless the NGO asks for it
    for fmt in ("tearoff", "cards"):
        other = client.get(f"/en/posters/poster.pdf?languages=en&format={fmt}&country=GB")
        (tmp_path / fmt).mkdir()
        _c, t = read_back(other.data, tmp_path / fmt)
        assert re.sub(r"\D", "", helpline) in re.sub(r"\D", "", t), fmt


def test_numbers_are_the_ngos_choice(client: FlaskClient, tmp_path: Path) -> None:
    """numbers= picks which verified lines are printed, in that order."""
    pdf = client.get("/en/posters/poster.pdf?languages=en&format=a5&country=GB&numbers=101,999")
    assert pdf.status_code == 200
    _codes, text = read_back(pdf.data, tmp_path)
    assert "101" in text.split() and "08000" not in text


@pytest.mark.parametrize("fmt", ["a4", "cards", "stickers"])
def test_number_labels_in_every_language_on_the_sheet(app: Flask, client: FlaskClient,
                                                      tmp_path: Path, fmt: str) -> None:
    """Each printed number is labelled in English, Spanish and Arabic on one sheet."""
    pdf = client.get(f"/en/posters/poster.pdf?languages=en,es,ar&format={fmt}&country=US")
    _codes, text = read_back(pdf.data, tmp_path)
    flat = plain(text)
    for babel_id in ("en", "es", "ar"):
        with app.test_request_context(), force_locale(babel_id):
            for label in (_("Emergency"), _("Confidential helpline")):
                assert plain(label) in flat, (babel_id, label)


def test_languages_by_name_or_code(client: FlaskClient) -> None:
    """NGOs may type names ("English, Spanish") or short codes ("zh"); the URL is canonical."""
    html = client.get("/en/posters?languages=English,%20Spanish&format=a5").get_data(True)
    assert "languages=en%2Ces" in html
    assert client.get("/en/posters/poster.pdf?languages=zh&format=a5").status_code == 200
    boxes = client.get("/ar/posters").get_data(True)
    assert boxes.count('type="checkbox" name="languages"') == 14
    assert 'lang="ti" dir="ltr">ትግርኛ' in boxes


@pytest.mark.parametrize("loc", LOCALES, ids=lambda loc: loc.tag)
def test_the_words_follow_the_target_in_every_language(app: Flask, loc: Any) -> None:
    """Every language the builder offers: a code to the tip form gets the witness's words,
    every other code the words for the person who needs help (the spec the renderer draws)."""
    from webapp.posters import services

    targets = ["home", "tip", *services.TARGETS[2:4]]
    with app.test_request_context(f"/{loc.tag}/posters"):
        for target in targets:
            req = services.parse({"languages": loc.tag, "target": target, "country": "US"})
            spec = services.spec_for(req)
            (block,) = spec.blocks
            with force_locale(loc.babel):
                expect = words.words(target)
            assert (block.headline, block.body, block.scan, block.call) == (
                expect.headline, expect.body, expect.scan, expect.call), target
            witness = target == "tip"
            assert spec.url.endswith("/tip") is witness
            with force_locale(loc.babel):
                assert (block.scan == _("Scan for help in your language")) is not witness


@pytest.mark.parametrize("target", ["home", "tip"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_png_words_and_code_match_the_target(app: Flask, client: FlaskClient,
                                             monkeypatch: pytest.MonkeyPatch, fmt: str,
                                             target: str) -> None:
    """The PNG a builder downloads: its QR decodes to the target, and the lines drawn into it
    (the spec handed to the renderer) are that target's, in each language on the sheet."""
    from PIL import Image
    from pyzbar.pyzbar import decode

    drawn: list[render.Spec] = []
    real = render.render_pdf

    def spy(spec: render.Spec) -> bytes:
        drawn.append(spec)
        return real(spec)

    monkeypatch.setattr(render, "render_pdf", spy)
    resp = client.get("/en/posters/poster.png", query_string={
        "languages": "en,ar", "format": fmt, "target": target, "country": "US"})
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    with Image.open(io.BytesIO(resp.data)) as img:
        codes = {d.data.decode() for d in decode(img.convert("L"))}
    assert codes == {PUBLIC + OPENS[target]}
    (spec,) = drawn
    assert spec.url == PUBLIC + OPENS[target]
    for block, babel_id in zip(spec.blocks, ("en", "ar"), strict=True):
        mine, other = said(app, babel_id, target), said(app, babel_id, OTHER[target])
        assert (block.headline, block.scan, block.call) == (mine.headline, mine.scan, mine.call)
        assert other.scan != block.scan and other.call != block.call


FORBIDDEN = ("127.0.0.1", "localhost", "evil.example", "[::1]")


def qr_payloads(resp: Any, tmp: Path) -> list[str]:
    """Every QR payload in a poster response (PDF or PNG); none in anything else."""
    from PIL import Image
    from pyzbar.pyzbar import decode

    if resp.mimetype == "application/pdf":
        tmp.mkdir(parents=True, exist_ok=True)
        return read_back(resp.data, tmp)[0]
    if resp.mimetype == "image/png":
        with Image.open(io.BytesIO(resp.data)) as img:
            return [d.data.decode() for d in decode(img)]
    return []


@pytest.mark.parametrize("public", ["", "help.example.org", "  "])
def test_without_a_public_address_no_code_prints_a_guessed_one(
        app: Flask, client: FlaskClient, tmp_path: Path, public: str) -> None:
    """Unset (or not an http(s) address): no poster prints a code to the loopback address or
    to the request's Host; the refusal says who can fix it and is never cached."""
    app.config["HAVEN_PUBLIC_URL"] = public
    with app.test_request_context(), force_locale("en"):
        from webapp.posters import services

        message = services.no_address_message()
    assert "HAVEN_PUBLIC_URL" in message
    queries = [f"languages=en&format={fmt}&target=tip" for fmt in FORMATS]
    queries += ["languages=ar&format=a5&target=home", "languages=en&format=a5&preview=1"]
    for i, query in enumerate(queries):
        for output in ("pdf", "png", "svg"):
            for base in ("http://127.0.0.1:5077", "http://evil.example"):
                resp = client.get(f"/en/posters/poster.{output}?{query}", base_url=base)
                found = qr_payloads(resp, tmp_path / f"{i}{output}{base[-4:]}")
                assert not [c for c in found if any(h in c for h in FORBIDDEN)], found
                assert resp.status_code == 503, (query, output, resp.status_code)
                assert resp.headers["Cache-Control"] == "no-store"
                assert message in resp.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_builder_warns_without_a_public_address(app: Flask, client: FlaskClient,
                                                lang: str) -> None:
    """The builder says, in the page's language, that printed codes need the public address
    (HAVEN_PUBLIC_URL) and offers nothing to print until it is set."""
    from webapp.i18n import BY_TAG
    from webapp.posters import services

    app.config["HAVEN_PUBLIC_URL"] = ""
    query = "languages=en&format=a5&target=tip&country=US"
    html = client.get(f"/{lang}/posters?{query}").get_data(as_text=True)
    with app.test_request_context(), force_locale(BY_TAG[lang].babel):
        warning = services.no_address_message()
    assert re.search(r'<p class="alert" role="alert">([^<]*)</p>', html).group(1) == \
        str(escape(warning))  # type: ignore[union-attr]
    assert "HAVEN_PUBLIC_URL" in warning and "/posters/poster." not in html
    app.config["HAVEN_PUBLIC_URL"] = PUBLIC
    html = client.get(f"/{lang}/posters?{query}").get_data(as_text=True)
    assert 'class="alert"' not in html and "HAVEN_PUBLIC_URL" not in html
    assert f"/{lang}/posters/poster.png?languages=en&amp;format=a5&amp;target=tip" in html


@pytest.mark.parametrize("public", ["https://help.example.org/", "https://example.org/haven"])
def test_with_a_public_address_the_code_is_exactly_it(app: Flask, client: FlaskClient,
                                                      tmp_path: Path, public: str) -> None:
    """The QR decodes to HAVEN_PUBLIC_URL + the path, whatever Host the request came with."""
    app.config["HAVEN_PUBLIC_URL"] = public
    base = public.rstrip("/")
    for i, (target, path) in enumerate([("tip", "/tip"), ("home", "/"),
                                        ("legal-aid", "/search?category=legal-aid")]):
        resp = client.get(f"/en/posters/poster.pdf?languages=en&format=a5&target={target}",
                          base_url="http://evil.example:8080")
        assert resp.status_code == 200
        assert qr_payloads(resp, tmp_path / str(i)) == [base + path]


def test_public_cache_stays_sane(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    """A poster is cacheable by anyone because it depends on its URL alone: no cookie, and the
    same URL gives the same code and words whatever the Host, language or cookies sent; each
    organisation name is its own URL."""
    query = "languages=en&format=a5&target=tip&country=US&organisation=Fresno%20Outreach"
    first = client.get(f"/en/posters/poster.pdf?{query}")
    assert first.headers["Cache-Control"] == "public, max-age=3600"
    assert "Set-Cookie" not in first.headers and "Cookie" not in first.headers.get("Vary", "")
    other = app.test_client()
    other.set_cookie("session", "x")
    second = other.get(f"/en/posters/poster.pdf?{query}", base_url="http://evil.example",
                       headers={"Accept-Language": "ar"})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, two = read_back(first.data, tmp_path / "a"), read_back(second.data, tmp_path / "b")
    assert one == two and one[0] == [PUBLIC + "/tip"] and "Fresno Outreach" in one[1]
    renamed = client.get(f"/en/posters/poster.pdf?{query.replace('Fresno', 'Visalia')}")
    (tmp_path / "c").mkdir()
    assert "Visalia Outreach" in read_back(renamed.data, tmp_path / "c")[1]
