"""What "the same word" means to search, for any text a person types.

The index and the query both go through search/text.py: a wrong fold or a token dropped there
means a survivor who types "ملجأ", "йод" or a number in their own digits finds nothing. These
properties check the folding rules, the tokens (Arabic article, underscores, CJK bigrams,
digits in every script), the typo distance against a plain reference implementation, and the
typo allowance and trigrams that find near matches.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.search import text

settings.register_profile("text", deadline=None, max_examples=80)
PROFILE = settings.get_profile("text")

DIGIT_ZEROS = {"ascii": 0x30, "arabic-indic": 0x0660, "persian": 0x06F0, "devanagari": 0x0966,
               "full-width": 0xFF10}
LATIN_GREEK_CYRILLIC = "abcdefxyzαβγδεжзиклмнопр"
# U+0345 is left out: it case-folds to a letter (iota), so it is not an accent to drop.
COMBINING = [chr(c) for c in range(0x0300, 0x0370) if c != 0x0345]


def osa(a: str, b: str) -> int:
    """Optimal string alignment distance, the textbook table (no limit, no shortcut)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


# edit distance ---------------------------------------------------------------------------

SHORT = st.text(alphabet="abcd", max_size=8)


@PROFILE
@given(SHORT, SHORT, st.integers(0, 4))
def test_edit_distance_is_the_true_distance_up_to_the_limit(a: str, b: str, limit: int) -> None:
    """Within the limit, the exact distance; past it, a number past the limit (limit + 1 when
    it gives up early, the true distance when the last row is where it shows)."""
    true = osa(a, b)
    for got in (text.edit_distance(a, b, limit), text.edit_distance(b, a, limit)):
        if true <= limit:
            assert got == true
        else:
            assert limit < got <= true


@pytest.mark.parametrize(("a", "b", "limit", "distance"), [
    ("", "", 2, 0),
    ("shelter", "shelter", 0, 0),
    ("ab", "", 5, 2),
    ("", "abc", 5, 3),
    ("abcdef", "ab", 2, 3),  # too different in length: given up at once
    ("abcdef", "ab", 1, 2),
    ("ab", "ba", 2, 1),  # a transposition is one edit
    ("ab", "ba", 0, 1),
    ("shetler", "shelter", 2, 1),
    ("abcd", "badc", 3, 2),
    ("ca", "abc", 3, 3),  # optimal string alignment, not full Damerau
    ("a", "b", 3, 1),  # a substitution is one edit, not two
    ("ab", "a", 2, 1),  # a deletion is one edit
    ("b", "ba", 1, 1),  # an insertion is one edit
    ("aaa", "a", 2, 2),  # a transposition needs two letters on each side
    ("abc", "xyz", 1, 2),  # given up (limit + 1) once a whole row exceeds the limit
    ("kitten", "sitting", 5, 3),
    ("conseling", "counselling", 2, 2),
    ("محامي", "محامى", 1, 1),
])
def test_edit_distance_examples(a: str, b: str, limit: int, distance: int) -> None:
    """Typo distances a searcher meets, and the give-up value."""
    assert text.edit_distance(a, b, limit) == distance


@pytest.mark.parametrize(("term", "typos"), [
    ("", 0), ("abc", 0), ("abcd", 1), ("abcdef", 1), ("abcdefg", 2), ("counselling", 2),
    ("律师律师律师律师", 0), ("abcdefg律", 0), ("ملجأ", 1), ("مستشفيات", 2),
])
def test_max_typos(term: str, typos: int) -> None:
    """Short words must match exactly, longer ones may carry one or two typos; CJK none."""
    assert text.max_typos(term) == typos


@pytest.mark.parametrize(("term", "grams"), [
    ("", {"   "}),
    ("a", {"  a", " a "}),
    ("ab", {"  a", " ab", "ab "}),
    ("abcd", {"  a", " ab", "abc", "bcd", "cd "}),
    ("aaaa", {"  a", " aa", "aaa", "aa "}),
])
def test_trigrams(term: str, grams: set[str]) -> None:
    """Two spaces before, one after: a term's start weighs more than its end."""
    assert text.trigrams(term) == grams


@PROFILE
@given(st.text(max_size=12))
def test_trigrams_cover_the_padded_term(term: str) -> None:
    """Every trigram has three characters, and together they spell the padded term."""
    grams = text.trigrams(term)
    padded = f"  {term} "
    assert grams == {padded[i:i + 3] for i in range(len(term) + 1)}
    assert all(len(g) == 3 for g in grams)


# folding --------------------------------------------------------------------------------


@PROFILE
@given(st.lists(st.tuples(st.sampled_from(LATIN_GREEK_CYRILLIC),
                          st.lists(st.sampled_from(COMBINING), max_size=3)),
                min_size=1, max_size=8))
def test_accents_after_latin_greek_cyrillic_letters_vanish(word: list[tuple[str, list[str]]]
                                                           ) -> None:
    """Any accents on Latin, Greek or Cyrillic letters fold away, whatever their number."""
    typed = "".join(base + "".join(marks) for base, marks in word)
    bare = "".join(base for base, _ in word)
    assert text.fold(typed) == text.fold(bare)
    assert text.fold(typed.upper()) == text.fold(bare)


@pytest.mark.parametrize(("typed", "folded"), [
    ("йод", "иод"),  # the breve goes, the letters after it stay
    ("бй", "би"),
    ("Мой дом", "мои дом"),
    ("ÁBOGADO", "abogado"),
    ("Ελλάδα", "ελλαδα"),
    ("xडॉक्टर", "xडॉक्टर"),  # vowel signs after another script's letter are letters
    ("aकि", "aकि"),
    ("straße", "strasse"),
    ("مَأْوَى", "ماوي"),
    ("ＡＢＣ１２３", "abc123"),
])
def test_fold_examples(typed: str, folded: str) -> None:
    """Folding drops accents only where they are accents."""
    assert text.fold(typed) == unicodedata.normalize("NFC", folded)


# tokens --------------------------------------------------------------------------------


@PROFILE
@given(st.sampled_from(sorted(DIGIT_ZEROS.values())), st.lists(st.integers(0, 9), min_size=1,
                                                               max_size=12))
def test_a_number_in_any_script_is_one_token(zero: int, digits: list[int]) -> None:
    """A receipt, a postcode or a house number in any digits stays one whole token, even a
    single digit; full-width digits read as ASCII."""
    typed = "".join(chr(zero + d) for d in digits)
    expected = "".join(str(d) for d in digits) if zero == 0xFF10 else typed
    assert text.tokens(typed) == [expected]
    assert text.tokens(f"shelter {typed} ملجأ") == ["shelter", expected, "ملجا"]
    assert text.query_terms(f"near {typed}") == [expected]


@pytest.mark.parametrize(("typed", "tokens"), [
    ("5", ["5"]),
    ("a 5 b", ["5"]),
    ("ab cd e", ["ab", "cd"]),
    ("__foo__ bar_ _", ["foo", "bar"]),
    ("snake_case", ["snake_case"]),
    ("المحامي والطبيب بالمدرسة للطالب", ["محامي", "طبيب", "مدرسه", "طالب"]),
    ("الم", ["الم"]),  # too short to carry the article
    ("ولد", ["ولد"]),
    ("我", ["我"]),
    ("我 ab", ["我", "ab"]),
    ("我们", ["我们"]),
    ("我需要律师", ["我需", "需要", "要律", "律师"]),
    ("ab我们", ["ab", "我们"]),
    ("a我们b", ["我们"]),
    ("ab_我们_cd", ["ab", "我们", "cd"]),
    ("5我们7", ["5", "我们", "7"]),
    ("الطبيب我们", ["طبيب", "我们"]),
    ("我们 الطبيب", ["我们", "طبيب"]),
])
def test_tokens(typed: str, tokens: list[str]) -> None:
    """Words of two letters or more, any number, the article off, CJK in bigrams."""
    assert text.tokens(typed) == tokens


@pytest.mark.parametrize(("query", "terms"), [
    ("help me near Fresno shelter shelter", ["fresno", "shelter"]),
    ("the", ["the"]),  # only stopwords: keep them rather than search for nothing
    ("in the", ["in", "the"]),
    ("the the", ["the"]),
    ("b_b aa b_b aa", ["b_b", "aa"]),
    ("مأوى في فريسنو", ["ماوي", "فريسنو"]),
    ("", []),
])
def test_query_terms(query: str, terms: list[str]) -> None:
    """Query tokens without stopwords, each once, in the order typed."""
    assert text.query_terms(query) == terms
