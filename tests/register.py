"""The forms each catalogue must not use, read from translations/GUIDE.md ("Never" column).

An entry of the Never column is read in one of three ways (GUIDE.md explains them to translators):

- ``word``: the word on its own, whatever its case. Arabic is compared without vowel marks and
  tatweel (shadda kept), may carry و/ف in front and an object pronoun behind (اكتبه, فاترك), so
  «واكتبْهُ» is found by «اكتب»; where the entry and the text both mark a letter's vowel, the
  marks must agree, so the passive «أُرسل» is not the imperative «أَرسِل».
- ``-ending``: any word that ends so (Tigrinya ``-ካ``: ስልክኻ, ምኻድካ), except the loanwords in
  LOANWORDS (with or without a prefix: ንፋብሪካ).
- ``^word``: the word only where an instruction starts (start of the text, after . : ; , ? ! ¿ ¡
  « or after the conjunctions y/o/e/u), for forms that are also a third person: Spanish «Llama
  ahora» is tú, «lo que la ley llama» is not.

Languages also have checks no word list can express (RULES): Arabic vowel marks that make the
reader masculine (لكَ, لستَ مضطرًا).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

GUIDE = Path(__file__).resolve().parent.parent / "translations" / "GUIDE.md"
BABEL_IDS = {"zh-Hans": "zh_Hans"}

# Every combining mark (Arabic harakat, Devanagari vowel signs, Ethiopic gemination marks) belongs
# to the word it sits on; Ethiopic punctuation (U+1361-1368: ፡ ። ፣ ፤ ፥ ፦ ፧ ፨) is punctuation.
_MARKS = "".join(c for c in map(chr, range(0x300, 0x10000))
                 if unicodedata.category(c).startswith("M"))
LETTER = "[\\w" + re.escape(_MARKS) + "]"
# Vowel marks, sukun and tatweel; not shadda: «سجّل» (register!) and «سجل» (a record) differ by it.
ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u0650\u0652-\u065f\u0670\u06d6-\u06ed\u0640]")
ARABIC_VOWELS = frozenset("\u064b\u064c\u064d\u064e\u064f\u0650\u0652")  # tanwin, a u i, sukun
ARABIC_PRONOUNS = "(?:ه|ها|هم|هما|هن|ني|نا)"
CLAUSE_START = r"(?:^|(?<=[.:;,?!¿¡«\"“(])|(?<=\s[yoeuYOEU]\s)|(?<=^[yoeuYOEU]\s))\s*"
# Loanwords that end in a Tigrinya second-person suffix by accident.
LOANWORDS = frozenset({"ፋብሪካ", "ኣፍሪካ", "ኣመሪካ", "ኣሜሪካ", "ፖለቲካ", "ሜካኒካ"})

Rule = tuple[str, re.Pattern[str]]  # (what the test reports, the pattern)

# Arabic: the guide asks for the second person unvocalised, so a fatha that makes "you"
# masculine (لكَ، أنتَ، لستَ), a masculine predicate after لست (لست مضطرًا) and a vocalised
# second-person verb in a question (هل تُجبَر) are each a break, even with no imperative.
RULES: dict[str, list[Rule]] = {
    "ar": [
        ("vocalised masculine «كَ/تَ»", re.compile("[كت]\u064e(?!" + LETTER + ")")),
        ("masculine predicate after لست", re.compile(
            "لست\u064e?\\s+\\S+(?:\u064b\u0627|\u0627\u064b)(?!" + LETTER + ")")),
        ("vocalised second person in a question", re.compile("هل\\s+ت[\u064e\u064f]")),
    ],
}


def never_forms() -> dict[str, list[str]]:
    """locale (Babel id) -> the entries of its Never cell, as written in the guide."""
    out: dict[str, list[str]] = {}
    for line in GUIDE.read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or cells[0] in ("Locale", "---") or set(cells[0]) <= {"-"}:
            continue
        never = cells[5].split(":", 1)[-1]  # "masculine singular: a, b" -> "a, b"
        words = [w.strip() for w in re.split(r"[,،]", never) if w.strip()]
        out[BABEL_IDS.get(cells[0], cells[0])] = words
    return out


def is_arabic(text: str) -> bool:
    """True when the text is written in Arabic script."""
    return re.search("[\u0600-\u06ff]", text) is not None


def arabic_letters(text: str) -> tuple[str, list[set[str]]]:
    """The text without vowel marks and tatweel, and the vowel marks each remaining letter had."""
    letters: list[str] = []
    vowels: list[set[str]] = []
    for char in text:
        if ARABIC_MARKS.match(char):
            if vowels and char in ARABIC_VOWELS:
                vowels[-1].add(char)
        else:
            letters.append(char)
            vowels.append(set())
    return "".join(letters), vowels


def word_pattern(entry: str) -> re.Pattern[str]:
    """The pattern one Never entry stands for (see the module docstring); the entry itself is
    the group ``core``."""
    if re.search("[\u3400-\u9fff]", entry):  # Chinese has no spaces: the character itself
        return re.compile(f"(?P<core>{re.escape(entry)})")
    if entry.startswith("-") and len(entry) > 1:
        return re.compile(rf"(?<!{LETTER})(?P<core>{LETTER}+{re.escape(entry[1:])})(?!{LETTER})")
    if entry.startswith("^") and len(entry) > 1:
        return re.compile(rf"{CLAUSE_START}(?P<core>{re.escape(entry[1:])})(?!{LETTER})",
                          re.IGNORECASE | re.MULTILINE)
    prefix = suffix = ""
    if is_arabic(entry):
        entry = arabic_letters(entry)[0]
        if len(entry) >= 3:  # «عد» may not take و (وعد, "promised") or a pronoun (عدنا)
            prefix, suffix = "(?:و|ف)?", f"{ARABIC_PRONOUNS}?"
    return re.compile(rf"(?<!{LETTER}){prefix}(?P<core>{re.escape(entry)}){suffix}(?!{LETTER})",
                      re.IGNORECASE)


def _hits(entry: str, pat: re.Pattern[str], text: str) -> bool:
    if entry.startswith("-"):
        return any(not m["core"].endswith(tuple(LOANWORDS)) for m in pat.finditer(text))
    if not is_arabic(entry):
        return pat.search(text) is not None
    # Where both the entry and the text carry a vowel, they must agree: «أُرسل» ("was sent")
    # is not «أَرسِل», an unvocalised «أرسل» is read as the imperative.
    wanted = arabic_letters(entry)[1]
    letters, vowels = arabic_letters(text)
    for m in pat.finditer(letters):
        start = m.start("core")
        if all(not (w and v) or w & v for w, v in zip(wanted, vowels[start:], strict=False)):
            return True
    return False


def violations(babel_id: str, msgstrs: Iterable[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(entry or rule, msgid, msgstr) for every forbidden form found."""
    texts = list(msgstrs)
    found = []
    for entry in never_forms().get(babel_id, []):
        pat = word_pattern(entry)
        found += [(entry, msgid, text) for msgid, text in texts if _hits(entry, pat, text)]
    for name, pat in RULES.get(babel_id, []):
        found += [(name, msgid, text) for msgid, text in texts if pat.search(text)]
    return found


def catalogue_texts(po_file: Path) -> list[tuple[str, str]]:
    """(msgid, text) for every translated string of a catalogue, each plural form included."""
    import polib

    return [(e.msgid, text) for e in polib.pofile(str(po_file)) if not e.obsolete
            for text in [e.msgstr, *e.msgstr_plural.values()] if text]


if __name__ == "__main__":  # python -m tests.register ti: what a translator would be told
    for babel in sys.argv[1:]:
        pairs = catalogue_texts(GUIDE.parent / babel / "LC_MESSAGES" / "messages.po")
        for entry, _msgid, text in violations(babel, pairs):
            print(f"{babel}: {entry!r} in {text!r}")
