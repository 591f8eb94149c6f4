"""Text normalisation and tokens shared by indexing and querying (and mirrored in haven.js).

One function decides what "the same word" means, so the index and the query can never
disagree: case, diacritics, Arabic letter forms and tashkeel, Chinese without spaces.
"""

from __future__ import annotations

import re
import unicodedata

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_FOLD = str.maketrans(
    {
        "\u0623": "\u0627",  # alef with hamza above
        "\u0625": "\u0627",  # alef with hamza below
        "\u0622": "\u0627",  # alef with madda
        "\u0671": "\u0627",  # alef wasla
        "\u0629": "\u0647",  # taa marbuta -> haa
        "\u0649": "\u064a",  # alef maksura -> yaa
        "\u0624": "\u0648",  # waw with hamza
        "\u0626": "\u064a",  # yaa with hamza
        "\u06cc": "\u064a",  # Persian yeh
        "\u06a9": "\u0643",  # Persian keheh
        "\u0621": "",  # lone hamza
    }
)
_LATIN_EXTRA = str.maketrans({"đ": "d", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss",
                              "ё": "е", "ı": "i"})
_STRIP_BASES = re.compile(r"[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# \w misses the vowel signs and viramas of Indic scripts (categories Mc/Mn): include the
# Indic and Thai blocks whole (minus the danda marks) so "डॉक्टर" stays one word.
_WORD = re.compile(r"[\w\u0300-\u036f\u0900-\u0963\u0966-\u0dff\u0e00-\u0e7f]+")
_ARABIC_ARTICLE = re.compile(r"^(?:و?ال|بال|لل)(?=\w{3,})")
_ARTICLE_START = frozenset("وابل")  # a word _ARABIC_ARTICLE can match starts with one

STOPWORDS = frozenset(
    """a an and at for in of on or the to with near me my i need help
    de del la las el los en y o para con un una por al
    le les des du et ou pour avec au aux une
    da do das dos e em com um uma
    și sau cu la pentru
    në dhe për me
    в и на для с по у
    và của cho ở
    में और के की का
    في من على و
    در و از به با""".split()
)
# Typos a term may carry, by its length: none up to 3 characters, one up to 6, else two.
NO_TYPO_UPTO, ONE_TYPO_UPTO = 3, 6


# A run of non-ASCII characters right after a Latin, Greek or Cyrillic letter: the only places
# fold drops combining accents (decided character by character in _drop_accents).
_AFTER_BASE = re.compile(r"(?<=[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff])[^\x00-\u02ff]+")


def fold(text: str) -> str:
    """Case-fold and strip what should not distinguish words (diacritics, Arabic forms)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():  # nothing below changes ASCII
        return text
    text = _ARABIC_MARKS.sub("", text.translate(_LATIN_EXTRA)).translate(_ARABIC_FOLD)
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _AFTER_BASE.sub(_drop_accents, decomposed))


def _drop_accents(run: re.Match[str]) -> str:
    # Drop combining accents only after Latin, Greek or Cyrillic letters: Devanagari and
    # Ethiopic vowel signs are letters of their own and must stay. The run follows such a
    # letter; it may hold another one.
    out: list[str] = []
    after_base = True
    for ch in run.group(0):
        if after_base and unicodedata.category(ch) == "Mn":
            continue
        out.append(ch)
        after_base = bool(_STRIP_BASES.match(ch))
    return "".join(out)


def _stem(token: str) -> str:
    """A deliberately light stemmer: only the Arabic definite article (and its prefixes)."""
    token = _ARABIC_ARTICLE.sub("", token)
    return token


def tokens(text: str) -> list[str]:
    """Split folded text into search tokens; CJK runs become overlapping bigrams."""
    folded = fold(text)
    if not _CJK.search(folded):  # the common case, without the bigram walk
        words = _WORD.findall(folded)
        if "_" in folded:  # \w takes it; a word never starts or ends with it
            words = [w.strip("_") for w in words]
        return [_stem(w) if w[0] in _ARTICLE_START else w
                for w in words if len(w) >= 2 or w.isdigit()]
    out: list[str] = []
    for match in _WORD.finditer(folded):
        word = match.group(0)
        pos = 0
        for cjk in _CJK.finditer(word):
            out.extend(_plain(word[pos : cjk.start()]))
            run = cjk.group(0)
            if len(run) == 1:
                out.append(run)
            else:
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
            pos = cjk.end()
        out.extend(_plain(word[pos:]))
    return out


def _plain(word: str) -> list[str]:
    word = word.strip("_")
    if len(word) < 2 and not word.isdigit():
        return []
    return [_stem(word)]


def query_terms(text: str) -> list[str]:
    """Tokens of a query, without stopwords (unless nothing else is left), de-duplicated."""
    toks = tokens(text)
    kept = [t for t in toks if t not in STOPWORDS] or toks
    seen: dict[str, None] = {}
    for t in kept:
        seen.setdefault(t, None)
    return list(seen)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, giving up (limit + 1) once it exceeds limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[len(b)]


def max_typos(term: str) -> int:
    """How many edits a term of this length may carry and still match."""
    if _CJK.search(term):
        return 0
    n = len(term)
    if n <= NO_TYPO_UPTO:
        return 0
    if n <= ONE_TYPO_UPTO:
        return 1
    return 2


def trigrams(term: str) -> set[str]:
    """Padded character trigrams, for finding typo candidates quickly."""
    padded = f"  {term} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}
