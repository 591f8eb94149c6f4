"""Posters read back: rasterised with pdftoppm, QR decoded with zbar, text with pdftotext."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_babel import gettext as _

from tests.conftest import missing
from webapp import fonts
from webapp.i18n import LOCALES
from webapp.posters import render

FORMATS = list(render.FORMATS)
HEADLINE = "Are you being forced to work or to sell sex? You are not alone."
HOTLINE_DIGITS = "18883737888"  # US national hotline, from hotlines.csv via services_data


@pytest.fixture(scope="module", autouse=True)
def tools() -> None:
    """poppler and zbar are real requirements: missing in CI is a failure."""
    for tool in ("pdftoppm", "pdftotext", "pdffonts"):
        if shutil.which(tool) is None:
            missing(f"{tool} (apt-get install poppler-utils)")
    try:
        import pyzbar.pyzbar  # noqa: F401
    except (ImportError, OSError):
        missing("zbar (apt-get install libzbar0; pip install pyzbar)")


def plain(text: str) -> str:
    """Text for comparison: NFKC, no marks, no spaces, no bidi controls."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch)
                   not in ("Mn", "Cf"))


def read_back(pdf: bytes, tmp: Path) -> tuple[list[str], str]:
    """(decoded QR payloads of every page at 150 dpi, pdftotext output)."""
    from PIL import Image
    from pyzbar.pyzbar import decode

    src = tmp / "p.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(src), str(tmp / "page")], check=True)
    found: list[str] = []
    for page in sorted(tmp.glob("page*.png")):
        with Image.open(page) as img:
            found += [d.data.decode() for d in decode(img)]
    text = subprocess.run(["pdftotext", str(src), "-"], check=True, capture_output=True,
                          text=True).stdout
    return found, text


def has_words(sentence: str, text: str) -> bool:
    """Every word of the sentence is in the extracted text. pdftotext may reorder the words
    of a wrapped right-to-left line, and moves its full stop, though the page is right."""
    flat = plain(text)
    return all(plain(w).strip(".,?!؟،") in flat for w in sentence.split())


def headline(app: Flask, babel_id: str) -> str:
    with app.test_request_context(), force_locale(babel_id):
        return str(_(HEADLINE))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("loc", LOCALES, ids=lambda loc: loc.tag)
def test_every_format_in_every_locale_reads_back(app: Flask, client: FlaskClient, fmt: str,
                                                 loc: Any, tmp_path: Path) -> None:
    """Each QR decodes to the expected URL; the hotline and the localised words are there."""
    resp = client.get(f"/{loc.tag}/posters/poster.pdf",
                      query_string={"languages": loc.tag, "format": fmt, "target": "tip",
                                    "country": "US"})
    assert resp.status_code == 200, resp.data[:300]
    codes, text = read_back(resp.data, tmp_path)
    assert codes, "no QR code decoded"
    assert set(codes) == {"http://localhost/tip"}  # the phone's language decides
    flat = plain(text)
    assert HOTLINE_DIGITS in re.sub(r"\D", "", text)
    if fmt in ("a4", "letter", "a5", "tearoff"):
        assert has_words(headline(app, loc.babel), text)
    else:
        with app.test_request_context(), force_locale(loc.babel):
            assert plain(_("Need help? Call or scan:")) in flat


def test_three_languages_rtl_and_complex_script(client: FlaskClient, app: Flask,
                                                tmp_path: Path) -> None:
    """en + ar + hi on one poster: all three headlines, one QR, fonts embedded."""
    resp = client.get("/en/posters/poster.pdf?languages=ar,hi,en&format=a4&target=legal-aid")
    codes, text = read_back(resp.data, tmp_path)
    assert codes == ["http://localhost/search?category=legal-aid"]
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
        assert [d.data.decode() for d in decode(img)] == ["http://localhost/"]
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

    from tests.tips_helpers import csrf, keyed, sign_in
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
    code = re.search(r"<code>/p/([a-z0-9]+)</code>", html).group(1)  # type: ignore[union-attr]
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
    assert codes == [f"http://localhost/p/{code}"]


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


REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "hotlines.csv"


def reference_number(country: str, service_contains: str) -> str:
    """A number as the sourced reference lists it (first of phone_local)."""
    import csv

    with REFERENCE.open(encoding="utf-8") as fh:
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
    assert codes == ["http://localhost" + path]
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
