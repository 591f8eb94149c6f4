"""Keeping numbers and codes in order inside right-to-left text.

In an Arabic sentence, "0555 123 456" is three numbers separated by spaces: the Unicode
bidirectional algorithm lays them out right to left ("456 123 0555"), and a plate like
"8XYZ789" after an Arabic word splits in two (its first digit becomes an Arabic number).
A callback would dial the wrong number. Every run of digit-bearing tokens is therefore
isolated left-to-right: `<bdi dir="ltr">` in HTML, LRI…PDI in the PDF.
"""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup, escape

# Tokens that contain a digit (0555, 8XYZ789, +44, (213)), joined by spaces, dashes, dots,
# slashes or brackets into one run: phone numbers, plates, dates, times. A digit is one of any
# script (\d in a str pattern is every Unicode decimal digit): "۰۹۱۲ ۳۴۵ ۶۷۸۹" typed on a
# Persian keyboard is as much one number as "0912 345 6789", and reverses as easily.
_NUMBERISH = r"[+(\uff0b\uff08]?[\dA-Za-z]*\d[\dA-Za-z]*[)\uff09]?"
# After a closing bracket the next token may follow with no space: "(559)555-0140".
NUMBER_RUN = re.compile(rf"{_NUMBERISH}(?:(?:[ \-./:\u3000]+|(?<=[)\uff09])){_NUMBERISH})*")
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
LRI, PDI = "\u2066", "\u2069"
LRO, PDF = "\u202d", "\u202c"


def has_rtl(text: str) -> bool:
    """Whether the text has any right-to-left letters (Hebrew, Arabic, Persian...)."""
    return bool(_RTL.search(text))


def base_direction(text: str) -> str:
    """"rtl" or "ltr" from the first strong letter, as dir="auto" decides in a browser."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _arabic_numbers(run: str) -> bool:
    """Whether the run holds Arabic-Indic digits (bidi class AN). Unlike European digits
    (ASCII, Persian), the bidi algorithm lays groups of these out right to left even inside a
    left-to-right isolate ("١٢٣ ٤٥٦" shows as "٤٥٦ ١٢٣"), so only an override keeps them in the
    order typed."""
    return any(unicodedata.bidirectional(ch) == "AN" for ch in run)


def isolate_html(text: str | None) -> Markup:
    """Escaped text with each number run in <bdi dir="ltr">, for a dir="auto" element (and an
    override inside it for runs of Arabic-Indic digits)."""
    if not text:
        return Markup("")
    out: list[str] = []
    last = 0
    for m in NUMBER_RUN.finditer(text):
        out.append(str(escape(text[last:m.start()])))
        run = escape(m.group(0))
        if _arabic_numbers(m.group(0)):
            run = Markup(f'<bdo dir="ltr">{run}</bdo>')  # noqa: S704 - run is escaped
        out.append(f'<bdi dir="ltr">{run}</bdi>')
        last = m.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))  # noqa: S704 - every piece above was escaped


def isolate_plain(text: str) -> str:
    """The text with each number run wrapped in LRI…PDI when it has RTL letters (for PDFs);
    LRO…PDF inside for runs of Arabic-Indic digits."""
    if not has_rtl(text):
        return text

    def wrap(m: re.Match[str]) -> str:
        run = m.group(0)
        if _arabic_numbers(run):
            run = LRO + run + PDF
        return LRI + run + PDI

    return NUMBER_RUN.sub(wrap, text)
