"""Invitation sign-up: the authenticator secret is the server's, kept with the invitation; a
secret posted with the form is ignored, so nobody enrols a key of their own choosing."""

from __future__ import annotations

import re
import time

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from tests.staff_helpers import Staff, csrf, sign_in
from webapp.extensions import db
from webapp.models import StaffInvite, StaffUser
from webapp.staff import auth

PASSWORD = "a-long-enough-password"


def invitation(app: Flask, admin: Staff) -> str:
    """A fresh invitation path (/staff/invite/<token>) made by admin."""
    client = app.test_client()
    sign_in(client, admin)
    resp = client.post("/staff/users/invite", data={
        "csrf_token": csrf(client, "/staff/users"), "role": "editor"})
    link = re.search(r'class="invite-link" dir="ltr">([^<]+)<', resp.get_data(as_text=True))
    assert resp.status_code == 200 and link
    return "/staff/" + link.group(1).split("/staff/", 1)[1]


def shown_key(html: str) -> str:
    found = re.search(r'class="totp-key">([A-Z2-7]{32})<', html)
    assert found, html[:500]
    return found.group(1)


def enrol_form(html: str, username: str, code: str, **extra: str) -> dict[str, str]:
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert token
    return {"csrf_token": token.group(1), "username": username, "password": PASSWORD,
            "confirm": PASSWORD, "code": code, **extra}


def another_secret(server: str) -> str:
    """An attacker's secret whose codes around now differ from the server secret's."""
    now = time.time()
    theirs = {pyotp.TOTP(server).at(now + d) for d in (-30, 0, 30)}
    while True:
        mine = pyotp.random_base32(32)
        if not {pyotp.TOTP(mine).at(now + d) for d in (-30, 0, 30)} & theirs:
            return mine


def login(client: FlaskClient, username: str, code: str) -> int:
    resp = client.post("/staff/login", data={"csrf_token": csrf(client, "/staff/login"),
                                             "username": username, "password": PASSWORD,
                                             "code": code})
    return resp.status_code


def test_a_posted_secret_is_ignored_and_the_servers_enrols(
        app: Flask, staff: dict[str, Staff]) -> None:
    path = invitation(app, staff["admin"])
    guest = app.test_client()
    html = guest.get(path).get_data(as_text=True)
    server = shown_key(html)
    assert 'name="secret"' not in html  # the page shows the key; no field carries it back
    assert shown_key(guest.get(path).get_data(as_text=True)) == server  # a reload: same key
    chosen = another_secret(server)

    # A code valid for the attacker's own secret, with that secret in the form: refused.
    forged = guest.post(path, data=enrol_form(html, "mallory", pyotp.TOTP(chosen).now(),
                                              secret=chosen))
    assert forged.status_code == 400
    assert "Wrong code" in forged.get_data(as_text=True)
    assert shown_key(forged.get_data(as_text=True)) == server
    with app.app_context():
        assert db.session.scalar(select(StaffUser).where(StaffUser.username == "mallory")) \
            is None

    # The code of the key the server showed creates the account, with that key.
    made = guest.post(path, data=enrol_form(html, "newcomer", pyotp.TOTP(server).now(),
                                            secret=chosen))
    assert made.status_code == 302
    with app.app_context():
        user = db.session.scalars(select(StaffUser).where(
            StaffUser.username == "newcomer")).one()
        assert auth.totp_for(user).secret == server
        invite = db.session.scalars(select(StaffInvite).where(
            StaffInvite.used_by == user.id)).one()
        assert invite.pending_secret is None  # not kept once the link is spent
    assert guest.get(path).status_code == 410

    # Signing in: the attacker's codes never work, the server's key's do.
    assert login(app.test_client(), "newcomer", pyotp.TOTP(chosen).now()) == 400
    sign_in(app.test_client(), Staff("newcomer", PASSWORD, server))


def test_the_secret_is_stored_sealed_with_the_invitation(app: Flask,
                                                          staff: dict[str, Staff]) -> None:
    path = invitation(app, staff["admin"])
    server = shown_key(app.test_client().get(path).get_data(as_text=True))
    with app.app_context():
        invite = db.session.scalars(select(StaffInvite).where(
            StaffInvite.used_at.is_(None))).one()
        assert invite.pending_secret and server.encode() not in invite.pending_secret
    # Another browser opening the same link sees the same key (the link is the credential).
    assert shown_key(app.test_client().get(path).get_data(as_text=True)) == server


def test_0013_goes_down_and_up(any_app: Flask) -> None:
    with any_app.app_context():
        db.session.remove()
        downgrade(revision="0012")
        cols = {c["name"] for c in inspect(db.engine).get_columns("staff_invite")}
        assert "pending_secret" not in cols and "used_by" in cols
        upgrade()
        cols = {c["name"] for c in inspect(db.engine).get_columns("staff_invite")}
        assert "pending_secret" in cols
        db.session.remove()
