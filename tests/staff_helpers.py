"""Staff in tests: an organisation key, two accounts (admin, reviewer), CSRF tokens, sign-in."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from webapp.staff import auth

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
    runner = app.test_cli_runner()
    res = runner.invoke(args=["keys", "init", "--passphrase", PASSPHRASE])
    assert res.exit_code == 0, res.output
    out = {}
    with app.app_context():
        for name, pw, role in (("ada", ADMIN_PW, "admin"), ("rev", REVIEWER_PW, "reviewer")):
            _user, secret = auth.create_user(name, pw, role)
            out[role] = Staff(name, pw, secret)
    return out


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
