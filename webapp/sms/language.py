"""Which language a text message is in, and which words are commands.

The script decides first (Arabic or Persian letters, Ethiopic, Devanagari, Han, Cyrillic); in
Latin script the words do (each language's words for the kinds of help and the commands), with
Vietnamese told apart by its letters. A message that says nothing either way keeps the
conversation's language, or the deployment's default.
"""

from __future__ import annotations

import re
import unicodedata

# The words that ask for the emergency numbers and the hotline, by language.
HELP = {
    "en": ("help", "sos", "info"), "es": ("ayuda", "socorro"), "fr": ("aide", "secours"),
    "pt": ("ajuda", "socorro"), "ro": ("ajutor",), "sq": ("ndihme", "ndihmë"),
    "uk": ("допомога",), "ru": ("помощь",), "vi": ("giúp", "cứu"), "zh-Hans": ("帮助", "求助"),
    "hi": ("मदद", "सहायता"), "ar": ("مساعدة", "النجدة"), "fa": ("کمک",), "ti": ("ሓገዝ",),
}
# The words that ask for the next listings of the last search.
MORE = {
    "en": ("more", "next"), "es": ("mas", "más"), "fr": ("plus", "suite"), "pt": ("mais",),
    "ro": ("mai", "inca", "încă"), "sq": ("me shume", "më shumë", "tjeter", "tjetër"),
    "uk": ("ще", "далі"), "ru": ("ещё", "еще", "дальше"), "vi": ("thêm", "tiếp"),
    "zh-Hans": ("更多", "下一页"), "hi": ("और", "अगला"), "ar": ("المزيد", "مزيد", "التالي"),
    "fa": ("بیشتر", "بعدی"), "ti": ("ተወሳኺ", "ቀጽል"),
}
# Words that only one Latin-script language uses for what people text about.
WORDS = {
    "en": ("shelter", "lawyer", "legal", "doctor", "clinic", "food", "work", "job", "near",
           "safe", "house", "counselling", "counseling", "hotline", "need", "where", "the"),
    "es": ("refugio", "albergue", "abogado", "abogada", "salud", "comida", "trabajo", "cerca",
           "necesito", "donde", "dónde", "casa", "acogida", "asesoria", "asesoría", "el", "la",
           "para", "de"),
    "fr": ("hebergement", "hébergement", "abri", "foyer", "avocat", "juridique", "sante",
           "santé", "medecin", "médecin", "nourriture", "besoin", "ou", "où", "pres", "près",
           "les", "des", "pour", "je"),
    "pt": ("abrigo", "advogado", "advogada", "juridica", "jurídica", "saude", "saúde",
           "comida", "preciso", "onde", "perto", "trabalho"),
    "ro": ("adapost", "adăpost", "sanatate", "sănătate", "unde", "aproape", "munca", "muncă",
           "juridic"),
    "sq": ("streh", "strehe", "strehë", "strehim", "avokat", "shendet", "shëndet", "ku",
           "afer", "afër", "pune", "punë"),
    "vi": ("nha", "tam", "lanh", "luat", "su", "cho", "o"),
}
# Ukrainian words with no letter Russian lacks.
UKRAINIAN = ("притулок", "житло", "допомога", "далі", "ще", "робота", "лікар")
VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]",
                        re.IGNORECASE)
PERSIAN = re.compile("[پچژگکی]")


def fold(text: str) -> str:
    """Lower case, accents kept (they tell languages apart), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def by_script(text: str) -> str | None:
    """The language a non-Latin script says, if any."""
    counts: dict[str, int] = {}
    for ch in text:
        code = ord(ch)
        if 0x0600 <= code <= 0x06FF or 0xFB50 <= code <= 0xFEFF:
            counts["arabic"] = counts.get("arabic", 0) + 1
        elif 0x1200 <= code <= 0x139F:
            counts["ti"] = counts.get("ti", 0) + 1
        elif 0x0900 <= code <= 0x097F:
            counts["hi"] = counts.get("hi", 0) + 1
        elif 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
            counts["zh-Hans"] = counts.get("zh-Hans", 0) + 1
        elif 0x0400 <= code <= 0x04FF:
            counts["cyrillic"] = counts.get("cyrillic", 0) + 1
    if not counts:
        return None
    script = max(counts, key=lambda k: counts[k])
    if script == "arabic":
        return "fa" if PERSIAN.search(text) else "ar"
    if script == "cyrillic":
        folded = fold(text)
        ukrainian = re.search("[іїєґ]", folded) or any(
            w in UKRAINIAN for w in re.findall(r"\w+", folded))
        return "uk" if ukrainian else "ru"
    return script


def detect(text: str) -> str | None:
    """The language of a message, or None when nothing in it says."""
    found = by_script(text)
    if found:
        return found
    folded = fold(text)
    if VIETNAMESE.search(folded):
        return "vi"
    words = re.findall(r"\w+", folded)
    scores: dict[str, int] = {}
    for lang, vocab in (*WORDS.items(), *HELP.items(), *MORE.items()):
        hits = sum(1 for w in words if w in vocab)
        if hits:
            scores[lang] = scores.get(lang, 0) + hits
    if not scores:
        return None
    best = max(scores.values())
    winners = [lang for lang, n in scores.items() if n == best]
    return winners[0] if len(winners) == 1 else None


def command(text: str) -> tuple[str, str | None, str]:
    """(kind, language the word belongs to, argument) for HELP, MORE and LANG xx; kind ''
    for a search."""
    folded = fold(text).strip(" .!?¿¡")
    for kind, table in (("help", HELP), ("more", MORE)):
        for lang, words in table.items():
            if folded in words:
                return kind, lang, ""
    m = re.fullmatch(r"(?:lang|idioma|langue|lingua|limba|gjuha|мова|язык|ngôn ngữ)\s+(\S+)",
                     folded)
    if m:
        return "lang", None, m.group(1)
    return "", None, ""
