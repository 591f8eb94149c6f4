"""A number reads in order for staff whatever script its digits were typed in: "۰۹۱۲ ۳۴۵ ۶۷۸۹"
from a Persian keyboard is one left-to-right run, in the markup, the PDF text and on screen."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.digit_scripts import SCRIPTS, in_script
from tests.pages import sign_in_page
from tests.staff_helpers import PASSPHRASE, Staff, sign_in
from tests.tips_helpers import form_key, receipt_of
from webapp.bidi import LRI, LRO, NUMBER_RUN, PDF, PDI, isolate_html, isolate_plain
from webapp.extensions import db
from webapp.models import Tip

GROUPS = st.lists(st.text("0123456789", min_size=2, max_size=4), min_size=1, max_size=4)
ARABIC_WORDS = st.sampled_from(["الرقم", "اتصل بـ", "رقم الهاتف", "شماره", "لوحة"])


@given(groups=GROUPS, zero=SCRIPTS, sep=st.sampled_from([" ", "-", ".", "/"]),
       before=ARABIC_WORDS, after=ARABIC_WORDS)
def test_a_number_in_any_digits_is_one_run(groups: list[str], zero: int, sep: str,
                                           before: str, after: str) -> None:
    number = in_script(sep.join(groups), zero)
    text = f"{before} {number} {after}"
    assert [m.group(0) for m in NUMBER_RUN.finditer(text)] == [number]
    # Arabic-Indic digits (bidi class AN) reverse their groups even inside a left-to-right
    # isolate: those runs get an override too.
    arabic = any(unicodedata.bidirectional(c) == "AN" for c in number)
    inner = f'<bdo dir="ltr">{number}</bdo>' if arabic else number
    assert str(isolate_html(text)) == f'{before} <bdi dir="ltr">{inner}</bdi> {after}'
    inner = f"{LRO}{number}{PDF}" if arabic else number
    assert isolate_plain(text) == f"{before} {LRI}{inner}{PDI} {after}"


PERSIAN_NUMBER = "۰۹۱۲ ۳۴۵ ۶۷۸۹"
ARABIC_NUMBER = "٠٥٥٥ ١٢٣ ٤٥٦"
TIP = (f"مردی از شماره {PERSIAN_NUMBER} تماس گرفت و کارگران را نگه داشت. "
       f"والرقم الآخر {ARABIC_NUMBER} أيضاً.")

# Left edges of each space-separated group of the number inside an element, in text order.
GROUP_LEFTS = """(el) => {
  const text = el.textContent, node = el.firstChild, out = [];
  let from = 0;
  for (const group of text.split(" ")) {
    const at = text.indexOf(group, from), range = document.createRange();
    range.setStart(node, at); range.setEnd(node, at + group.length);
    out.push(range.getBoundingClientRect().left);
    from = at + group.length;
  }
  return out;
}"""


def _send(client: FlaskClient) -> None:
    resp = client.post("/fa/tip", data={"kinds": ["labour"], "what": TIP,
                                        "idempotency_key": form_key(client, "fa")},
                       content_type="multipart/form-data")
    assert resp.status_code == 201
    receipt_of(resp)


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["ar", "fa", "en"])
def test_persian_digits_read_in_order_on_the_staff_tip_page(
        app: Flask, client: FlaskClient, staff: dict[str, Staff], live_server: str,
        phones: Any, locale: str) -> None:
    """Measured on screen: the groups of the number stand left to right in the order typed
    (before, only ASCII digit runs were isolated and this one read '۶۷۸۹ ۳۴۵ ۰۹۱۲')."""
    _send(client)
    with app.app_context():
        tip_id = db.session.scalar(select(Tip.id))
    page = phones(locale).new_page()
    sign_in_page(page, live_server, staff["reviewer"], PASSPHRASE)
    page.goto(f"{live_server}/staff/tips/{tip_id}")
    for typed, selector in ((PERSIAN_NUMBER, "dd.text bdi[dir=ltr]"),
                            (ARABIC_NUMBER, "dd.text bdi[dir=ltr] bdo[dir=ltr]")):
        number = page.locator(selector, has_text=typed.split()[0])
        assert number.inner_text() == typed
        lefts = number.evaluate(GROUP_LEFTS)
        assert len(lefts) == 3 and lefts == sorted(lefts) and len(set(lefts)) == 3, (typed,
                                                                                   lefts)


def test_arabic_indic_digits_keep_their_order_in_the_pdf(app: Flask, client: FlaskClient,
                                                        staff: dict[str, Staff],
                                                        tmp_path: Path) -> None:
    """The tip's PDF text layer holds both numbers as typed, not their groups reversed."""
    _send(client)
    reader = app.test_client()
    sign_in(reader, staff["reviewer"], unlock=True)
    with app.app_context():
        tip_id = db.session.scalar(select(Tip.id))
    path = tmp_path / "tip.pdf"
    path.write_bytes(reader.get(f"/staff/tips/{tip_id}/export.pdf").data)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    plain = re.sub(r"[\u2066-\u2069\u200e\u200f\u202a-\u202e]", "", text)
    for typed in (PERSIAN_NUMBER, ARABIC_NUMBER):
        assert typed in plain, plain
        assert " ".join(reversed(typed.split())) not in plain
