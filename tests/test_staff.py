"""The staff inbox: sign-in with TOTP, roles, CSRF, unlock, audit log, statistics."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from nacl import pwhash
from sqlalchemy import select

from tests.staff_helpers import PASSPHRASE, Staff, csrf, sign_in
from tests.tips_helpers import send_tip
from webapp import audit_log, create_app
from webapp.extensions import db
from webapp.models import AuditEntry, OrgKey, StaffUser, Tip
from webapp.staff import auth

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres


def staff_urls(app: Flask) -> list[tuple[str, str]]:
    """(method, url) for every staff route, placeholders filled."""
    out = []
    for rule in app.url_map.iter_rules():
        # Sign-in, an invitation (a one-time secret link, tested in test_editor) and a
        # shelter's private space link (tested in test_coalition) are the staff pages
        # reachable signed out.
        if rule.rule.startswith("/staff/") and rule.endpoint not in (
                "staff.login", "invites.accept", "space.link"):
            url = re.sub(r"<[^>]+>", "0" * 32, rule.rule)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                out.append((method, url))
    return out


def test_every_staff_route_refuses_without_login(app: Flask, client: FlaskClient) -> None:
    """No staff route answers anything but a redirect to sign-in (GET) or a refusal (POST)."""
    urls = staff_urls(app)
    assert len(urls) >= 12
    for method, url in urls:
        resp = client.open(url, method=method)
        assert resp.status_code in (302, 400), (method, url, resp.status_code)
        if resp.status_code == 302:
            assert "/staff/login" in resp.headers["Location"]
        assert resp.headers["Cache-Control"] == "no-store"


def test_sign_in_needs_password_and_totp(app: Flask, client: FlaskClient,
                                         staff: dict[str, Staff]) -> None:
    """Wrong password or wrong code: refused with one message; the right pair: in."""
    who = staff["reviewer"]
    code = pyotp.TOTP(who.secret).now()
    for password, totp in ((who.password, "000000"), ("wrong password!", code)):
        resp = client.post("/staff/login", data={"csrf_token": csrf(client, "/staff/login"),
                                                 "username": who.username, "password": password,
                                                 "code": totp})
        assert resp.status_code == 400 and "Wrong username, password or code" in resp.get_data(
            as_text=True)
    no_csrf = client.post("/staff/login", data={"username": who.username,
                                                "password": who.password, "code": code})
    assert no_csrf.status_code == 400
    sign_in(client, who)
    assert client.get("/staff/").status_code == 200


def test_session_cookie_is_strict(app: Flask, client: FlaskClient,
                                  staff: dict[str, Staff]) -> None:
    """The staff session cookie: HttpOnly, SameSite=Strict, path /staff, Secure by default."""
    resp = client.get("/staff/login")
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/staff" in cookie
    assert "Secure" in cookie
    assert "Set-Cookie" not in client.get("/en/").headers


def test_reviewer_cannot_create_users_or_read_the_audit_log(app: Flask, client: FlaskClient,
                                                             staff: dict[str, Staff]) -> None:
    """Admin-only pages refuse a reviewer; an admin can create an account."""
    sign_in(client, staff["reviewer"])
    assert client.get("/staff/users").status_code == 403
    assert client.post("/staff/users", data={"csrf_token": csrf(client, "/staff/"),
                                             "username": "mallory", "password": "x" * 20,
                                             "role": "admin"}).status_code == 403
    assert client.get("/staff/audit").status_code == 403
    admin = app.test_client()
    sign_in(admin, staff["admin"])
    resp = admin.post("/staff/users", data={"csrf_token": csrf(admin, "/staff/users"),
                                            "username": "bea", "password": "a long password 1",
                                            "role": "reviewer"})
    assert resp.status_code == 200 and "otpauth://" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(StaffUser.role).where(StaffUser.username == "bea")) \
            == "reviewer"
        assert db.session.scalar(select(StaffUser.id).where(StaffUser.username == "mallory")) \
            is None


def test_unlock_and_audit_log(app: Flask, client: FlaskClient, staff: dict[str, Staff]) -> None:
    """A wrong passphrase does not unlock; every action is logged without tip content."""
    send_tip(app.test_client(), what="AUDIT-SENTINEL text")
    sign_in(client, staff["admin"])
    bad = client.post("/staff/unlock", data={"csrf_token": csrf(client, "/staff/unlock"),
                                             "passphrase": "not the passphrase"})
    assert bad.status_code == 400
    sign_in(client, staff["admin"], unlock=True)
    with app.app_context():
        tip_id = db.session.scalar(select(Tip.id))
    assert "AUDIT-SENTINEL" in client.get(f"/staff/tips/{tip_id}").get_data(as_text=True)
    client.post("/staff/lock", data={"csrf_token": csrf(client, "/staff/")})
    assert "AUDIT-SENTINEL" not in client.get(f"/staff/tips/{tip_id}").get_data(as_text=True)
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        details = " ".join(e.detail for e in db.session.scalars(select(AuditEntry)))
    assert {"login", "unlock_failed", "unlock", "tip_read", "lock"} <= set(actions)
    assert "AUDIT-SENTINEL" not in details
    log = client.get("/staff/audit").get_data(as_text=True)
    assert "unlock_failed" in log


def test_unlock_expires(app: Flask, client: FlaskClient, staff: dict[str, Staff]) -> None:
    """The key is held for a limited time only."""
    app.config["HAVEN_UNLOCK_MINUTES"] = 0
    send_tip(app.test_client(), what="EXPIRY-SENTINEL")
    sign_in(client, staff["reviewer"], unlock=True)
    with app.app_context():
        tip_id = db.session.scalar(select(Tip.id))
    assert "EXPIRY-SENTINEL" not in client.get(f"/staff/tips/{tip_id}").get_data(as_text=True)


def test_inbox_filters(app: Flask, client: FlaskClient, staff: dict[str, Staff]) -> None:
    """Filter by kind and status; newest first."""
    public = app.test_client()
    send_tip(public, what="one")
    send_tip(public, what="two", kinds=["child", "sexual"])
    sign_in(client, staff["reviewer"])
    assert client.get("/staff/?kind=child").get_data(as_text=True).count("/staff/tips/") == 1
    assert client.get("/staff/?kind=labour").get_data(as_text=True).count("/staff/tips/") == 1
    assert client.get("/staff/?status=closed").get_data(as_text=True).count("/staff/tips/") == 0
    assert client.get("/staff/?assignee=none").get_data(as_text=True).count("/staff/tips/") == 2


def test_stats_hide_small_counts(app: Flask, client: FlaskClient, staff: dict[str, Staff]) -> None:
    """Counts from 1 to 4 show as <5; the charts are SVG drawn on the server."""
    public = app.test_client()
    for _ in range(6):
        send_tip(public, what="x")
    send_tip(public, what="y", kinds=["child"])
    sign_in(client, staff["reviewer"])
    html = client.get("/staff/stats").get_data(as_text=True)
    assert "<svg" in html and "&lt;5" in html
    counts = re.findall(r'<span class="bar-count">([^<]*)</span>', html)
    assert "6" in counts
    assert "1" not in counts and "2" not in counts


def test_stats_median_first_response(app: Flask, staff: dict[str, Staff]) -> None:
    """The median is over hours from receipt to first staff message, shown from 5 answers."""
    from webapp.staff.figures import bars, compute, shown

    assert [shown(n) for n in (0, 1, 4, 5, 12)] == ["0", "<5", "<5", "5", "12"]
    b = bars([("a", 3), ("b", 10), ("c", 5)])
    assert b[0].height == 0 and b[1].height == 120.0 and b[2].height == 60.0
    public = app.test_client()
    for _ in range(5):
        send_tip(public, what="x")
    with app.app_context():
        tips = db.session.scalars(select(Tip)).all()
        for tip, wait in zip(tips[:4], (1, 3, 5, 40), strict=True):
            tip.first_response_hour = tip.created_hour + dt.timedelta(hours=wait)
        db.session.commit()
        assert compute()["median_hours"] is None  # 4 answered: not shown yet
        tips[4].first_response_hour = tips[4].created_hour + dt.timedelta(hours=2)
        db.session.commit()
        assert compute()["median_hours"] == 3


def test_tips_stay_readable_after_the_key_is_rotated(app: Flask, client: FlaskClient,
                                                     staff: dict[str, Staff]) -> None:
    """`keys init --rotate`: tips sealed to the old key still open, with their notes, in the
    inbox and on their page; under another passphrase the old key's tips show as locked (never
    an error page) until that passphrase unlocks them."""
    runner = app.test_cli_runner()
    send_tip(app.test_client(), what="FIRST-KEY-SENTINEL")
    res = runner.invoke(args=["keys", "init", "--rotate", "--passphrase", PASSPHRASE])
    assert res.exit_code == 0, res.output
    send_tip(app.test_client(), what="SECOND-KEY-SENTINEL")
    with app.app_context():
        first, second = (db.session.scalar(select(Tip.id).where(Tip.org_key_id == k))
                         for k in (1, 2))
    sign_in(client, staff["reviewer"], unlock=True)
    inbox = client.get("/staff/")
    assert inbox.status_code == 200
    assert "FIRST-KEY-SENTINEL" in inbox.get_data(as_text=True)
    assert "SECOND-KEY-SENTINEL" in inbox.get_data(as_text=True)
    client.post(f"/staff/tips/{first}/note", data={
        "csrf_token": csrf(client, f"/staff/tips/{first}"), "note": "NOTE-ON-FIRST"})
    page = client.get(f"/staff/tips/{first}").get_data(as_text=True)
    assert "FIRST-KEY-SENTINEL" in page and "NOTE-ON-FIRST" in page

    other = "a different passphrase 77"
    res = runner.invoke(args=["keys", "init", "--rotate", "--passphrase", other])
    assert res.exit_code == 0, res.output
    send_tip(app.test_client(), what="THIRD-KEY-SENTINEL")
    fresh = app.test_client()
    sign_in(fresh, staff["admin"])
    resp = fresh.post("/staff/unlock", data={"csrf_token": csrf(fresh, "/staff/unlock"),
                                             "passphrase": other})
    assert resp.status_code == 302
    inbox = fresh.get("/staff/")
    assert inbox.status_code == 200
    text = inbox.get_data(as_text=True)
    assert "THIRD-KEY-SENTINEL" in text and "FIRST-KEY-SENTINEL" not in text
    old = fresh.get(f"/staff/tips/{first}")
    assert old.status_code == 200 and "FIRST-KEY-SENTINEL" not in old.get_data(as_text=True)
    assert fresh.get(f"/staff/tips/{first}/export.pdf").status_code == 403
    assert fresh.post(f"/staff/tips/{second}/message", data={
        "csrf_token": csrf(fresh, f"/staff/tips/{second}"), "message": "hello"}
    ).status_code == 403
    resp = fresh.post("/staff/unlock", data={"csrf_token": csrf(fresh, "/staff/unlock"),
                                             "passphrase": PASSPHRASE})
    assert resp.status_code == 302  # the old passphrase opens the two old keys
    assert "FIRST-KEY-SENTINEL" in fresh.get(f"/staff/tips/{first}").get_data(as_text=True)


@pytest.mark.parametrize(("action", "field", "value"), [
    ("status", "status", "in_review"), ("assign", "assignee", "1")])
def test_a_tip_change_is_stored_with_its_audit_entry_or_not_at_all(
        app: Flask, client: FlaskClient, staff: dict[str, Staff],
        monkeypatch: pytest.MonkeyPatch, action: str, field: str, value: str) -> None:
    """Moving or assigning a tip and its audit entry are one transaction: when the entry
    cannot be written, the tip is as it was (no change without its trace in the log)."""
    send_tip(app.test_client())
    sign_in(client, staff["admin"])
    with app.app_context():
        tip_id = db.session.scalar(select(Tip.id))
    token = csrf(client, f"/staff/tips/{tip_id}")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the audit log is full")

    monkeypatch.setattr(audit_log, "record", broken)
    resp = client.post(f"/staff/tips/{tip_id}/{action}", data={"csrf_token": token, field: value})
    assert resp.status_code == 500
    with app.app_context():
        db.session.remove()
        tip = db.session.get(Tip, tip_id)
        assert tip is not None and (tip.status, tip.assignee_id) == ("received", None)
    monkeypatch.undo()
    client.post(f"/staff/tips/{tip_id}/{action}", data={"csrf_token": token, field: value})
    with app.app_context():
        tip = db.session.get(Tip, tip_id)
        assert tip is not None
        assert (tip.status if action == "status" else str(tip.assignee_id)) == value
        assert db.session.scalars(select(AuditEntry.action)).all()[-1] == action


def test_passwords_are_hashed_at_the_real_cost_unless_testing_says(app: Flask,
                                                                   staff: dict[str, Staff],
                                                                   ) -> None:
    """An app hashes staff passwords with Argon2id at argon2-cffi's defaults (64 MiB, t=3),
    and upgrades at sign-in a hash made at the least cost (the test apps'); its organisation
    keys at HAVEN_PASSPHRASE_KDF's strength; an app that is not TESTING refuses
    HAVEN_FAST_HASHING."""
    app.config["HAVEN_FAST_HASHING"] = False
    admin = staff["admin"]
    with app.app_context():
        made = db.session.scalar(select(StaffUser).where(StaffUser.username == admin.username))
        assert made is not None and made.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    sign_in(app.test_client(), admin)
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == admin.username))
        assert user is not None
        assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        other, _secret = auth.create_user("newcomer", "a long password here", "reviewer")
        assert other.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    # The organisation key: libsodium's least cost for tests, else HAVEN_PASSPHRASE_KDF's.
    for rotate in ("interactive", "moderate"):
        app.config["HAVEN_PASSPHRASE_KDF"] = rotate
        res = app.test_cli_runner().invoke(args=["keys", "init", "--rotate",
                                                 "--passphrase", PASSPHRASE])
        assert res.exit_code == 0, res.output
    with app.app_context():
        made = [(k.kdf_ops, k.kdf_mem) for k in db.session.scalars(
            select(OrgKey).order_by(OrgKey.id))]
    argon = pwhash.argon2id
    assert made == [(argon.OPSLIMIT_MIN, argon.MEMLIMIT_MIN),
                    (argon.OPSLIMIT_INTERACTIVE, argon.MEMLIMIT_INTERACTIVE),
                    (argon.OPSLIMIT_MODERATE, argon.MEMLIMIT_MODERATE)]
    with pytest.raises(ValueError, match="HAVEN_FAST_HASHING .* tests"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                    "HAVEN_SEED_ON_START": False, "HAVEN_FAST_HASHING": True})
