"""Catalogues: complete, valid, in step with the code, and checked by the usual linters."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from webapp.cli.translate import extract_pot
from webapp.i18n import LOCALES

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
CATALOGS = [loc for loc in LOCALES if loc.tag != "en"]


def po_path(babel: str) -> Path:
    return TRANSLATIONS / babel / "LC_MESSAGES" / "messages.po"


def test_messages_pot_is_not_stale(tmp_path: Path) -> None:
    """Re-extracting from the code gives exactly the committed messages.pot."""
    fresh = tmp_path / "messages.pot"
    extract_pot(fresh)
    assert fresh.read_text() == (TRANSLATIONS / "messages.pot").read_text(), (
        "messages.pot is stale: run `flask --app app translate update` and translate")
    assert len(polib.pofile(str(fresh))) > 100  # babel.cfg still finds the code


@pytest.mark.parametrize("loc", CATALOGS, ids=lambda loc: loc.tag)
def test_catalog_complete_and_valid(loc: object) -> None:
    """Every msgid of the template is translated, none fuzzy, msgfmt --check passes."""
    path = po_path(loc.babel)  # type: ignore[attr-defined]
    po = polib.pofile(str(path))
    pot = polib.pofile(str(TRANSLATIONS / "messages.pot"))
    ids = {e.msgid for e in po if not e.obsolete}
    assert {e.msgid for e in pot} <= ids
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    if shutil.which("msgfmt") is None:
        pytest.fail("msgfmt (gettext) is required")
    subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(path)], check=True,
                   capture_output=True)


def test_pofilter_finds_nothing(tmp_path: Path) -> None:
    """translate-toolkit's pofilter (it always exits 0, so its output is what we test)."""
    out = tmp_path / "pofilter"
    subprocess.run([sys.executable, "-m", "translate.filters.pofilter", "--progress=none",
                    "-t", "printf", "-t", "xmltags", "-t", "numbers", "-t", "nplurals",
                    "-t", "untranslated",
                    "-t", "isfuzzy", str(TRANSLATIONS), str(out)], check=True,
                   capture_output=True)
    problems = [str(p) for p in out.rglob("*.po") if len(polib.pofile(str(p))) > 0]
    assert problems == []


def test_dennis_lint_strict() -> None:
    """dennis finds no malformed or mismatched variables in any catalogue."""
    dennis = Path(sys.executable).parent / "dennis-cmd"
    # W302 (translation equals source) is right for brand names and loanwords: WhatsApp, Fax.
    result = subprocess.run([str(dennis), "lint", "--strict", "--excluderules", "W302",
                             *[str(po_path(loc.babel)) for loc in CATALOGS]],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("loc", CATALOGS, ids=lambda loc: loc.tag)
def test_pages_render_translated(client: object, loc: object) -> None:
    """The home page is in the locale's language: its headline is the translated one."""
    po = polib.pofile(str(po_path(loc.babel)))  # type: ignore[attr-defined]
    headline = po.find("Help is available").msgstr
    html = client.get(f"/{loc.tag}/").get_data(as_text=True)  # type: ignore[attr-defined]
    assert headline in html
    assert "Help is available" not in html


@pytest.mark.parametrize("loc", CATALOGS, ids=lambda loc: loc.tag)
def test_register(loc: object) -> None:
    """One voice per language: no string of the catalogue, plural forms included, uses a form the
    translator's guide rules out (translations/GUIDE.md), e.g. tú in es, 你 in zh-Hans, a
    masculine singular form addressed to the reader in ar/ti."""
    from tests.register import catalogue_texts, never_forms, violations

    babel = loc.babel  # type: ignore[attr-defined]
    assert babel in never_forms(), f"translations/GUIDE.md has no row for {babel}"
    found = violations(babel, catalogue_texts(po_path(babel)))
    assert not found, "\n".join(f"{w!r} in {t!r}" for w, _m, t in found[:10])


def test_register_reads_plural_forms(tmp_path: Path) -> None:
    """A familiar form hidden in the second plural form of an entry is found."""
    from tests.register import catalogue_texts, violations

    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=utf-8"}
    po.append(polib.POEntry(msgid="%(num)d photo", msgid_plural="%(num)d photos",
                            msgstr_plural={0: "%(num)d ስእሊ", 1: "%(num)d ስእልታት ደውል።"}))
    po.save(str(tmp_path / "messages.po"))
    texts = catalogue_texts(tmp_path / "messages.po")
    assert [w for w, _m, _t in violations("ti", texts)] == ["ደውል"]


@pytest.mark.parametrize(("babel", "text", "words"), [
    ("es", "¿Ya enviaste un aviso? Consúltalo con tu número.", ["tu"]),
    ("zh_Hans", "你的收据", ["你"]),
    ("ar", "غادر بسرعة", ["غادر"]),
    ("ti", "ቀልጢፍካ ውጻእ", ["ውጻእ", "-ካ"]),
    ("ar", "هذا لكَ", ["vocalised masculine «كَ/تَ»"]),
])
def test_register_check_catches_a_planted_form(babel: str, text: str, words: list[str]) -> None:
    """The check is not empty: a planted familiar/masculine form is found."""
    from tests.register import violations

    assert [w for w, _m, _t in violations(babel, [("x", text)])] == words


# The catalogues' own text before the register was fixed, and what each check finds in it: every
# check added to tests/register.py is shown failing the strings it was written for.
OLD_STRINGS = [
    # Tigrinya: Ethiopic punctuation ends a word (ደውል።), the -ካ/-ኻ endings, more imperatives.
    ("ti", "ሕጂ ኣብ ሓደጋ እንተሎኻ፡ ናብ ቁጽሪ ህጹጽ ደውል። ኣብ ታሕቲ ዘለዉ መስመራት ብነጻን ምስጢራውያንን እዮም።",
     {"ደውል", "-ኻ"}),
    ("ti", "ሰዓታት ኣይተገልጸን፦ ቅድሚ ምኻድካ ደውል።", {"ደውል", "-ካ"}),
    ("ti", "ንውሕስነት ነበርቲ፡ እቲ ኣድራሻ ምስጢራዊ እዩ። ንምብጻሕ ቈጸራ ንምሓዝ ናብ ቁጽሪ ምቕባል ደውል።", {"ደውል"}),
    ("ti", "መወዳእታ ምርግጋጽ ካብ ሓደ ዓመት ንላዕሊ ኣቐዲሙ እዩ። ሓበሬታ ተቐይሩ ክኸውን ይኽእል፦ ቅድም ደውል።", {"ደውል"}),
    ("ti", "ሕጂ ሓደ ሰብ ኣብ ሓደጋ እንተሎ፡ ናብ ቁጽሪ ህጹጽ ደውል። እንተዘይኮይኑ፡ መስመር ሓገዝ ብምስጢር ምሳኻ ክዛረብ ይኽእል።",
     {"ደውል", "-ኻ"}),
    ("ti", "ዘይተረጋገጸልካ እዚ ዘረፋ ሰብ ድዩ? ምልክታት ፍለጥ።", {"-ካ", "ፍለጥ"}),
    ("ti", "ከም ኩሉ መርበብ፡ ዝበጻሕካዮም ገጻት ኣብ ታሪኽ መርበብ ክርኣዩ ይኽእሉ። ካልእ ሰብ ስልክኻ ክርኢ እንተ ኽኢሉ፡ "
           "ብሕታዊ መስኮት ተጠቐም፡ ድሕሪኡ ድማ ታሪኽ ደምስስ።", {"-ኻ", "ተጠቐም", "ደምስስ"}),
    ("ti", "ብዙሕ ፈተነታት። ሓንቲ ደቒቕ ተጸበ ደሓር እንደገና ፈትን።", {"ተጸበ", "ፈትን"}),
    ("ti", "ዋላ ሓንቲ ኣይተረኽበን። ውሑዳት ቃላት፡ ካልእ ኣጻሕሕፋ ፈትን፡ ወይ መጻረዪ ኣልግስ።", {"ፈትን", "ኣልግስ"}),
    ("ti", "ኣብ ጥቓኻ ሓገዝ ርኸብ፦ መዕቆቢ፡ ሕጋዊ ሓገዝ፡ ምኽሪ፡ ሕክምናዊ ክንክንን መስመራት ሓገዝን።", {"-ኻ", "ርኸብ"}),
    ("ti", "ቦታይ ተጠቐም (ኣብዚ ስልኪ ይተርፍ)", {"ተጠቐም"}),
    ("ti", "ኣብ ጥቓኻ ዘለዉ ኣገልግሎታት ንምርካብ ቦታኻ እንተ ኣካፊልካ፡ ኣብ ስልክኻን ነታ ሓንቲ ምድላይ ጥራይን እዩ ዝጥቀመሉ፡ ኣይዕቀብን።",
     {"-ካ", "-ኻ"}),
    ("ti", "ኣብ ሕርሻ፡ ፋብሪካ፡ ገዛ፡ ቤት መግቢ ክኸውን ይኽእል።", set()),  # a loanword, not "you"
    # Arabic: imperatives with an attached pronoun, the added imperatives, vowel marks ignored.
    ("ar", "اعثر على المساعدة بالقرب منك: مأوى، مساعدة قانونية.", {"اعثر"}),
    ("ar", "طريقة آمنة للتواصل معك (اختياري). اتركه فارغًا كي لا يتواصل معك أحد.", {"اترك"}),
    ("ar", "تعذّر إرسال هذا البلاغ. اكتبه من جديد.", {"اكتب"}),
    ("ar", "هل أرسلت بلاغًا من قبل؟ تابِعه برقم الإيصال.", {"تابِع"}),
    ("ar", "الرقم غير مطابق. قارنه رقمًا رقمًا واكتبه من جديد.", {"قارن", "اكتب"}),
    ("ar", "انتهت صلاحية هذا النموذج. أعد تحميل الصفحة وأرسله من جديد.", {"أعد", "أَرسِل"}),
    ("ar", "أزِل أحرف التحكم غير المرئية من هذا النص.", {"أزِل"}),
    ("ar", "اطبع إشعارًا برمز QR يفتح Haven بلغة القارئ.", {"اطبع"}),
    ("ar", "مساعدة مجانية وسرّية بلغتك. لست مضطرًا لذكر اسمك.", {"masculine predicate after لست"}),
    ("ar", "هل تُجبَر على العمل أو على بيع الجنس؟ لست وحدك.",
     {"vocalised second person in a question"}),
    ("ar", "أُرسل ردك. هذا الرمز استُخدم من قبل.", set()),  # passives, vocalised as such
    ("ar", "العمل أو الأجر أو الظروف ليست كما وُعد بها.", set()),  # وعد is not و + عد
    # Spanish: tú forms, imperatives only where an instruction starts.
    ("es", "Llama ahora al número de emergencias. Un aviso lo leen personas.", {"^llama"}),
    ("es", "Si alguien está encerrado, puede estar en peligro ahora: llama al número de emergencias.",
     {"^llama"}),
    ("es", "Informar de algo que viste", {"viste"}),
    ("es", "¿Qué pasó? Describe lo que viste u oíste.", {"^describe", "viste", "oíste"}),
    ("es", "¿Qué viste? Marca todo lo que corresponda.", {"viste", "^marca"}),
    ("es", "Una forma segura de contactarte (opcional). Déjalo vacío para que nadie pueda "
           "contactarte.", {"contactarte", "déjalo"}),
    ("es", "Guardado en este teléfono. Se enviará cuando tengas conexión.", {"tengas"}),
    ("es", "No coincide. Compáralo dígito a dígito y vuelve a escribirlo.", {"compáralo", "^vuelve"}),
    ("es", "Escribe el número de recibo para comprobar que lo anotaste bien",
     {"^escribe", "anotaste"}),
    ("es", "Este aviso no se pudo enviar. Escríbelo de nuevo.", {"escríbelo"}),
    ("es", "Frenamos los intentos repetidos. No se guardó nada sobre ti.", {"ti"}),
    ("es", "Sin JavaScript, usa la configuración del navegador.", {"^usa"}),
    ("es", "Deja vacío el último campo; sirve para frenar el spam automático.", {"^deja"}),
    ("es", "Escribe una respuesta o añade una foto.", {"^escribe", "^añade"}),
    ("es", "Una línea de ayuda puede orientarte de forma confidencial.", {"orientarte"}),
    ("es", "Ningún aviso tiene este número. Revisa los 16 dígitos y vuelve a intentarlo.",
     {"^revisa", "^vuelve"}),
    ("es", "languages: elige de 1 a 3 idiomas distintos.", {"^elige"}),
    ("es", "Imprime un aviso con un código QR.", {"^imprime"}),
    ("es", "el empleador usa contra la persona su pobreza; una deuda que no deja de crecer; "
           "lo que la ley llama trata", set()),  # third person: not an instruction
]


@pytest.mark.parametrize(("babel", "text", "expected"), OLD_STRINGS)
def test_register_finds_what_the_old_catalogues_said(babel: str, text: str,
                                                     expected: set[str]) -> None:
    """Each check finds exactly the forms the earlier catalogue text broke the guide with."""
    from tests.register import violations

    assert {w for w, _m, _t in violations(babel, [("x", text)])} == expected
