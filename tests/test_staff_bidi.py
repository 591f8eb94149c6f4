"""Staff read what a tipster wrote in its own direction: numbers in order, language shown."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.staff_helpers import Staff, csrf, sign_in
from tests.tips_helpers import form_key, receipt_of
from webapp.bidi import NUMBER_RUN, isolate_html, isolate_plain
from webapp.extensions import db
from webapp.models import Tip

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

ARABIC_TIP = ("رأيت رجلاً يتصل من الرقم 0555 123 456 وسيارة لوحتها 8XYZ789 قرب المحطة.\n"
              "العمال لا يغادرون المزرعة أبداً.")


def send_arabic_tip(client: FlaskClient) -> str:
    """Send the tip from the Arabic form; returns its receipt."""
    resp = client.post("/ar/tip", data={"kinds": ["labour"], "what": ARABIC_TIP,
                                        "idempotency_key": form_key(client, "ar")},
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_data(as_text=True)[:300]
    return receipt_of(resp).replace(" ", "")


@pytest.mark.parametrize(("text", "runs"), [
    ("الرقم 0555 123 456 وسيارة", ["0555 123 456"]),
    ("لوحتها 8XYZ789 قرب", ["8XYZ789"]),
    ("call (213) 555-0101 or +44 20 7946 0000", ["(213) 555-0101", "+44 20 7946 0000"]),
    ("no numbers here", []),
])
def test_number_runs(text: str, runs: list[str]) -> None:
    """Phone numbers and plates are found whole; plain words are left alone."""
    assert [m.group(0) for m in NUMBER_RUN.finditer(text)] == runs


def test_isolation_escapes_and_wraps() -> None:
    """HTML isolation escapes markup; plain isolation only touches right-to-left text."""
    html = str(isolate_html("<b>0555 123 456</b>"))
    assert html == '&lt;b&gt;<bdi dir="ltr">0555 123 456</bdi>&lt;/b&gt;'
    assert isolate_plain("call 0555 123 456") == "call 0555 123 456"
    assert isolate_plain("الرقم 0555 123 456") == "الرقم \u20660555 123 456\u2069"


def test_arabic_tip_keeps_digit_order_for_staff(app: Flask, client: FlaskClient,
                                                staff: dict[str, Staff],
                                                tmp_path: Path) -> None:
    """Inbox row shows the language; tip page and PDF keep "0555 123 456" and "8XYZ789"."""
    send_arabic_tip(client)
    reader = app.test_client()
    sign_in(reader, staff["reviewer"], unlock=True)
    inbox = reader.get("/staff/").get_data(as_text=True)
    row = inbox[inbox.index('class="card tip-row'):]
    assert "العربية" in row and "(Arabic)" in row
    assert '<bdi dir="ltr">0555 123 456</bdi>' in row  # the preview, isolated
    with app.app_context():
        tip_id = db.session.scalar(select(Tip.id))
    page = reader.get(f"/staff/tips/{tip_id}").get_data(as_text=True)
    body = re.search(r'<dd class="text" dir="auto">(.*?)</dd>', page, re.S)
    assert body is not None
    assert '<bdi dir="ltr">0555 123 456</bdi>' in body.group(1)
    assert '<bdi dir="ltr">8XYZ789</bdi>' in body.group(1)
    assert "العربية" in page
    pdf = reader.get(f"/staff/tips/{tip_id}/export.pdf")
    assert pdf.status_code == 200
    path = tmp_path / "tip.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    plain = re.sub(r"[\u2066-\u2069\u200e\u200f\u202a-\u202e]", "", text)
    assert "0555 123 456" in plain, plain
    assert "456 123 0555" not in plain
    assert "8XYZ789" in plain
    assert "العربية" in plain


def test_unread_reply_flag(app: Flask, client: FlaskClient, staff: dict[str, Staff]) -> None:
    """A tipster's reply flags the tip in the inbox until staff open it."""
    receipt = send_arabic_tip(client)
    reader = app.test_client()
    sign_in(reader, staff["reviewer"], unlock=True)
    assert "tip-row unread" not in reader.get("/staff/").get_data(as_text=True)
    status = client.post("/ar/tip/status", data={"receipt": receipt})
    assert status.status_code == 200
    resp = client.post("/ar/tip/reply", data={"receipt": receipt, "message": "نعم 0555 123 456"},
                       content_type="multipart/form-data")
    assert resp.status_code in (200, 303, 302), resp.status_code
    inbox = reader.get("/staff/").get_data(as_text=True)
    assert "tip-row unread" in inbox and "New reply" in inbox
    with app.app_context():
        tip_id = db.session.scalar(select(Tip.id))
    reader.get(f"/staff/tips/{tip_id}")
    assert "tip-row unread" not in reader.get("/staff/").get_data(as_text=True)


def test_reused_code_is_named(app: Flask, staff: dict[str, Staff]) -> None:
    """A code used once already gets its own message, not "wrong password"."""
    who = staff["reviewer"]
    code = pyotp.TOTP(who.secret).at(time.time())
    first = app.test_client()
    first.post("/staff/login", data={"csrf_token": csrf(first, "/staff/login"),
                                     "username": who.username, "password": who.password,
                                     "code": code})
    again = app.test_client()
    resp = again.post("/staff/login", data={"csrf_token": csrf(again, "/staff/login"),
                                            "username": who.username, "password": who.password,
                                            "code": code})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "already used" in html and "Wrong username" not in html
