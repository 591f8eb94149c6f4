"""Anonymous tips: sealed at rest, receipts, exactly once, no client identity, clean photos."""

from __future__ import annotations

import io
import logging
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import BACKEND
from tests.db_helpers import everything_stored, raw_database
from tests.staff_helpers import Staff, sign_in
from tests.tips_helpers import form_key, jpeg, receipt_of, send_tip, shown_text
from webapp.extensions import db
from webapp.models import Tip, TipMessage, TipPhoto

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

SENTINEL = "SENTINEL-PHRASE-7f3a9c ورشة"
SENTINEL_IP = "203.0.113.77"
SENTINEL_XFF = "198.51.100.23"
SENTINEL_UA = "SentinelAgent/4.2 (haven-test)"


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_tip_form_page(client: FlaskClient, staff: dict[str, Staff]) -> None:
    """The form: urgent numbers first, no cookie, autocomplete off, honeypot, fresh key."""
    resp = client.get("/en/tip")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers
    assert html.index("Is someone in danger right now?") < html.index('name="what"')
    assert "888" in html  # the US national hotline from the verified list
    assert 'autocomplete="off"' in html and 'name="website"' in html
    assert 'id="tips-unavailable"' not in html  # a key exists: no "cannot be received"
    assert form_key(client) != form_key(client)
    assert resp.headers["Cache-Control"] == "private, no-cache"


def test_tip_is_sealed_at_rest_and_staff_can_read_it(app: Flask, client: FlaskClient,
                                                     staff: dict[str, Staff],
                                                     request: pytest.FixtureRequest) -> None:
    """Sentinel text and photo: not in the raw database; visible to staff after unlocking."""
    photo = jpeg((80, 60), color="#3a7f11")
    resp = send_tip(client, what=SENTINEL, photos=[(photo, "p.jpg")], contact="call 0000 SENT")
    assert resp.status_code == 201
    assert resp.headers["Cache-Control"] == "no-store"
    raw = raw_database(app, request)
    for needle in (SENTINEL.encode(), "ورشة".encode(), b"SENT", SENTINEL.encode().hex().encode()):
        assert needle not in raw
    with app.app_context():
        stored = db.session.scalars(select(TipPhoto.data)).all()
    assert stored and all(photo[100:140] not in blob for blob in stored)

    staff_client = app.test_client()
    sign_in(staff_client, staff["reviewer"])
    with app.app_context():
        tip_id = db.session.scalar(select(Tip.id))
    locked = staff_client.get(f"/staff/tips/{tip_id}").get_data(as_text=True)
    assert "SENTINEL" not in locked and "locked" in locked
    assert staff_client.get(f"/staff/tips/{tip_id}/export.pdf").status_code == 403
    sign_in(staff_client, staff["reviewer"], unlock=True)
    page = shown_text(staff_client.get(f"/staff/tips/{tip_id}").get_data(as_text=True))
    assert SENTINEL in page and "call 0000 SENT" in page
    with app.app_context():
        photo_id = db.session.scalar(select(TipPhoto.id))
    img = staff_client.get(f"/staff/tips/{tip_id}/photos/{photo_id}")
    assert img.status_code == 200 and img.headers["Cache-Control"] == "no-store"
    pixel = Image.open(io.BytesIO(img.data)).convert("RGB").getpixel((40, 30))
    assert abs(pixel[0] - 0x3A) < 12 and abs(pixel[1] - 0x7F) < 12  # the same picture
    pdf = staff_client.get(f"/staff/tips/{tip_id}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_exif_gps_is_gone_after_storage(app: Flask, client: FlaskClient,
                                        staff: dict[str, Staff]) -> None:
    """A JPEG with EXIF GPS comes back (decrypted) with no EXIF, XMP or comment at all."""
    original = jpeg((120, 90), exif_gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)  # the fixture has GPS
    assert send_tip(client, photos=[(original, "gps.jpg")]).status_code == 201
    staff_client = app.test_client()
    sign_in(staff_client, staff["reviewer"], unlock=True)
    with app.app_context():
        tip_id, photo_id = db.session.execute(select(TipPhoto.tip_id, TipPhoto.id)).one()
    data = staff_client.get(f"/staff/tips/{tip_id}/photos/{photo_id}").data
    back = Image.open(io.BytesIO(data))
    assert len(back.getexif()) == 0
    assert b"Exif" not in data and b"SentinelCam" not in data and b"http://ns.adobe.com" not in data
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(back.info)


def test_same_key_five_times_stores_one_tip(app: Flask, client: FlaskClient,
                                            staff: dict[str, Staff]) -> None:
    """Resending with one idempotency key stores nothing new and shows the same receipt."""
    key = form_key(client)
    first = send_tip(client, key=key)
    receipts = {receipt_of(first)}
    for _ in range(3):
        again = send_tip(client, key=key)
        assert again.status_code == 200
        receipts.add(receipt_of(again))
    via_header = client.post("/en/tip", data={"kinds": ["labour"], "what": "x"},
                             headers={"Idempotency-Key": key, "Accept": "application/json"})
    assert via_header.status_code == 200 and via_header.json["replay"] is True  # type: ignore[index]
    receipts.add(" ".join(via_header.json["receipt"][i:i + 4]  # type: ignore[index]
                          for i in range(0, 16, 4)))
    assert len(receipts) == 1
    assert count(app, Tip) == 1


def test_receipt_check_and_thread(app: Flask, client: FlaskClient,
                                  staff: dict[str, Staff]) -> None:
    """Type the receipt back; open the thread with it; staff reply; the tipster answers."""
    key = form_key(client)
    receipt = receipt_of(send_tip(client, key=key))
    wrong = client.post("/en/tip/confirm", data={"idempotency_key": key,
                                                "receipt": "0000 0000 0000 0000"})
    assert wrong.status_code == 400 and "does not match" in wrong.get_data(as_text=True)
    assert receipt in wrong.get_data(as_text=True)
    ok = client.post("/en/tip/confirm", data={"idempotency_key": key, "receipt": receipt})
    assert ok.status_code == 200 and "you wrote it down correctly" in ok.get_data(as_text=True)
    assert "Receipt saved" not in ok.get_data(as_text=True)  # nothing was saved

    thread = client.post("/en/tip/status", data={"receipt": receipt.replace(" ", "-")})
    html = thread.get_data(as_text=True)
    assert thread.status_code == 200 and "We have received your tip" in html
    assert thread.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in thread.headers

    staff_client = app.test_client()
    sign_in(staff_client, staff["reviewer"], unlock=True)
    with app.app_context():
        tip_id = db.session.scalar(select(Tip.id))
    page = staff_client.get(f"/staff/tips/{tip_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert staff_client.post(f"/staff/tips/{tip_id}/message",
                             data={"csrf_token": token, "message": "Which farm road?"}
                             ).status_code == 302
    assert staff_client.post(f"/staff/tips/{tip_id}/status",
                             data={"csrf_token": token, "status": "in_review"}).status_code == 302
    assert staff_client.post(f"/staff/tips/{tip_id}/note",
                             data={"csrf_token": token, "note": "NOTE-SENTINEL"}
                             ).status_code == 302
    html = client.post("/en/tip/status", data={"receipt": receipt}).get_data(as_text=True)
    assert "Which farm road?" in html and "In review" in html and "NOTE-SENTINEL" not in html
    reply = client.post("/en/tip/reply", data={"receipt": receipt, "message": "Route 9, gate 2",
                                               "photos": [(io.BytesIO(jpeg()), "r.jpg")]},
                        content_type="multipart/form-data")
    assert reply.status_code == 200 and "Route 9, gate 2" in shown_text(reply.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TipMessage)) == 3
        first = db.session.scalar(select(Tip.first_response_hour))
    assert first is not None and first.minute == 0 and first.second == 0  # coarsened


def test_wrong_receipts_are_slowed_down(app: Flask, client: FlaskClient,
                                        staff: dict[str, Staff]) -> None:
    """A wrong receipt: a clear message; repeated ones from one client: 429, no address kept."""
    receipt = receipt_of(send_tip(client))
    first = client.post("/en/tip/status", data={"receipt": "1111 2222 3333 4444"},
                        environ_base={"REMOTE_ADDR": SENTINEL_IP})
    assert first.status_code == 400 and "No tip has this receipt" in first.get_data(as_text=True)
    codes = [client.post("/en/tip/status", data={"receipt": "1111 2222 3333 4444"},
                         environ_base={"REMOTE_ADDR": SENTINEL_IP}).status_code for _ in range(6)]
    assert codes[-1] == 429 and codes.count(400) == 4
    # Even the right receipt waits now, from that client; another client is not affected.
    assert client.post("/en/tip/status", data={"receipt": receipt},
                       environ_base={"REMOTE_ADDR": SENTINEL_IP}).status_code == 429
    assert client.post("/en/tip/status", data={"receipt": receipt},
                       environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200
    bad = client.post("/en/tip/status", data={"receipt": "12"},
                      environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert bad.status_code == 400


def test_no_client_identity_on_disk(app: Flask, client: FlaskClient, staff: dict[str, Staff],
                                    request: pytest.FixtureRequest,
                                    caplog: pytest.LogCaptureFixture) -> None:
    """After a tip, a status check and a staff session, no sentinel address or agent remains."""
    caplog.set_level(logging.DEBUG)
    env = {"REMOTE_ADDR": SENTINEL_IP}
    headers = {"X-Forwarded-For": SENTINEL_XFF, "User-Agent": SENTINEL_UA,
               "Forwarded": f"for={SENTINEL_XFF}"}
    client.environ_base.update(env)
    key = form_key(client)
    resp = client.post("/en/tip", data={"kinds": ["other"], "what": "seen", "idempotency_key": key},
                       headers=headers)
    receipt = receipt_of(resp)
    client.post("/en/tip/status", data={"receipt": receipt}, headers=headers)
    staff_client = app.test_client()
    staff_client.environ_base.update({**env, "HTTP_USER_AGENT": SENTINEL_UA})
    sign_in(staff_client, staff["admin"], unlock=True)
    staff_client.get("/staff/", headers=headers)
    staff_client.get("/staff/audit", headers=headers)
    blobs = everything_stored(app, request, caplog)
    for needle in (SENTINEL_IP, SENTINEL_XFF, SENTINEL_UA, "SentinelAgent"):
        assert all(needle.encode() not in b for b in blobs), needle


@pytest.mark.parametrize(("case", "expect"), [
    ("text_as_jpeg", "not a JPEG, PNG or WebP"),
    ("bomb", "far too large in pixels"),
    ("huge_text", "too long"),
    ("control_chars", "invisible control characters"),
    ("no_kind", "tick at least one"),
    ("four_photos", "at most 3 photos"),
    ("honeypot", "leave the last field empty"),
    ("bad_key", "form has expired"),
])
def test_bad_input_is_refused_and_nothing_is_stored(app: Flask, client: FlaskClient,
                                                    staff: dict[str, Staff], case: str,
                                                    expect: str) -> None:
    """Each bad submission: a 4xx page naming the problem, and no row written."""
    data: dict[str, Any] = {"kinds": ["labour"], "what": "ok", "idempotency_key": form_key(client)}
    if case == "text_as_jpeg":
        data["photos"] = [(io.BytesIO(b"just some text, not a photo\n" * 20), "evil.jpg")]
    elif case == "bomb":
        buf = io.BytesIO()
        Image.new("1", (20000, 20000)).save(buf, format="PNG")  # 400 Mpx, a few KB
        data["photos"] = [(io.BytesIO(buf.getvalue()), "bomb.png")]
    elif case == "huge_text":
        data["what"] = "A" * 100_000
    elif case == "control_chars":
        data["what"] = "hello\x00\x1bworld\u202e"
    elif case == "no_kind":
        del data["kinds"]
    elif case == "four_photos":
        data["photos"] = [(io.BytesIO(jpeg()), f"{i}.jpg") for i in range(4)]
    elif case == "honeypot":
        data["website"] = "http://spam.example"
    elif case == "bad_key":
        data["idempotency_key"] = "short"
    resp = client.post("/en/tip", data=data, content_type="multipart/form-data")
    assert 400 <= resp.status_code < 500
    assert expect in resp.get_data(as_text=True)
    assert count(app, Tip) == 0 and count(app, TipPhoto) == 0


def test_oversized_body_is_refused(app: Flask, client: FlaskClient,
                                   staff: dict[str, Staff]) -> None:
    """A body above the limit gets 413 with a plain page, nothing stored."""
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    body = (b"--b\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"big.jpg\"\r\n"
            b"Content-Type: image/jpeg\r\n\r\n" + b"\xff" * (2 * 1024 * 1024) + b"\r\n--b--\r\n")
    resp = client.post("/en/tip", data=body, content_type="multipart/form-data; boundary=b")
    assert resp.status_code == 413 and "too large" in resp.get_data(as_text=True)
    assert count(app, Tip) == 0


def test_script_tags_render_escaped_in_the_inbox(app: Flask, client: FlaskClient,
                                                 staff: dict[str, Staff]) -> None:
    """Tip text is shown as text, never as markup."""
    send_tip(client, what="<script>alert(1)</script><img src=x onerror=alert(2)>")
    staff_client = app.test_client()
    sign_in(staff_client, staff["reviewer"], unlock=True)
    with app.app_context():
        tip_id = db.session.scalar(select(Tip.id))
    html = shown_text(staff_client.get(f"/staff/tips/{tip_id}").get_data(as_text=True))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html


def test_cross_origin_post_is_refused(app: Flask, client: FlaskClient,
                                      staff: dict[str, Staff]) -> None:
    """Without cookies, the Origin check stops another site posting through a visitor."""
    data = {"kinds": ["labour"], "what": "x", "idempotency_key": form_key(client)}
    resp = client.post("/en/tip", data=data, headers={"Origin": "https://evil.example"})
    assert resp.status_code == 403 and count(app, Tip) == 0


def test_no_org_key_gives_a_clear_503(client: FlaskClient) -> None:
    """A server without `flask keys init` says tips cannot be received, and stores nothing;
    its form says so at the top, before anyone types a report (a walkthrough typed one in
    Arabic and lost it), and stops saying it once a key exists."""
    form = client.get("/en/tip").get_data(as_text=True)
    notice = form.find('id="tips-unavailable"')
    assert -1 < notice < form.find('id="tip-form"')
    data = {"kinds": ["labour"], "what": "x", "idempotency_key": form_key(client)}
    resp = client.post("/en/tip", data=data)
    assert resp.status_code == 503 and "cannot be received" in resp.get_data(as_text=True)


@pytest.mark.skipif(BACKEND != "sqlite", reason="one backend is enough for the form in Arabic")
def test_tip_form_in_arabic_is_rtl_and_translated(client: FlaskClient,
                                                  staff: dict[str, Staff]) -> None:
    """The form in an RTL locale."""
    html = client.get("/ar/tip").get_data(as_text=True)
    assert 'dir="rtl"' in html and "Report something you saw" not in html
