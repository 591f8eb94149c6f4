"""A pseudo-locale render of every public page finds no hard-coded English.

The English source catalogue is replaced by a pseudo translation in which every letter of every
msgid becomes a look-alike outside ASCII. Whatever plain ASCII words are left on a rendered
page did not go through gettext — unless they are data (service names from the database) or
CLDR data (country, language, month names from Babel), which are removed first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import polib
import pytest
from babel import Locale
from flask import Flask
from sqlalchemy import select

from tests.conftest import Templates, make_app
from webapp.extensions import babel, db
from webapp.i18n import LOCALES

ROOT = Path(__file__).resolve().parent.parent
PSEUDO = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "àƀçđèƒĝĥìĵķĺɱñòƥǫŕšŧùṽŵẋýžÀƁÇĐÈƑĜĤÌĴĶĹṀÑÒƤǪŔŠŦÙṼŴẊÝŽ",
)
# Placeholders, HTML tags and entities keep their ASCII so the page still renders.
KEEP = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}|<[^>]+>|&[a-z]+;")
# Words that are names, not prose: the product, brands and abbreviations used in every locale.
ALLOWED = {"Haven", "WhatsApp", "SMS", "HSDS", "API", "JSON", "PDF", "QR", "TTY", "Esc", "OpenAPI",
           "Open", "Referral", "ILO", "UN"}


def pseudo(text: str) -> str:
    """Every letter outside placeholders and tags swapped for a non-ASCII look-alike."""
    out, pos = [], 0
    for m in KEEP.finditer(text):
        out.append(text[pos:m.start()].translate(PSEUDO))
        out.append(m.group(0))
        pos = m.end()
    out.append(text[pos:].translate(PSEUDO))
    return "".join(out)


def build_pseudo_catalog(target: Path) -> None:
    pot = polib.pofile(str(ROOT / "translations" / "messages.pot"))
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8",
                   "Plural-Forms": "nplurals=2; plural=(n != 1);"}
    for e in pot:
        if e.msgid_plural:
            po.append(polib.POEntry(msgid=e.msgid, msgid_plural=e.msgid_plural, msgctxt=e.msgctxt,
                                    msgstr_plural={0: pseudo(e.msgid), 1: pseudo(e.msgid_plural)}))
        else:
            po.append(polib.POEntry(msgid=e.msgid, msgctxt=e.msgctxt, msgstr=pseudo(e.msgid)))
    (target / "en" / "LC_MESSAGES").mkdir(parents=True)
    po.save_as_mofile(str(target / "en" / "LC_MESSAGES" / "messages.mo"))


class VisibleText(HTMLParser):
    """Text a reader sees or hears: text nodes and the attributes read aloud or shown."""

    SHOWN_ATTRS = {"alt", "title", "aria-label", "placeholder"}

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        a = dict(attrs)
        for name in self.SHOWN_ATTRS:
            if a.get(name):
                self.chunks.append(a[name] or "")
        if tag == "meta" and a.get("name") == "description":
            self.chunks.append(a.get("content") or "")
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.chunks.append(a["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.chunks.append(data)


def data_strings(app: Flask) -> list[str]:
    """Every string stored in the database, and Babel's English names (not UI text)."""
    found: set[str] = set()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)):
                found.update(v for v in row if isinstance(v, str) and len(v) > 1)
                # a source's site name ("modernslaveryhelpline.org") is shown on its own
                found.update(urlsplit(v).hostname.removeprefix("www.") for v in row
                             if isinstance(v, str) and v.startswith("http")
                             and urlsplit(v).hostname)
    en = Locale.parse("en")
    for names in (en.territories, en.languages, en.scripts):
        found.update(names.values())
    for width in ("wide", "abbreviated"):
        found.update(en.months["format"][width].values())
        found.update(en.days["format"][width].values())
    found.update(["AM", "PM"])
    found.update(loc.native for loc in LOCALES)  # each language named in itself
    return sorted(found, key=len, reverse=True)


def public_pages(app: Flask) -> list[str]:
    """Every public GET page without parameters, plus a results page and two details."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("directory.") and set(rule.arguments) == {"lang"} \
                and "GET" in (rule.methods or ()) and not rule.rule.endswith((".json", ".pdf",
                                                                              ".png", ".svg")):
            urls.append(rule.rule.replace("<lang>", "en"))
    urls += ["/en/search?q=shelter", "/en/search?q=abogado&open=1", "/en/search?near=nowhere",
             "/en/does-not-exist"]
    return sorted(urls)


@pytest.fixture
def pseudo_app(templates: Templates, request: pytest.FixtureRequest,
               tmp_path: Path) -> Iterator[Flask]:
    build_pseudo_catalog(tmp_path)
    app = make_app("sqlite", templates, request, BABEL_TRANSLATION_DIRECTORIES=str(tmp_path))
    # Flask-Babel caches catalogues on its (process-wide) domain: start and end clean.
    cache = babel.domain_instance.cache
    cache.clear()
    yield app
    cache.clear()


def leftover_english(html: str, data: list[str]) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    text = "\n".join(parser.chunks)
    for s in data:
        if s in text:  # whole words only: "in" must not eat the middle of "info"
            text = re.sub(rf"(?<![A-Za-z]){re.escape(s)}(?![A-Za-z])", " ", text)
    words = re.findall(r"[A-Za-z]{2,}", text)
    return sorted({w for w in words if w not in ALLOWED})


def test_pseudo_locale_pages_have_no_hard_coded_english(pseudo_app: Flask) -> None:
    """Render each public page under the pseudo catalogue; no ASCII English remains."""
    client = pseudo_app.test_client()
    data = data_strings(pseudo_app)
    with pseudo_app.app_context():
        from webapp.models import Service

        ids = db.session.scalars(select(Service.id).order_by(Service.id).limit(200)).all()
    pages = public_pages(pseudo_app) + [f"/en/services/{i}" for i in ids]
    # What the person typed is shown back to them ("We could not find “nowhere”"): not UI text.
    data = [*data, "nowhere"]
    problems = {}
    for url in pages:
        resp = client.get(url)
        assert resp.status_code in (200, 400, 404), url
        left = leftover_english(resp.get_data(as_text=True), data)
        if left:
            problems[url] = left
    assert not problems, f"untranslated words: {problems}"


def test_pseudo_check_would_catch_a_hard_coded_word(pseudo_app: Flask) -> None:
    """The check itself works: a page with one literal English word is caught."""
    data = data_strings(pseudo_app)
    client = pseudo_app.test_client()
    html = client.get("/en/about").get_data(as_text=True)
    assert leftover_english(html, data) == []
    assert leftover_english(html.replace("</main>", "<p>Shelters nearby</p></main>"), data) == [
        "Shelters", "nearby"]
