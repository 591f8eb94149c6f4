"""Catalogues: complete, valid, in step with the code, and checked by the usual linters."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from webapp.cli import extract_pot
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
    """One voice per language: no form the translator's guide rules out (translations/GUIDE.md),
    e.g. tú in es, 你 in zh-Hans, a masculine singular imperative on the exit button in ar/ti."""
    from tests.register import never_forms, violations

    babel = loc.babel  # type: ignore[attr-defined]
    assert babel in never_forms(), f"translations/GUIDE.md has no row for {babel}"
    po = polib.pofile(str(po_path(babel)))
    texts = [(e.msgid, e.msgstr) for e in po if e.msgstr and not e.obsolete]
    found = violations(babel, texts)
    assert not found, "\n".join(f"{w!r} in {t!r}" for w, _m, t in found[:10])


@pytest.mark.parametrize(("babel", "text", "word"), [
    ("es", "¿Ya enviaste un aviso? Consúltalo con tu número.", "tu"),
    ("zh_Hans", "你的收据", "你"),
    ("ar", "غادر بسرعة", "غادر"),
    ("ti", "ቀልጢፍካ ውጻእ", "ውጻእ"),
])
def test_register_check_catches_a_planted_form(babel: str, text: str, word: str) -> None:
    """The check is not empty: a planted familiar/masculine form is found."""
    from tests.register import violations

    assert [w for w, _m, _t in violations(babel, [("x", text)])] == [word]
