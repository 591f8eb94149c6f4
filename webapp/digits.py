"""Digits as people type and read them, in every script, normalised in one place.

A receipt typed on an Arabic keyboard arrives as ١٠٤٨…, on a Persian one as ۱۰۴۸…, on a
Japanese phone as full-width １０４８…: each is the same number and must be read as such.
Everything a person types that is a number (receipts, codes, postcodes, phone numbers,
coordinates) goes through `to_ascii` before it is compared, stored or dialled; free text (a
tip's description) is kept as written.

`dial` turns a number as a directory writes it ("(559) 555-0140", "+44 (0)20 7946 0000",
"988 then press 1") into what a phone dials, so a Call button dials the number shown.
"""

from __future__ import annotations

import re
import unicodedata

# Full-width ASCII forms (U+FF01..U+FF5E) sit at a fixed offset from ASCII.
_FULLWIDTH_START, _FULLWIDTH_END, _FULLWIDTH_OFFSET = 0xFF01, 0xFF5E, 0xFEE0
# Arabic-script punctuation that stands for its ASCII twin inside numbers and coordinates.
_ARABIC_PUNCT = {"\u066b": ".", "\u066c": ",", "\u060c": ",", "\u066a": "%", "\u2212": "-"}


class _Table(dict[int, str | None]):
    """A str.translate table that works out each character once, on first sight."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        value: str | None
        if code < 128:
            value = ch
        elif (d := unicodedata.decimal(ch, None)) is not None:
            value = str(d)
        elif _FULLWIDTH_START <= code <= _FULLWIDTH_END:
            value = chr(code - _FULLWIDTH_OFFSET)
        else:
            value = _ARABIC_PUNCT.get(ch, ch)
        self[code] = value
        return value


_TABLE = _Table()


def to_ascii(text: str) -> str:
    """Every decimal digit (any script) and full-width form as its ASCII twin; the rest kept."""
    return text.translate(_TABLE)


def only_digits(text: str) -> str:
    """The ASCII digits of the text, in order, whatever script they were typed in."""
    return "".join(ch for ch in to_ascii(text) if "0" <= ch <= "9")


def count(text: str) -> int:
    """How many decimal digits (any script) the text holds."""
    return len(only_digits(text))


# A number as written: an optional +, then digits with the separators people put in them
# (spaces, dashes, dots, slashes, brackets). It ends at the first letter: "988 then press 1".
_PIECE = r"(?:\(\s*\d[\d\s\-./]*\)|\d)"  # a digit, or a bracketed group that starts with one
_NUMBER = re.compile(rf"\+?[\s\-./]*{_PIECE}(?:[\s\-./]*{_PIECE})*")
# After the number: an extension or a key to press once connected.
_EXTENSION = re.compile(
    r"^\W*(?:ext(?:ension)?\.?|x|#|then\s+press|press|option|poste|durchwahl|doorkiesnummer"
    r"|interno|ramal|anexo)\s*:?\s*(\d{1,6})\b", re.IGNORECASE)


def dial(number: str) -> str:
    """What a phone dials for a number as written: '+', digits, and ',' before an extension.

    "(559) 555-0140" -> "5595550140"; "+44 (0)20 7946 0000" -> "+442079460000" (the bracketed
    trunk 0 is not dialled from abroad, nor after +44); "116 006" -> "116006";
    "988 then press 1" -> "988,1" (a comma is the pause phones insert before later keys).
    Only the first number of "999; 101" is dialled. Empty when the text holds no number.
    """
    text = to_ascii(number)
    m = _NUMBER.search(text)
    if not m:
        return ""
    written = m.group(0).strip()
    international = written.startswith("+")
    out: list[str] = ["+"] if international else []
    for part in re.split(r"(\([^)]*\))", written):
        digits = re.sub(r"\D", "", part)
        if part.startswith("(") and international and len(out) > 1:
            # "+44 (0)20", "+63 (02) 1343": the bracketed leading 0 is the trunk prefix,
            # dialled only inside the country.
            digits = digits.lstrip("0")
        out.append(digits)
    main = "".join(out)
    ext = _EXTENSION.match(text[m.end():])
    return f"{main},{ext.group(1)}" if ext and main.strip("+") else main


def main_number(number: str) -> str:
    """The dialled number without any extension: what a text message or WhatsApp goes to."""
    return dial(number).split(",")[0]


def international(number: str, country: str | None) -> str:
    """The number in international form without '+' (what wa.me wants), or "" when it cannot
    be known: "(213) 555-0104" in the US -> "12135550104"; a short code -> ""."""
    main = main_number(number)
    if main.startswith("+"):
        return main[1:]
    if not main or not country:
        return ""
    import phonenumbers  # loaded on first use: a worker that never shows WhatsApp skips it

    try:
        parsed = phonenumbers.parse(main, country.upper())
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]


def field_filter(value: object) -> object:
    """A WTForms filter for fields that hold a number: typed digits of any script as ASCII."""
    return to_ascii(value) if isinstance(value, str) else value


def code_filter(value: object) -> object:
    """A WTForms filter for a code typed as shown ("123 456"): ASCII digits, no spaces."""
    return "".join(to_ascii(value).split()) if isinstance(value, str) else value
