"""How many SMS segments a text costs (3GPP TS 23.038). A text every character of which is in
the GSM 7-bit default alphabet (the extension table's characters count twice) travels as GSM-7:
160 septets in one segment, 153 per segment once it is split. Anything else (Arabic, Tigrinya,
Chinese, most accents) travels as UCS-2: 70 UTF-16 code units in one segment, 67 once split,
and a character outside the BMP takes two units. Concatenated segments never split a
surrogate pair or an escape sequence, which is why counting is done unit by unit here.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Count:
    """The encoding, the units used and the segments a text costs."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int
    segments: int


def is_gsm(text: str) -> bool:
    """Whether the text travels as GSM-7."""
    return all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)


def _units(text: str, gsm: bool) -> list[int]:
    if gsm:
        return [2 if ch in GSM_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def count(text: str) -> Count:
    """The segments this text costs as one message."""
    gsm = is_gsm(text)
    single, part = (160, 153) if gsm else (70, 67)
    units = _units(text, gsm)
    total = sum(units)
    if total <= single:
        return Count("GSM-7" if gsm else "UCS-2", total, 1 if total else 0)
    segments, used = 1, 0
    for u in units:  # a character never straddles two segments
        if used + u > part:
            segments, used = segments + 1, 0
        used += u
    return Count("GSM-7" if gsm else "UCS-2", total, segments)


def fits(text: str, segments: int = 3) -> bool:
    """Whether the text costs at most this many segments."""
    return count(text).segments <= segments
