"""What an SMS reply costs, checked against the rule itself (3GPP TS 23.038) for any text.

The SMS channel promises a reply of at most three segments: a wrong count either cuts a
reply short or sends a fourth segment the person pays for. These properties pin every
boundary (160/153 septets, 70/67 units, escapes, surrogate pairs, U+FFFF) and the encoding
a text in Arabic-Indic, Persian, Devanagari or full-width digits travels in.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.sms import segments
from webapp.sms.segments import Count

# Slow under mutation testing (every call goes through a trampoline): no deadline.
settings.register_profile("segments", deadline=None, max_examples=60)
PROFILE = settings.get_profile("segments")

BASIC = sorted(segments.GSM_BASIC)
EXTENSION = sorted(segments.GSM_EXTENSION)
DIGIT_RANGES = {
    "arabic-indic": (0x0660, 0x0669),
    "persian": (0x06F0, 0x06F9),
    "devanagari": (0x0966, 0x096F),
    "full-width": (0xFF10, 0xFF19),
}
NON_ASCII_DIGITS = st.sampled_from(
    [chr(c) for lo, hi in DIGIT_RANGES.values() for c in range(lo, hi + 1)])


def expected_segments(units: list[int], single: int, part: int) -> int:
    """The rule, written independently: greedy packing, a character never split."""
    total = sum(units)
    if total == 0:
        return 0
    if total <= single:
        return 1
    count, used = 1, 0
    for u in units:
        if used + u > part:
            count, used = count + 1, 0
        used += u
    return count


@PROFILE
@given(st.text(alphabet=st.sampled_from(BASIC + EXTENSION), max_size=500))
def test_gsm_text_counts_septets_and_escapes(text: str) -> None:
    """GSM-7 text: one septet a character, two for the extension table, 160 then 153."""
    units = [2 if ch in EXTENSION else 1 for ch in text]
    assert segments.is_gsm(text)
    assert segments.count(text) == Count("GSM-7", sum(units), expected_segments(units, 160, 153))


@PROFILE
@given(st.text(min_size=1, max_size=300), NON_ASCII_DIGITS, st.integers(0, 300))
def test_text_with_a_non_gsm_character_is_ucs2(text: str, digit: str, at: int) -> None:
    """One Arabic-Indic, Persian, Devanagari or full-width digit makes the whole text UCS-2."""
    at %= len(text) + 1
    text = text[:at] + digit + text[at:]
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    assert not segments.is_gsm(text)
    assert segments.count(text) == Count("UCS-2", sum(units), expected_segments(units, 70, 67))


@PROFILE
@given(NON_ASCII_DIGITS, st.integers(1, 250))
def test_a_number_in_any_script_costs_its_digits_in_ucs2(digit: str, n: int) -> None:
    """A run of typed digits in another script: 70 in one segment, then 67 per segment."""
    expected = 1 if n <= 70 else math.ceil(n / 67)
    assert segments.count(digit * n) == Count("UCS-2", n, expected)
    assert segments.fits(digit * n) is (expected <= 3)


@pytest.mark.parametrize(("text", "expected"), [
    ("", Count("GSM-7", 0, 0)),
    ("a" * 160, Count("GSM-7", 160, 1)),
    ("a" * 161, Count("GSM-7", 161, 2)),
    ("a" * 306, Count("GSM-7", 306, 2)),
    ("a" * 307, Count("GSM-7", 307, 3)),
    ("€" * 80, Count("GSM-7", 160, 1)),
    ("a" * 159 + "€", Count("GSM-7", 161, 2)),  # an escape counts two septets
    ("a" * 152 + "€" * 77, Count("GSM-7", 306, 3)),  # the escape never straddles
    ("م" * 70, Count("UCS-2", 70, 1)),
    ("م" * 71, Count("UCS-2", 71, 2)),
    ("م" * 134, Count("UCS-2", 134, 2)),
    ("م" * 135, Count("UCS-2", 135, 3)),
    ("م" * 66 + "😀" + "م", Count("UCS-2", 69, 1)),
    ("م" * 66 + "😀" * 34, Count("UCS-2", 134, 3)),  # the surrogate pair never straddles
    ("\uffff" * 70, Count("UCS-2", 70, 1)),  # the last BMP character is one unit
    ("\U00010000" * 35, Count("UCS-2", 70, 1)),  # the first astral one is two
    ("\U00010000" * 36, Count("UCS-2", 72, 2)),
    ("١", Count("UCS-2", 1, 1)),
])
def test_boundaries(text: str, expected: Count) -> None:
    """Each boundary of the rule, on both sides."""
    assert segments.count(text) == expected


@pytest.mark.parametrize(("text", "limit", "fits"), [
    ("a" * 459, 3, True),
    ("a" * 460, 3, False),
    ("a" * 460, 4, True),
    ("a" * 161, 1, False),
    ("a" * 160, 1, True),
    ("", 0, True),
    ("م" * 201, 3, True),
    ("م" * 202, 3, False),
])
def test_fits(text: str, limit: int, fits: bool) -> None:
    """fits: at most this many segments (three unless told)."""
    assert segments.fits(text, limit) is fits
    if limit == 3:
        assert segments.fits(text) is fits
