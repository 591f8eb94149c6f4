"""Digits as a person types them: every script's zero, and text rewritten in one script."""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st

# Every script's decimal digits: Arabic-Indic, Persian, Devanagari, full-width and the rest.
ZEROS = sorted({ord(ch) - unicodedata.decimal(ch) for ch in map(chr, range(0x110000))
                if unicodedata.decimal(ch, None) is not None})
SCRIPTS = st.sampled_from(ZEROS) | st.sampled_from([0x0660, 0x06F0, 0x0966, 0xFF10])


def in_script(text: str, zero: int) -> str:
    """text with each ASCII digit written in the script whose zero is code point `zero`."""
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)
