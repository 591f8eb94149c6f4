"""Helpers for tip and staff tests: a keyed app, staff accounts, form keys, sign-in."""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from webapp.extensions import db

PASSPHRASE = "correct horse battery staple"
ADMIN_PW = "admin password 123"
REVIEWER_PW = "reviewer password 123"


@dataclass
class Staff:
    """A test account and its TOTP secret."""

    username: str
    password: str
    secret: str


def keyed(app: Flask) -> dict[str, Staff]:
    """Give app an organisation key and two staff accounts (admin, reviewer)."""
    from webapp.staff import auth

    runner = app.test_cli_runner()
    res = runner.invoke(args=["keys", "init", "--passphrase", PASSPHRASE])
    assert res.exit_code == 0, res.output
    out = {}
    with app.app_context():
        for name, pw, role in (("ada", ADMIN_PW, "admin"), ("rev", REVIEWER_PW, "reviewer")):
            _user, secret = auth.create_user(name, pw, role)
            out[role] = Staff(name, pw, secret)
    return out


def form_key(client: FlaskClient, lang: str = "en") -> str:
    """The idempotency key of a freshly rendered tip form."""
    html = client.get(f"/{lang}/tip").get_data(as_text=True)
    m = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="idempotency_key" name="idempotency_key" type="hidden" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def jpeg(size: tuple[int, int] = (64, 48), exif_gps: bool = False, color: str = "red") -> bytes:
    """A small JPEG, optionally carrying EXIF with GPS tags and a camera model."""
    img = Image.new("RGB", size, color)
    buf = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x0110] = "SentinelCam 9000"  # Model
        gps = {1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 39.0)}
        exif[0x8825] = gps
        img.save(buf, format="JPEG", exif=exif)
    else:
        img.save(buf, format="JPEG")
    return buf.getvalue()


def send_tip(client: FlaskClient, what: str = "Workers never leave the farm",
             key: str | None = None, photos: list[tuple[bytes, str]] | None = None,
             **extra: Any) -> Any:
    """Post a tip; returns the response."""
    data: dict[str, Any] = {"kinds": ["labour"], "what": what,
                            "idempotency_key": key or form_key(client), **extra}
    if photos:
        data["photos"] = [(io.BytesIO(b), name) for b, name in photos]
    return client.post("/en/tip", data=data, content_type="multipart/form-data")


def receipt_of(resp: Any) -> str:
    """The receipt digits shown on a receipt page."""
    m = re.search(r'class="receipt"><bdi dir="ltr">([\d ]+)</bdi>', resp.get_data(as_text=True))
    assert m, resp.get_data(as_text=True)[:800]
    return m.group(1)


def csrf(client: FlaskClient, url: str) -> str:
    """The CSRF token of a staff page's first form."""
    html = client.get(url).get_data(as_text=True)
    m = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def sign_in(client: FlaskClient, who: Staff, unlock: bool = False) -> None:
    """Sign in with password + a fresh TOTP code; optionally unlock the organisation key."""
    totp = pyotp.TOTP(who.secret)
    # A code is accepted once per 30-second step; use the next step's code if this one was used.
    for when in (time.time(), time.time() + 30):
        token = csrf(client, "/staff/login")
        resp = client.post("/staff/login", data={"csrf_token": token, "username": who.username,
                                                 "password": who.password,
                                                 "code": totp.at(when)})
        if resp.status_code == 302:
            break
    else:
        raise AssertionError("sign-in failed")
    if unlock:
        token = csrf(client, "/staff/unlock")
        resp = client.post("/staff/unlock", data={"csrf_token": token, "passphrase": PASSPHRASE})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


def shown_text(html: str) -> str:
    """A page's HTML without the direction isolates around numbers (<bdi dir="ltr">), as a
    person reads it: "call 0000 SENT" rather than "call <bdi ...>0000</bdi> SENT"."""
    return re.sub(r'<bdi dir="ltr">|</bdi>', "", html)


def raw_database(app: Flask, request: pytest.FixtureRequest) -> bytes:
    """Every byte of the database as stored: the SQLite file (+WAL) or a pg_dump."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        db.engine.dispose()
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    return request.getfixturevalue("postgres").dump(url)  # type: ignore[no-any-return]


def everything_stored(app: Flask, request: pytest.FixtureRequest,
                      caplog: pytest.LogCaptureFixture) -> list[bytes]:
    """The database as stored, then every file under instance/, then the captured log."""
    blobs = [raw_database(app, request)]
    blobs += [p.read_bytes() for p in Path(app.instance_path).rglob("*") if p.is_file()]
    blobs.append(caplog.text.encode())
    return blobs
