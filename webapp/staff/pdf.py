"""One tip as a PDF for a referral: what the tipster wrote, the thread, photos. No notes."""

from __future__ import annotations

from io import BytesIO

from flask_babel import gettext as _
from fpdf import FPDF

from webapp import bidi, fonts, i18n
from webapp.isolating_pdf import IsolatingPDF
from webapp.tips.labels import kind_label, status_label
from webapp.tips.services import Thread


def _pdf_with_fonts() -> tuple[FPDF, list[str]]:
    pdf = IsolatingPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    names = []
    for script in fonts.SCRIPT_FILES:
        try:
            regular, bold = fonts.font_files(script)
        except fonts.MissingFont:
            continue
        pdf.add_font(script, fname=str(regular))
        pdf.add_font(script, style="B", fname=str(bold))
        names.append(script)
    if "latin" not in names:
        raise fonts.MissingFont("latin")
    pdf.set_text_shaping(True)  # Arabic joining, Devanagari conjuncts (uharfbuzz)
    pdf.set_fallback_fonts([n for n in names if n != "latin"])
    return pdf, names


def tip_pdf(thread: Thread) -> bytes:
    """Render the tip; text in any language, photos embedded."""
    pdf, _names = _pdf_with_fonts()
    pdf.add_page()
    tip = thread.tip
    width = pdf.epw

    def heading(text: str) -> None:
        pdf.set_font("latin", "B", 13)
        pdf.multi_cell(width, 8, text, new_x="LMARGIN", new_y="NEXT")

    def para(label: str, value: str) -> None:
        if not value:
            return
        pdf.set_font("latin", "B", 10)
        pdf.multi_cell(width, 6, label, new_x="LMARGIN", new_y="NEXT",
                       align="R" if bidi.base_direction(label) == "rtl" else "L")
        pdf.set_font("latin", "", 10)
        # What a person wrote: each paragraph set in its own direction, numbers kept in
        # order (item 3: "0555 123 456" used to come out as "456 123 0555").
        for line in value.splitlines() or [""]:
            align = "R" if bidi.base_direction(line) == "rtl" else "L"
            pdf.multi_cell(width, 5, bidi.isolate_plain(line) or " ", new_x="LMARGIN",
                           new_y="NEXT", align=align)
        pdf.ln(2)

    heading(_("Tip %(id)s", id=tip.id[:8]))
    c = thread.content
    para(_("Received (hour, UTC)"), tip.created_hour.strftime("%Y-%m-%d %H:00"))
    para(_("Status"), status_label(tip.status))
    lang = i18n.BY_TAG.get(str(c.get("language", "")))
    if lang is not None:
        para(_("Language"), f"{lang.native} ({lang.english})")
    para(_("What did you see? Tick all that apply."),
         i18n.format_list(kind_label(k) for k in tip.kind_list()))
    para(_("What happened? Describe what you saw or heard."), c.get("what", ""))
    para(_("Where? An address, a landmark or a description of the place."), c.get("where", ""))
    para(_("City or town (optional)"), c.get("city", ""))
    para(_("Country (optional)"), c.get("country", ""))
    para(_("When? A date, a time, or how often."), c.get("when", ""))
    para(_("People: how many, ages, languages, descriptions"), c.get("people", ""))
    para(_("Places, vehicles (plates) or businesses involved"), c.get("places", ""))
    para(_("A safe way to reach you (optional). Leave empty to stay unreachable."),
         c.get("contact", ""))
    heading(_("Messages"))
    for m, text, _photos in thread.messages:
        who = _("Tipster") if m.author == "tipster" else _("The team")
        para(f"{who} · {m.created_hour:%Y-%m-%d %H:00}", text or "—")
    for p in tip.photos:
        found = thread.photo(p.id)
        if found:
            pdf.add_page()
            pdf.image(BytesIO(found[0]), w=width)
    return bytes(pdf.output())
