"""What a poster is made of: formats and the spec render.py draws. Apart from
render.py so the poster pages load without fpdf2 until a poster is drawn."""

from __future__ import annotations

from dataclasses import dataclass, field

# name -> (page width, height in mm, kind)
FORMATS: dict[str, tuple[float, float, str]] = {
    "a4": (210, 297, "poster"),
    "letter": (215.9, 279.4, "poster"),
    "a5": (148, 210, "poster"),
    "cards": (210, 297, "cards"),  # 10 business cards (85 x 55 mm) with cut marks
    "stickers": (210, 297, "stickers"),  # 8 restroom stickers (90 x 65 mm)
    "tearoff": (215.9, 279.4, "tearoff"),  # poster with 8 tear-off tabs
}
MIN_QR_MM = {"poster": 40.0, "cards": 20.0, "stickers": 20.0, "tearoff": 40.0}
TAB_QR_MM = 20.0


@dataclass(frozen=True)
class Line:
    """A hotline to print: its name in the reader's language and its number."""

    name: str
    number: str


@dataclass(frozen=True)
class Block:
    """One language's words, already translated."""

    tag: str
    headline: str
    body: str
    scan: str
    call: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Spec:
    """Everything a poster depends on."""

    format: str
    url: str
    blocks: tuple[Block, ...]
    organisation: str = ""
    state_notice: bool = False
    extras: dict[str, str] = field(default_factory=dict)



class MissingGlyphs(RuntimeError):
    """Some characters have no glyph in any installed font."""

    def __init__(self, codepoints: list[str]) -> None:
        super().__init__("no glyph for " + ", ".join(codepoints[:10]))
        self.codepoints = codepoints
