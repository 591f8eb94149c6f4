"""The in-memory word lists search expands queries with (typos, prefixes, category words).

Held with the search index (memindex.py), which keeps it current change by change."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from sqlalchemy import select

from webapp.directory import taxonomy
from webapp.extensions import db
from webapp.models import SearchVocab
from webapp.search import text

PREFIX_LIMIT = 12  # longer words a partly typed term expands to, at most
NEAR_LIMIT = 8  # typo neighbours a term expands to, at most


@dataclass
class Vocabulary:
    """Distinct index tokens, a trigram index over them, and the category word list."""

    words: list[str] = field(default_factory=list)  # sorted, for prefix lookups
    grams: dict[str, list[str]] = field(default_factory=dict)

    def prefixed(self, term: str, limit: int = PREFIX_LIMIT) -> list[str]:
        """Index words that start with term (for a partly typed word)."""
        i = bisect.bisect_left(self.words, term)
        out: list[str] = []
        while i < len(self.words) and self.words[i].startswith(term) and len(out) < limit:
            if self.words[i] != term:
                out.append(self.words[i])
            i += 1
        return out

    def near(self, term: str, limit: int = NEAR_LIMIT) -> list[tuple[str, int]]:
        """Index words within the term's typo allowance, closest first."""
        allowance = text.max_typos(term)
        if allowance == 0:
            return []
        counts: dict[str, int] = {}
        for gram in text.trigrams(term):
            for word in self.grams.get(gram, ()):
                counts[word] = counts.get(word, 0) + 1
        need = max(1, len(text.trigrams(term)) - 3 * allowance)
        found = []
        for word, shared in counts.items():
            if shared >= need and word != term:
                d = text.edit_distance(term, word, allowance)
                if d <= allowance:
                    found.append((d, word))
        found.sort()
        return [(w, d) for d, w in found[:limit]]


def is_word(token: str) -> bool:
    """Whether a token is a word typo and prefix lookups expand to (not a category or
    exact-name key, which have a colon)."""
    return ":" not in token


def build() -> Vocabulary:
    """The vocabulary from the database's token table."""
    words = sorted(w for w in db.session.scalars(select(SearchVocab.token)) if is_word(w))
    grams: dict[str, list[str]] = {}
    for w in words:
        for g in text.trigrams(w):
            grams.setdefault(g, []).append(w)
    return Vocabulary(words, grams)


def changed(old: Vocabulary, added: list[str], removed: list[str]) -> Vocabulary:
    """A new vocabulary with these words added and removed; old is left as it was (a search
    in another thread may be reading it)."""
    added = [w for w in added if ":" not in w]
    gone = {w for w in removed if ":" not in w}
    if not added and not gone:
        return old
    words = [w for w in old.words if w not in gone] if gone else list(old.words)
    grams = dict(old.grams)
    copied: set[str] = set()

    def gram_list(g: str) -> list[str]:
        if g not in copied:
            grams[g] = list(grams.get(g, ()))
            copied.add(g)
        return grams[g]

    for w in gone:
        for g in text.trigrams(w):
            listed = gram_list(g)
            if w in listed:
                listed.remove(w)
    for w in added:
        at = bisect.bisect_left(words, w)
        if at == len(words) or words[at] != w:
            words.insert(at, w)
            for g in text.trigrams(w):
                gram_list(g).append(w)
    return Vocabulary(words, grams)


@dataclass(frozen=True)
class CategoryWord:
    """One folded synonym of a category, as tokens."""

    code: str
    tokens: tuple[str, ...]


def _category_words() -> list[CategoryWord]:
    out = []
    for code, words in taxonomy.SYNONYMS.items():
        for w in words:
            toks = tuple(text.tokens(w))
            if toks:
                out.append(CategoryWord(code, toks))
    return out


CATEGORY_WORDS = _category_words()
_SINGLE: dict[str, set[str]] = {}
for _cw in CATEGORY_WORDS:
    if len(_cw.tokens) == 1:
        _SINGLE.setdefault(_cw.tokens[0], set()).add(_cw.code)


def categories_for(term: str) -> set[str]:
    """Category codes a single query term names, allowing for typos."""
    if term in _SINGLE:
        return set(_SINGLE[term])
    allowance = text.max_typos(term)
    found: set[str] = set()
    if allowance:
        for word, codes in _SINGLE.items():
            if abs(len(word) - len(term)) <= allowance and \
                    text.edit_distance(term, word, allowance) <= allowance:
                found |= codes
    return found


def phrase_categories(raw_tokens: list[str]) -> dict[str, set[str]]:
    """Multi-token category phrases ('legal aid', 'خط ساخن', CJK bigrams) in the query.

    Returns category code -> the query tokens the phrase covers.
    """
    out: dict[str, set[str]] = {}
    for cw in CATEGORY_WORDS:
        n = len(cw.tokens)
        if n < 2:
            continue
        for i in range(len(raw_tokens) - n + 1):
            if tuple(raw_tokens[i:i + n]) == cw.tokens:
                out.setdefault(cw.code, set()).update(cw.tokens)
    return out
