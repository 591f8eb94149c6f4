"""A number reads in order for staff whatever script its digits were typed in: "۰۹۱۲ ۳۴۵ ۶۷۸۹"
from a Persian keyboard is one left-to-right run, in the markup, the PDF text and on screen."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from tests.pages import sign_in_page
from tests.test_dial import SCRIPTS, in_script
from tests.tips_helpers import PASSPHRASE, Staff, form_key, receipt_of
from webapp.bidi import LRI, NUMBER_RUN, PDI, isolate_html, isolate_plain
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
    assert str(isolate_html(text)) == f'{before} <bdi dir="ltr">{number}</bdi> {after}'
    assert isolate_plain(text) == f"{before} {LRI}{number}{PDI} {after}"


PERSIAN_NUMBER = "۰۹۱۲ ۳۴۵ ۶۷۸۹"
TIP = f"مردی از شماره {PERSIAN_NUMBER} تماس گرفت و کارگران را نگه داشت."

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
    number = page.locator("dd.text bdi[dir=ltr]", has_text=PERSIAN_NUMBER.split()[0])
    assert number.inner_text() == PERSIAN_NUMBER
    lefts = number.evaluate(GROUP_LEFTS)
    assert len(lefts) == 3 and lefts == sorted(lefts) and len(set(lefts)) == 3, lefts
