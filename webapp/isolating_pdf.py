"""The PDF class every Haven PDF derives from: fpdf2 with bidi isolates honoured (see
bidi.py). Kept apart from bidi.py so pages that only isolate HTML never load fpdf2 (a
second of a worker's start)."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF

# Isolates (LRI RLI FSI PDI) and the embeddings and overrides (LRE RLE PDF LRO RLO).
_NO_ISOLATES = {ord(c): None for c in "\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e"}


class IsolatingPDF(FPDF):
    """FPDF whose bidi pass honours LRI…PDI isolates and then drops the control characters.

    fpdf2 resolves isolates correctly but would print them as empty glyphs, which split a
    number in the PDF's text layer ("0" + "555 123 456") for copy-paste and pdftotext.
    """

    def _preload_font_styles(self, text: str | None, markdown: bool,  # type: ignore[override]
                             *args: Any, **kwargs: Any) -> Any:
        if text:
            text = text.translate(_NO_ISOLATES)
        return super()._preload_font_styles(text, markdown, *args, **kwargs)
