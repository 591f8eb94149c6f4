"""The booklet's PDF: A5 or half-letter pages, 1 or 2 languages. The cover
has the emergency number and the national hotline, large; then the listings grouped by kind of
help, each with its phone, hours, town and a QR code to its page. Fonts and shaping as on
posters (HarfBuzz; Arabic joins, Devanagari conjuncts; numbers isolated left-to-right)."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import qrcode
from flask_babel import format_date
from flask_babel import gettext as _
from qrcode.constants import ERROR_CORRECT_Q

from webapp import fonts, i18n
from webapp.booklet.services import Contents, Entry
from webapp.directory import taxonomy
from webapp.directory.presenters import ServiceView
from webapp.posters.render import Poster, isolate_numbers
from webapp.posters.spec import MissingGlyphs

PAPERS = {"a5": (148.0, 210.0), "half-letter": (139.7, 215.9)}
QR_MM = 17.0
MARGIN = 11.0
MODULE_MM = 0.55  # the smallest printed module that cheap phones still read (as on posters)
SURE_FIT_MM = 80.0  # more room than any listing takes: draw without measuring first
NO_ISOLATES = {ord(c): None for c in "\u2066\u2067\u2068\u2069"}
VOICE = ("voice", "")  # a number to call needs no label
# Between the days of a week: the script's own semicolon (Arabic and Persian "؛", Ethiopic
# "፤", Chinese full width); a Latin ";" reads as a stray mark there.
def qr(url: str, minimum: float) -> tuple[bytes, float]:
    """(PNG, printed side in mm) of a QR code (level Q, 4-module quiet zone). The mask is
    fixed instead of searched: a valid code either way, and 8 times faster, which matters
    with a code per listing."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=4, box_size=6,
                         mask_pattern=2)
    code.add_data(url)
    code.make(fit=True)
    buf = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buf)
    return buf.getvalue(), max(minimum, (code.modules_count + 8) * MODULE_MM)


@dataclass
class Words:
    """The booklet's own words in one language."""

    title: str
    checked: str
    example: str
    always: str
    no_hours: str
    scan: str
    page: str
    kinds: dict[str, str]  # category code -> its name


def _words(tag: str, checked_on: dt.date) -> Words:
    with i18n.speaking(tag):
        return Words(
            title=_("Where to find help"),
            checked=_("Listings checked on %(date)s. Call before you go: details change.",
                      date=format_date(checked_on, "long")),
            example=_("Example listing"),
            always=_("Open 24 hours a day, 7 days a week"),
            no_hours=_("Hours not listed: call before you go."),
            scan=_("Scan for the latest details"),
            page=_("Page %(n)s", n="{n}"),
            kinds={code: str(taxonomy.BY_CODE[(taxonomy.CATEGORIES, code)].label)
                   for code in taxonomy.CATEGORY_CODES})


class Booklet(Poster):
    """A Poster with page numbers and page breaks for a flowing text."""

    def __init__(self, width: float, height: float, tags: list[str], words: dict[str, Words]
                 ) -> None:
        super().__init__(width, height, tags)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.tags = tags
        self.words = words
        self.scripts = {"latin", *(fonts.script_for(t) for t in tags)}  # the fonts loaded

    def footer(self) -> None:
        """The page number, in the first language."""
        if self.page_no() > 1:
            self.set_y(self.h - MARGIN + 3)
            tag = self.tags[0]
            self.para(tag, self.words[tag].page.replace("{n}", str(self.page_no())), 7,
                      align="C")

    def para(self, tag: str, text: str, size: float, bold: bool = False,
             width: float = 0, align: str = "", dry: bool = False) -> float:
        """As Poster.para, but a text that fits on one line is drawn as a cell: fpdf2's line
        breaking shapes a text once per character, a cell once (most lines here are short)."""
        self.use(tag, size, bold)
        room = width or self.epw
        if self.get_string_width(text.translate(NO_ISOLATES)) > room - 1:
            return super().para(tag, text, size, bold, width, align, dry)
        if not dry:
            rtl = i18n.BY_TAG[tag].direction == "rtl"
            self.cell(room, size * 0.45, text, align=align or ("R" if rtl else "L"),
                      new_x="LMARGIN", new_y="NEXT")
        return size * 0.45

    def room(self) -> float:
        """Millimetres left on this page."""
        return self.h - MARGIN - self.get_y()


def _cover(pdf: Booklet, contents: Contents, words: dict[str, Words]) -> None:
    req = contents.request
    tags = req.languages
    pdf.add_page()
    for tag in tags:
        pdf.para(tag, words[tag].title, 20, bold=True)
    if req.region:
        pdf.para(tags[0], req.region, 13)
    pdf.ln(4)
    for line in contents.lines:
        _names(pdf, line, tags, 11)
        for i, phone in enumerate(line.views[tags[0]].phones[:2]):
            if phone.kind not in VOICE:  # "Text" in each language, above its number
                for tag, label in _each(tags, [line.views[t].phones[i].label for t in tags]):
                    pdf.para(tag, label, 10, bold=True, align="C")
            pdf.para(tags[0], isolate_numbers(phone.number), 24, bold=True, align="C")
        pdf.ln(3)
    home = f"{req.base_url}/"  # no language in it: the phone's own language opens
    for tag in tags:
        pdf.para(tag, words[tag].scan, 8, align="C")
    png, size = qr(home, 24)
    y = max(pdf.get_y() + 2, pdf.h - MARGIN - size - 28)
    pdf.image(io.BytesIO(png), x=(pdf.w - size) / 2, y=y, w=size, h=size)
    pdf.set_y(y + size + 1)
    pdf.para(tags[0], isolate_numbers(home), 8, align="C")
    for tag in tags:
        pdf.para(tag, words[tag].checked, 8, align="C")


def _each(tags: list[str], texts: list[str]) -> list[tuple[str, str]]:
    """(language, text) for each language's text, once when two read the same."""
    seen: list[str] = []
    out = []
    for tag, text in zip(tags, texts, strict=True):
        if text not in seen:
            seen.append(text)
            out.append((tag, text))
    return out


def _name_tag(pdf: Booklet, view: ServiceView, tag: str) -> str:
    """The language a name is drawn in: its own when it is the untranslated original (so an
    English name in an Arabic part keeps its left-to-right order) and its font is loaded."""
    own = i18n.match_tag(view.name_lang) if view.name_lang else None
    return own.tag if own is not None and fonts.script_for(own.tag) in pdf.scripts else tag


def _names(pdf: Booklet, entry: Entry, tags: list[str], size: float, width: float = 0,
           dry: bool = False) -> float:
    """Each language's name of a listing: its stored translation, else the original as it is
    (names of organisations are not translated), once when they read the same."""
    used = 0.0
    for tag, name in _each(tags, [entry.views[t].name for t in tags]):
        side = "R" if i18n.BY_TAG[tag].direction == "rtl" else "L"  # the part's own edge
        used += pdf.para(_name_tag(pdf, entry.views[tag], tag), name, size, bold=True,
                         width=width, align=side, dry=dry)
    return used


def hours_text(view: ServiceView, tag: str) -> str:
    """Every day of the week with its times, in the view's language, on one flowing line."""
    sep = i18n.separators(tag)[1]
    # a no-break space: a wrapped line never leaves a day's name apart from its times
    return sep.join(f"{day}\u00a0{isolate_numbers(times)}" for day, times in view.hours)


def _entry_text(pdf: Booklet, entry: Entry, tags: list[str], words: dict[str, Words],
                width: float, dry: bool) -> float:
    first = entry.views[tags[0]]
    used = 0.0
    if first.is_demo:
        used += pdf.para(tags[0], " / ".join(words[t].example for t in tags), 7.5, bold=True,
                         width=width, dry=dry)
    used += _names(pdf, entry, tags, 10.5, width, dry)
    for i, phone in enumerate(first.phones[:3]):
        number = isolate_numbers(phone.number)
        if phone.kind in VOICE:
            used += pdf.para(tags[0], number, 10, width=width, dry=dry)
            continue
        for tag, label in _each(tags, [entry.views[t].phones[i].label for t in tags]):
            used += pdf.para(tag, f"{label}: {number}", 10, width=width, dry=dry)
    for tag in tags:  # the hours in every language: a day left out reads as closed
        view = entry.views[tag]
        text = (words[tag].always if view.always_open else
                words[tag].no_hours if view.open_now is None else hours_text(view, tag))
        used += pdf.para(tag, text, 8, width=width, dry=dry)
    if first.town:  # the town only: a confidential street is never in a view
        used += pdf.para(tags[0], first.town, 8.5,
                         width=width, dry=dry)
    return used


def _entry(pdf: Booklet, entry: Entry, tags: list[str], words: dict[str, Words],
           base_url: str) -> None:
    url = f"{base_url}/services/{entry.id}"  # opens in the phone's language, as posters do
    png, size = qr(url, QR_MM)
    width = pdf.epw - size - 4
    if pdf.room() < SURE_FIT_MM:  # measure only near the foot of a page
        height = max(_entry_text(pdf, entry, tags, words, width, dry=True), size) + 4
        if pdf.room() < height:
            pdf.add_page()
    top = pdf.get_y()
    rtl = i18n.BY_TAG[tags[0]].direction == "rtl"
    qr_x = pdf.l_margin if rtl else pdf.w - pdf.r_margin - size
    text_x = pdf.l_margin + size + 4 if rtl else pdf.l_margin
    pdf.image(io.BytesIO(png), x=qr_x, y=top, w=size, h=size)
    pdf.set_left_margin(text_x)
    pdf.set_xy(text_x, top)
    try:
        _entry_text(pdf, entry, tags, words, width, dry=False)
    finally:
        pdf.set_left_margin(MARGIN)
    bottom = max(pdf.get_y(), top + size) + 2
    pdf.set_draw_color(200)
    pdf.line(MARGIN, bottom, pdf.w - MARGIN, bottom)
    pdf.set_xy(MARGIN, bottom + 2)


def render_pdf(contents: Contents) -> bytes:
    """The booklet's bytes."""
    req = contents.request
    words = {t: _words(t, contents.checked_on) for t in req.languages}
    width, height = PAPERS[req.paper]
    missing = fonts.missing_scripts(req.languages)
    if missing:
        raise fonts.MissingFont(missing[0])
    pdf = Booklet(width, height, req.languages, words)
    pdf.set_auto_page_break(False)
    pdf.set_title(words[req.languages[0]].title)
    pdf.set_creator("Haven")
    _cover(pdf, contents, words)
    pdf.add_page()
    for code, entries in contents.sections:
        if pdf.room() < 45:
            pdf.add_page()
        for tag in req.languages:
            pdf.para(tag, words[tag].kinds[code], 14, bold=True)
        pdf.ln(2)
        for entry in entries:
            _entry(pdf, entry, req.languages, words, req.base_url)
        pdf.ln(3)
    body = bytes(pdf.output())
    gaps = sorted({f"U+{cp:04X}" for font in pdf.fonts.values()
                   for cp in getattr(font, "missing_glyphs", [])})
    if gaps:  # a box instead of a letter is worse than no booklet

        raise MissingGlyphs(gaps)
    return body

