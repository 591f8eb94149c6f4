"""The forms each catalogue must not use, read from translations/GUIDE.md ("Never" column)."""

from __future__ import annotations

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parent.parent / "translations" / "GUIDE.md"
BABEL_IDS = {"zh-Hans": "zh_Hans"}


def never_forms() -> dict[str, list[str]]:
    """locale (Babel id) -> the words its catalogue must not contain."""
    out: dict[str, list[str]] = {}
    for line in GUIDE.read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or cells[0] in ("Locale", "---") or set(cells[0]) <= {"-"}:
            continue
        never = cells[5].split(":", 1)[-1]  # "masculine singular: a, b" -> "a, b"
        words = [w.strip() for w in re.split(r"[,،]", never) if w.strip()]
        out[BABEL_IDS.get(cells[0], cells[0])] = words
    return out


def word_pattern(word: str) -> re.Pattern[str]:
    """The word on its own (Arabic may carry a prefixed و/ف; no letter glued on either side)."""
    if re.search("[\u3400-\u9fff]", word):  # Chinese has no spaces: the character itself
        return re.compile(re.escape(word))
    prefix = "(?:و|ف)?" if re.search("[\u0600-\u06ff]", word) else ""
    return re.compile(rf"(?<![\w\u0600-\u06ff\u1200-\u137f]){prefix}{re.escape(word)}"
                      rf"(?![\w\u0600-\u06ff\u1200-\u137f])", re.IGNORECASE)


def violations(babel_id: str, msgstrs: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(word, msgid, msgstr) for every forbidden form found."""
    found = []
    for word in never_forms().get(babel_id, []):
        pat = word_pattern(word)
        for msgid, text in msgstrs:
            if pat.search(text):
                found.append((word, msgid, text))
    return found
