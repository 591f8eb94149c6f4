"""Every Call, Text and WhatsApp link dials the number it shows: over every phone in
services_data/, the verified hotlines, a corpus of real formats, and every public page in
every locale. Typed digits in any script normalise to the same number (Hypothesis)."""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.digit_scripts import SCRIPTS, in_script
from tests.pages import public_paths
from tests.reference import HOTLINES_CSV
from webapp import digits
from webapp.directory import presenters
from webapp.extensions import db
from webapp.i18n import LOCALES
from webapp.models import Service

ROOT = Path(__file__).resolve().parent.parent

# (as written, what a phone must dial): hand-written, not computed.
CORPUS = [
    ("(559) 555-0140", "5595550140"),
    ("(02) 1343", "021343"),
    ("+1 (888) 373-7888", "+18883737888"),
    ("1-888-373-7888", "18883737888"),
    ("+18883737888", "+18883737888"),
    ("+44 (0)20 7946 0000", "+442079460000"),
    ("+63 (02) 1343", "+6321343"),
    ("0800 0121 700", "08000121700"),
    ("08000 121 700", "08000121700"),
    ("0 800 800 678", "0800800678"),
    ("033 448 11 86", "0334481186"),
    ("0800-7000", "08007000"),
    ("116 006", "116006"),
    ("911", "911"),
    ("911; 089 (denuncia anónima)", "911"),
    ("999 or 112", "999"),
    ("800 5533 000 (older source: 01 800 5533 000)", "8005533000"),
    ("988 then press 1", "988,1"),
    ("(559) 555-0140 ext. 12", "5595550140,12"),
    ("(559) 555-0140 x12", "5595550140,12"),
    ("01632 960 123", "01632960123"),
    ("٠٥٥٥ ١٢٣ ٤٥٦", "0555123456"),
    ("۰۹۱۲ ۳۴۵ ۶۷۸۹", "09123456789"),
    ("（５５９）５５５-０１４０", "5595550140"),
    ("०८०० १२३ ४५६", "0800123456"),
    ("n/a (short code)", ""),
]


@pytest.mark.parametrize(("written", "dialled"), CORPUS)
def test_corpus_dials_the_number(written: str, dialled: str) -> None:
    assert digits.dial(written) == dialled
    href = presenters.dial_href(written, "voice")
    assert href == (f"tel:{dialled}" if dialled else "")


@pytest.mark.parametrize(("written", "country", "wa"), [
    ("(213) 555-0104", "US", "12135550104"),
    ("+44 (0)20 7946 0000", "GB", "442079460000"),
    ("020 7946 0000", "GB", "442079460000"),
    ("+52 800 5533 000", "MX", "528005533000"),
    ("911", "US", ""),
    ("(213) 555-0104", None, ""),
])
def test_whatsapp_links_carry_the_country_code(written: str, country: str | None,
                                               wa: str) -> None:
    """wa.me needs the international number: a national one opens nobody's chat."""
    assert presenters.dial_href(written, "whatsapp", country) == (
        f"https://wa.me/{wa}" if wa else "")


def test_text_links_never_carry_an_extension() -> None:
    assert presenters.dial_href("233733", "sms") == "sms:233733"
    assert presenters.dial_href("(559) 555-0141 ext. 4", "sms") == "sms:5595550141"


def _numbers_in_services_data() -> list[tuple[str, str, str | None]]:
    found: list[tuple[str, str, str | None]] = []

    def walk(node: Any, country: str | None) -> None:
        if isinstance(node, dict):
            country = node.get("country", country) if isinstance(node.get("country"),
                                                                  str) else country
            if isinstance(node.get("number"), str):
                found.append((node["number"], node.get("type") or "voice", country))
            for value in node.values():
                walk(value, country)
        elif isinstance(node, list):
            for value in node:
                walk(value, country)

    for path in sorted((ROOT / "services_data").glob("*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")), None)
    return found


SERVICES_DATA_PHONES = _numbers_in_services_data()


def _first_number_digits(written: str) -> str:
    """An independent reading of a simple number: its digits up to the first letter or ';'."""
    head = re.split(r"[;A-Za-z]", digits.to_ascii(written))[0]
    return re.sub(r"\D", "", head)


def test_services_data_has_phones() -> None:
    assert len(SERVICES_DATA_PHONES) > 100


@pytest.mark.parametrize(("number", "kind", "country"), SERVICES_DATA_PHONES)
def test_every_phone_in_services_data_dials_what_it_shows(number: str, kind: str,
                                                          country: str | None) -> None:
    href = presenters.dial_href(number, kind, country or "US")
    scheme, _, target = href.partition(":")
    dialled = re.sub(r"\D", "", target.split(",")[0])
    expected = _first_number_digits(number)
    assert len(expected) >= 3, number
    if kind == "whatsapp":
        assert href.startswith("https://wa.me/")
        assert dialled.endswith(expected.lstrip("0"))
        assert dialled == digits.international(number, country or "US")
    else:
        assert scheme == ("sms" if kind in ("sms", "text") else "tel")
        assert dialled == expected


def _hotline_rows() -> list[dict[str, str]]:
    with HOTLINES_CSV.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_verified_hotlines_dial_their_e164_number() -> None:
    """Where the reference gives one local number and its E.164 form, the two agree: the
    number a listing shows is the number the hotline answers."""
    checked = 0
    for row in _hotline_rows():
        e164, local = row["phone_e164"].strip(), row["phone_local"].strip()
        if not re.fullmatch(r"\+\d{6,15}", e164) or not re.fullmatch(r"[\d \-]{7,}", local):
            continue  # several numbers, a short code, or a number from abroad only
        assert digits.international(local, row["country"]) == e164[1:], row
        assert presenters.dial_href(local, "voice") == "tel:" + re.sub(r"\D", "", local)
        checked += 1
    assert checked >= 12


class _Links(HTMLParser):
    """Each dial link on a page with the number it shows."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    _in_number = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith(("tel:", "sms:", "https://wa.me/")):
            self._href, self._text = href, []
        self._in_number = self._href is not None and tag == "bdi"

    def handle_data(self, data: str) -> None:
        # The number shown is the link's <bdi>; the label beside it ("Call") is not.
        if self._href is not None and self._in_number:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text)))
            self._href = None


def dial_links(html: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def _check_links(html: str, where: str) -> int:
    links = dial_links(html)
    for href, shown in links:
        target = href.split(":", 1)[1] if not href.startswith("https://") else href[14:]
        dialled = re.sub(r"\D", "", target.split(",")[0])
        assert len(dialled) >= 3, (where, href, shown)
        if href.startswith("tel:"):
            assert dialled == _first_number_digits(shown) or "(0)" in shown, (where, href, shown)
    return len(links)


def test_every_public_page_dials_in_every_locale(app: Flask) -> None:
    """0 dial links with fewer than 3 digits on any public page, in every locale; each tel:
    link dials the digits it shows."""
    client = app.test_client()
    total = 0
    paths = public_paths(app)
    for loc in LOCALES:
        for path in paths:
            r = client.get(f"/{loc.tag}{path}")
            if r.status_code != 200 or not r.mimetype.startswith("text/html"):
                continue
            total += _check_links(r.get_data(as_text=True), f"/{loc.tag}{path}")
    assert total > 100


@pytest.mark.parametrize("lang", ["en", "ar", "fa", "ti"])
def test_every_listing_page_dials_each_stored_number(app: Flask, lang: str) -> None:
    """On every listing's page, the links are exactly the listing's numbers, each dialling
    the number shown beside it."""
    client = app.test_client()
    with app.app_context():
        services = db.session.scalars(select(Service)).all()
        expected = {s.id: [(p.type, p.number, s.country) for p in s.phones] for s in services}
    assert len(expected) > 50
    for sid, phones in expected.items():
        html = client.get(f"/{lang}/services/{sid}").get_data(as_text=True)
        links = dial_links(html)
        for kind, number, country in phones:
            href = presenters.dial_href(number, kind, country)
            assert href, number
            assert any(h == href and number in shown for h, shown in links), (sid, number, links)
        _check_links(html, sid)


@given(st.text("0123456789", min_size=1, max_size=30), SCRIPTS)
def test_any_script_digits_read_as_ascii(number: str, zero: int) -> None:
    assert digits.to_ascii(in_script(number, zero)) == number
    assert digits.only_digits(in_script(number, zero)) == number


@given(st.lists(st.text("0123456789", min_size=1, max_size=5), min_size=1, max_size=5),
       st.sampled_from([" ", "-", ".", " - ", "/"]), st.booleans(), SCRIPTS)
def test_dial_ignores_separators_and_script(groups: list[str], sep: str, plus: bool,
                                            zero: int) -> None:
    written = ("+" if plus else "") + sep.join(groups)
    expected = ("+" if plus else "") + "".join(groups)
    assert digits.dial(in_script(written, zero)) == expected
    assert digits.dial(f"({groups[0]}) " + in_script(sep.join(groups[1:]), zero)) == \
        "".join(groups)


@given(st.text(max_size=40))
def test_dial_of_any_text_is_dialable(text: str) -> None:
    """Whatever is stored, a link carries only what a phone can dial."""
    assert re.fullmatch(r"\+?\d*(,\d+)?", digits.dial(text))
    assert digits.to_ascii(text).__len__() == len(text)
