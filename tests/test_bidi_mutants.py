"""Numbers read in the order they were typed, inside right-to-left text (webapp/bidi.py).

Staff call back the number a tipster typed: if "۰۹۱۲ ۳۴۵ ۶۷۸۹" shows as "۶۷۸۹ ۳۴۵ ۰۹۱۲" they
call a stranger. These tests check the exact markup and control characters around every
number run, in every digit script, and that nothing else of the text changes.
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from webapp import bidi

settings.register_profile("bidi", deadline=None, max_examples=60)
PROFILE = settings.get_profile("bidi")

LRI, PDI, LRO, PDF = "\u2066", "\u2069", "\u202d", "\u202c"
DIGIT_ZEROS = {"ascii": 0x30, "arabic-indic": 0x0660, "persian": 0x06F0, "devanagari": 0x0966,
               "full-width": 0xFF10}
WORDS = ["اتصل", "على", "رقم", "شماره", "تماس", "ቁጽሪ", "call", "<b>", "&", "\"x\""]


def number(zero: int, groups: list[int]) -> str:
    """A number written in one script, its groups of these lengths apart by spaces."""
    return " ".join("".join(chr(zero + (i * 7 + n) % 10) for i in range(n)) for n in groups)


@pytest.mark.parametrize(("text", "rtl"), [
    ("שלום", True), ("مرحبا", True), ("سلام", True), ("\ufb50", True), ("\ufefc", True),
    ("hello 123", False), ("", False), ("ቁጽሪ", False), ("\u08ff", True), ("\u0590", True),
])
def test_has_rtl(text: str, rtl: bool) -> None:
    """Hebrew, Arabic, Persian (and their presentation forms) are right-to-left."""
    assert bidi.has_rtl(text) is rtl


@pytest.mark.parametrize(("text", "direction"), [
    ("שלום world", "rtl"),  # Hebrew: class R
    ("مرحبا world", "rtl"),  # Arabic: class AL
    ("123 مرحبا", "rtl"),  # digits are weak: the first strong letter decides
    ("hello مرحبا", "ltr"),
    ("(+1) hello", "ltr"),
    ("123 ٤٥٦", "ltr"),  # no strong letter at all
    ("", "ltr"),
])
def test_base_direction(text: str, direction: str) -> None:
    """The first strong letter decides, as dir="auto" does in a browser."""
    assert bidi.base_direction(text) == direction


@pytest.mark.parametrize(("text", "expected"), [
    (None, ""),
    ("", ""),
    ("no number here", "no number here"),
    ("اتصل 0555 123 456 الآن", 'اتصل <bdi dir="ltr">0555 123 456</bdi> الآن'),
    ("شماره ۰۹۱۲ ۳۴۵ ۶۷۸۹", 'شماره <bdi dir="ltr">۰۹۱۲ ۳۴۵ ۶۷۸۹</bdi>'),
    ("رقم ١٢٣ ٤٥٦", 'رقم <bdi dir="ltr"><bdo dir="ltr">١٢٣ ٤٥٦</bdo></bdi>'),
    ("<b>1</b> & 2", '&lt;b&gt;<bdi dir="ltr">1</bdi>&lt;/b&gt; &amp; <bdi dir="ltr">2</bdi>'),
    ("a 1 b 2 c", 'a <bdi dir="ltr">1</bdi> b <bdi dir="ltr">2</bdi> c'),
])
def test_isolate_html(text: str | None, expected: str) -> None:
    """Each number run in <bdi dir="ltr">; Arabic-Indic runs also overridden; all escaped."""
    out = bidi.isolate_html(text)
    assert isinstance(out, Markup)
    assert str(out) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("call 0555 123 456", "call 0555 123 456"),  # no right-to-left letter: left alone
    ("", ""),
    ("اتصل 0555 123 456", f"اتصل {LRI}0555 123 456{PDI}"),
    ("شماره ۰۹۱۲ ۳۴۵", f"شماره {LRI}۰۹۱۲ ۳۴۵{PDI}"),
    ("رقم ١٢٣ ٤٥٦ و 7", f"رقم {LRI}{LRO}١٢٣ ٤٥٦{PDF}{PDI} و {LRI}7{PDI}"),
])
def test_isolate_plain(text: str, expected: str) -> None:
    """LRI…PDI around each run when the text has RTL letters; LRO…PDF for Arabic-Indic."""
    assert bidi.isolate_plain(text) == expected


@PROFILE
@given(st.sampled_from(sorted(DIGIT_ZEROS.items())),
       st.lists(st.integers(1, 5), min_size=1, max_size=4),
       st.sampled_from(WORDS), st.sampled_from(WORDS))
def test_every_number_in_every_script_is_isolated_whole(script: tuple[str, int],
                                                        groups: list[int], before: str,
                                                        after: str) -> None:
    """A number typed in any script is one isolated run, its groups in order; the words
    around it come back unchanged (escaped in HTML)."""
    name, zero = script
    num = number(zero, groups)
    text = f"{before} {num} {after}"
    inner = num
    if name == "arabic-indic":
        inner = f'<bdo dir="ltr">{num}</bdo>'
    out = str(bidi.isolate_html(text))
    assert f'<bdi dir="ltr">{inner}</bdi>' in out
    assert html.unescape(re.sub(r"</?bd[io][^>]*>", "", out)) == text
    assert "<b>" not in out.replace('<bdi dir="ltr">', "").replace('<bdo dir="ltr">', "")
    plain = bidi.isolate_plain(text)
    for mark in (LRI, PDI, LRO, PDF):
        plain = plain.replace(mark, "")
    assert plain == text
    if bidi.has_rtl(text):
        wrapped = f"{LRO}{num}{PDF}" if name == "arabic-indic" else num
        assert f"{LRI}{wrapped}{PDI}" in bidi.isolate_plain(text)
    else:
        assert bidi.isolate_plain(text) == text
