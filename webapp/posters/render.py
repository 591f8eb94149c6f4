"""Poster bytes from a spec: a pure function, easy to test and to cache.

Text comes from the translation catalogues (rendered under each language's locale), is shaped by
HarfBuzz (Arabic joining, Devanagari conjuncts) in fonts found on the system, and phone numbers
are wrapped in Unicode isolates so they stay left-to-right inside right-to-left lines.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import qrcode
from fpdf import FPDF
from fpdf.enums import MethodReturnValue
from qrcode.constants import ERROR_CORRECT_Q

from webapp import fonts
from webapp.i18n import BY_TAG
from webapp.isolating_pdf import IsolatingPDF
from webapp.posters.spec import (  # noqa: F401 - render.Spec etc. for callers
    FORMATS,
    MIN_QR_MM,
    TAB_QR_MM,
    Block,
    Line,
    MissingGlyphs,
    Spec,
)

LRI, PDI = "\u2066", "\u2069"

def qr_png(url: str, box: int = 10) -> tuple[bytes, int]:
    """A QR code (error correction Q, 4-module quiet zone) as PNG; returns (png, modules)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=4, box_size=box)
    code.add_data(url)
    code.make(fit=True)
    img = code.make_image(fill_color="black", back_color="white")
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue(), code.modules_count + 8


def qr_size(url: str, minimum: float) -> float:
    """Printed side in mm: at least `minimum`, and at least 0.55 mm per module (quiet zone in)."""
    _png, modules = qr_png(url, box=1)
    return max(minimum, modules * 0.55)


def isolate_numbers(text: str) -> str:
    """Wrap a phone number so bidi never reverses it (U+2066 ... U+2069)."""
    return f"{LRI}{text}{PDI}"


class Poster(IsolatingPDF):
    """An FPDF with Haven's fonts registered and shaping on."""

    def __init__(self, width: float, height: float, tags: list[str]) -> None:
        super().__init__(unit="mm", format=(width, height))
        self.set_auto_page_break(False)
        self.set_margins(12, 12, 12)
        scripts = dict.fromkeys(["latin", *(fonts.script_for(t) for t in tags)])
        for script in scripts:
            regular, bold = fonts.font_files(script)  # MissingFont was checked before
            self.add_font(script, fname=str(regular))
            self.add_font(script, style="B", fname=str(bold))
        # Any script's font may stand in for glyphs another lacks (Latin digits in Naskh, ...).
        self.set_fallback_fonts(list(scripts), exact_match=False)

    def use(self, tag: str, size: float, bold: bool = False) -> None:
        """Font, size and shaping direction for one language."""
        loc = BY_TAG[tag]
        self.set_font(fonts.script_for(tag), "B" if bold else "", size)
        self.set_text_shaping(True, direction=loc.direction, language=tag.split("-")[0])

    def para(self, tag: str, text: str, size: float, bold: bool = False,
             width: float = 0, align: str = "", dry: bool = False) -> float:
        """A wrapped paragraph in the language's direction; returns its height in mm.

        With dry=True nothing is drawn: the layout measures before it commits.
        """
        self.use(tag, size, bold)
        rtl = BY_TAG[tag].direction == "rtl"
        lines = self.multi_cell(width or self.epw, size * 0.45, text,
                                align=align or ("R" if rtl else "L"), new_x="LMARGIN",
                                new_y="NEXT", dry_run=dry, output=MethodReturnValue.LINES)
        assert isinstance(lines, list)  # noqa: S101 - MethodReturnValue.LINES gives a list
        return len(lines) * size * 0.45


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    size = qr_size(url, size)
    png, _modules = qr_png(url)
    pdf.image(io.BytesIO(png), x=x, y=y, w=size, h=size)


def _poster_flow(pdf: Poster, spec: Spec, scale: float, qr_mm: float, dry: bool) -> float:
    """Lay the poster out at one scale (or only measure it); returns the height used.

    Order: organisation, each language's headline and message, then the numbers, each
    labelled in every language on the sheet and printed large, then the QR code.
    """
    n = len(spec.blocks)
    min_pt = 16.0 if spec.state_notice else 9.0
    k = scale * (pdf.w / 210) * (1.0 if n == 1 else 0.8 if n == 2 else 0.65)
    headline_pt, body_pt = max(min_pt, 30 * k), max(min_pt, 15 * k)
    label_pt, number_pt = max(min_pt, 13 * k), max(min_pt, 44 * k * (1.0 if n == 1 else 0.85))
    used = 0.0
    if spec.organisation:
        used += pdf.para(spec.blocks[0].tag, spec.organisation, max(min_pt, 12 * k), bold=True,
                         dry=dry)
    for b in spec.blocks:
        used += pdf.para(b.tag, b.headline, headline_pt, bold=True, dry=dry)
        used += pdf.para(b.tag, b.body, body_pt, dry=dry) + 2
        if not dry:
            pdf.ln(2)
    for i in range(len(spec.blocks[0].lines)):
        for b in spec.blocks:  # the label in every language, each in its own direction
            used += pdf.para(b.tag, b.lines[i].name, label_pt, bold=True, dry=dry)
        number = spec.blocks[0].lines[i].number
        used += pdf.para(spec.blocks[0].tag, isolate_numbers(number), number_pt, bold=True,
                         align="C", dry=dry) + 2
        if not dry:
            pdf.ln(2)
    used += qr_mm + 3 + max(min_pt, 11) * 0.45 * 2
    if not dry:
        y = pdf.get_y() + 2
        _qr(pdf, spec.url, (pdf.w - qr_mm) / 2, y, qr_mm)
        pdf.set_y(y + qr_mm + 1)
        pdf.para(spec.blocks[0].tag, " / ".join(b.scan for b in spec.blocks), max(min_pt, 11),
                 align="C")
    return used


def _poster_page(pdf: Poster, spec: Spec, qr_mm: float, bottom: float) -> None:
    """The largest layout that fits the page: on A4 the numbers fill the sheet."""
    pdf.add_page()
    qr_mm = qr_size(spec.url, qr_mm)
    room = bottom - pdf.t_margin

    def qr_at(scale: float) -> float:
        return min(qr_mm * max(1.0, scale), 70.0)

    # Text height grows about with the square of the scale (bigger type, and more lines at the
    # same width), so a few measured steps converge; each step is a dry run (no drawing).
    scale, best = 1.0, 0.0
    for _step in range(4):
        used = _poster_flow(pdf, spec, scale, qr_at(scale), dry=True)
        if used <= room:
            best = max(best, scale)
            if used > room * 0.95:
                break
        scale *= (room / used) ** 0.5 * (0.99 if used > room else 1.0)
    if best == 0.0:  # never fitted: shrink until it does (long texts in three languages)
        scale = min(scale, 1.0)
        while scale > 0.3 and _poster_flow(pdf, spec, scale, qr_at(scale), dry=True) > room:
            scale *= 0.9
        best = scale
    _poster_flow(pdf, spec, best, qr_at(best), dry=False)


def _cut_marks(pdf: FPDF, x: float, y: float, w: float, h: float) -> None:
    pdf.set_draw_color(120)
    pdf.set_line_width(0.2)
    for cx, cy in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)):
        pdf.line(cx - 4, cy, cx - 1, cy)
        pdf.line(cx + 1, cy, cx + 4, cy)
        pdf.line(cx, cy - 4, cx, cy - 1)
        pdf.line(cx, cy + 1, cx, cy + 4)


def _grid(pdf: Poster, spec: Spec, cols: int, rows: int, w: float, h: float,
          qr_mm: float, marks: bool) -> None:
    pdf.add_page()
    x0 = (pdf.w - cols * w) / 2
    y0 = (pdf.h - rows * h) / 2
    png, _ = qr_png(spec.url)
    qr_mm = qr_size(spec.url, qr_mm)
    for r in range(rows):
        for c in range(cols):
            x, y = x0 + c * w, y0 + r * h
            if marks:
                _cut_marks(pdf, x, y, w, h)
            else:
                pdf.set_draw_color(180)
                pdf.rect(x + 1, y + 1, w - 2, h - 2)
            pdf.image(io.BytesIO(png), x=x + 3, y=y + (h - qr_mm) / 2, w=qr_mm, h=qr_mm)
            text_w = w - qr_mm - 9
            pdf.set_xy(x + qr_mm + 5, y + 4)
            for b in spec.blocks:
                pdf.set_x(x + qr_mm + 5)
                pdf.para(b.tag, b.call, 7.5, bold=True, width=text_w)
            for i, line in enumerate(spec.blocks[0].lines):
                for b in spec.blocks:  # labelled in every language on the sheet
                    pdf.set_x(x + qr_mm + 5)
                    pdf.para(b.tag, b.lines[i].name, 6.5, width=text_w)
                pdf.set_x(x + qr_mm + 5)
                pdf.para(spec.blocks[0].tag, isolate_numbers(line.number), 9.5, bold=True,
                         width=text_w)


def _tearoff(pdf: Poster, spec: Spec) -> None:
    tab_h = 55.0
    _poster_page(pdf, spec, MIN_QR_MM["tearoff"], pdf.h - tab_h - 4)
    tabs = 8
    w = (pdf.w - 10) / tabs
    top = pdf.h - tab_h - 2
    pdf.set_draw_color(120)
    pdf.set_dash_pattern(dash=1.5, gap=1.5)
    pdf.line(5, top, pdf.w - 5, top)
    png, _ = qr_png(spec.url)
    tab_qr = min(qr_size(spec.url, TAB_QR_MM), w - 1)
    numbers = [line.number for line in spec.blocks[0].lines][:2]  # every tab, both numbers
    for i in range(tabs):
        x = 5 + i * w
        if i:
            pdf.line(x, top, x, pdf.h - 2)
        pdf.image(io.BytesIO(png), x=x + (w - tab_qr) / 2, y=top + 2, w=tab_qr, h=tab_qr)
        with pdf.rotation(90, x + w / 2, top + 38):
            pdf.set_font("latin", "B", 8.5)  # digits: every Latin font has them
            pdf.set_text_shaping(True, direction="ltr")
            for j, number in enumerate(numbers):
                pdf.text(x + w / 2 - 14, top + 37 + j * 4.2, number)
    pdf.set_dash_pattern()


def render_pdf(spec: Spec) -> bytes:
    """The PDF for a spec."""
    width, height, kind = FORMATS[spec.format]
    tags = [b.tag for b in spec.blocks]
    scripts = list(dict.fromkeys(["latin", *(fonts.script_for(t) for t in tags)]))
    words = " ".join([spec.organisation, *(" ".join([b.headline, b.body, b.scan, b.call,
                                                     *(f"{ln.name} {ln.number}" for ln in b.lines)])
                                            for b in spec.blocks)])
    gaps = fonts.uncovered(words, scripts)
    if gaps:  # HarfBuzz would draw these as .notdef boxes: refuse before rendering
        raise MissingGlyphs(gaps)
    pdf = Poster(width, height, tags)
    pdf.set_title(spec.blocks[0].headline)
    pdf.set_creator("Haven")
    if kind == "poster":
        _poster_page(pdf, spec, MIN_QR_MM["poster"], height - 12)
    elif kind == "cards":
        _grid(pdf, spec, 2, 5, 85, 55, MIN_QR_MM["cards"] + 6, marks=True)
    elif kind == "stickers":
        _grid(pdf, spec, 2, 4, 90, 65, MIN_QR_MM["stickers"] + 10, marks=False)
    else:
        _tearoff(pdf, spec)
    body = bytes(pdf.output())
    missing = sorted({f"U+{cp:04X}" for font in pdf.fonts.values()
                      for cp in getattr(font, "missing_glyphs", [])})
    if missing:  # a box instead of a letter is worse than no poster
        raise MissingGlyphs(missing)
    return body


def _poppler(args: list[str], pdf: bytes, suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        out = Path(tmp) / "out"
        subprocess.run([*args, str(src), str(out)],  # noqa: S603 - fixed poppler commands
                       check=True, capture_output=True, timeout=60)
        found = sorted(Path(tmp).glob("out*" + suffix))
        return found[0].read_bytes()


def render(spec: Spec, output: str, dpi: int = 300) -> bytes:
    """PDF, PNG (first page, at dpi) or SVG bytes."""
    pdf = render_pdf(spec)
    if output == "pdf":
        return pdf
    if output == "png":
        return _poppler(["pdftoppm", "-png", "-r", str(dpi), "-singlefile"], pdf, ".png")
    if output == "svg":
        return _poppler(["pdftocairo", "-svg", "-l", "1"], pdf, "")
    raise ValueError(output)


