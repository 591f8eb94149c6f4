"""Numbers people type, in every script: a receipt typed on an Arabic, Persian, Devanagari or
full-width keyboard opens the same tip; a staff sign-in code typed in Persian digits signs in."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from tests.digit_scripts import SCRIPTS, in_script
from tests.staff_helpers import Staff, csrf, sign_in
from tests.tips_helpers import form_key, receipt_of, send_tip
from webapp.tips import crypto

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

SEPARATORS = st.sampled_from(["", " ", "-", "  ", " - "])


@given(receipt=st.text("0123456789", min_size=16, max_size=16), zero=SCRIPTS, sep=SEPARATORS)
def test_receipt_reads_in_any_digits(receipt: str, zero: int, sep: str) -> None:
    grouped = sep.join(receipt[i:i + 4] for i in range(0, 16, 4))
    assert crypto.normalise_receipt(in_script(grouped, zero)) == receipt


@given(receipt=st.text("0123456789", min_size=15, max_size=15), zero=SCRIPTS)
def test_a_digit_short_is_no_receipt(receipt: str, zero: int) -> None:
    assert crypto.normalise_receipt(in_script(receipt, zero)) is None


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_confirm_and_status_accept_a_receipt_typed_in_any_digits(
        app: Flask, staff: dict[str, Staff], lang: str) -> None:
    """The tipster's own journey: send, type the receipt back, open the thread, with the
    receipt typed in Arabic-Indic, Persian, Devanagari and full-width digits."""
    app.config["HAVEN_RECEIPT_TRIES"] = 1000
    client = app.test_client()
    key = form_key(client, lang)
    receipt = receipt_of(send_tip(client, key=key)).replace(" ", "")
    for zero, sep in ((0x0660, " "), (0x06F0, ""), (0x0966, "-"), (0xFF10, " ")):
        typed = in_script(sep.join(receipt[i:i + 4] for i in range(0, 16, 4)), zero)
        ok = client.post(f"/{lang}/tip/confirm", data={"idempotency_key": key, "receipt": typed})
        assert ok.status_code == 200, (typed, ok.get_data(as_text=True)[:300])
        assert 'class="receipt"' not in ok.get_data(as_text=True)  # saved, not "try again"
        thread = client.post(f"/{lang}/tip/status", data={"receipt": typed})
        assert thread.status_code == 200, typed
        # This tip's thread, with its reply form carrying the receipt in the printed digits.
        html = thread.get_data(as_text=True)
        assert 'name="message"' in html
        hidden = re.search(r'name="receipt" type="hidden" value="([^"]*)"', html)
        assert hidden and hidden.group(1).replace(" ", "").replace("-", "") == receipt
    wrong = client.post(f"/{lang}/tip/status", data={"receipt": in_script("0" * 16, 0x0660)})
    assert wrong.status_code == 400


def test_receipt_field_reads_left_to_right(client: FlaskClient) -> None:
    """The typed groups show in the order of the printed receipt, on a right-to-left page."""
    html = client.get("/ar/tip/status").get_data(as_text=True)
    field = re.search(r"<input[^>]*name=\"receipt\"[^>]*>", html)
    assert field and 'dir="ltr"' in field.group(0) and 'inputmode="numeric"' in field.group(0)


def test_contact_field_takes_the_direction_of_what_is_typed(client: FlaskClient) -> None:
    html = client.get("/ar/tip").get_data(as_text=True)
    field = re.search(r"<input[^>]*name=\"contact\"[^>]*>", html)
    assert field and 'dir="auto"' in field.group(0)


def test_staff_code_in_persian_digits_signs_in(app: Flask, staff: dict[str, Staff]) -> None:
    client = app.test_client()
    who = staff["reviewer"]
    totp = pyotp.TOTP(who.secret)
    for when in (time.time(), time.time() + 30):
        code = totp.at(when)
        typed = in_script(f"{code[:3]} {code[3:]}", 0x06F0)
        resp = client.post("/staff/login", data={
            "csrf_token": csrf(client, "/staff/login"), "username": who.username,
            "password": who.password, "code": typed})
        if resp.status_code == 302:
            break
    else:
        raise AssertionError("a code typed in Persian digits was refused")
    assert client.get("/staff/").status_code == 200


@pytest.mark.browser
def test_receipt_typed_in_arabic_digits_shows_in_typed_order(live_server: str,
                                                            phones: Any) -> None:
    """Arabic-Indic digits lay their groups out right to left even in a left-to-right field:
    the receipt field overrides that, so what is typed reads like the printed receipt."""
    page = phones("ar").new_page()
    page.goto(f"{live_server}/ar/tip/status")
    field = page.locator("#receipt")
    field.fill("١٢٣٤ ٥٦٧٨ ٩٠١٢ ٣٤٥٦")
    style = field.evaluate("(el) => [getComputedStyle(el).direction, "
                           "getComputedStyle(el).unicodeBidi]")
    assert style == ["ltr", "bidi-override"]


def test_editor_reads_coordinates_and_postcode_in_any_digits(app: Flask) -> None:
    """A listing edited on a phone with an Arabic or Persian keyboard stores the numbers."""
    from tests.editor_helpers import FRESNO, edit_listing, editors, service_of
    from webapp.extensions import db
    from webapp.models import Service

    client = app.test_client()
    sign_in(client, editors(app)["editor"])
    sid = service_of(app, FRESNO, "Legal")
    resp = edit_listing(client, sid, latitude="٣٦٫٧٤٩", longitude="-۱۱۹٫۷۸۱",
                        postal_code="٩٣٧٢١")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    with app.app_context():
        place = db.session.get(Service, sid).locations[0].location  # type: ignore[union-attr]
        assert (place.latitude, place.longitude, place.postal_code) == (
            pytest.approx(36.749), pytest.approx(-119.781), "93721")
