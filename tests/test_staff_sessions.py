"""Staff sessions live on the server: sign-out, idle and absolute limits, unlock rotation,
revocation by an admin, disabled accounts and new TOTP secrets end them; changes to accounts
need a fresh code, so a copied cookie alone cannot make an admin."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from tests.pages import sign_in_page
from tests.staff_helpers import PASSPHRASE, Staff, csrf, keyed, sign_in
from tests.tips_helpers import send_tip
from webapp import clock as stored_clock
from webapp.extensions import db
from webapp.models import AuditEntry, StaffInvite, StaffUser, Tip
from webapp.models.staff import StaffSession
from webapp.staff import vault
from webapp.tips.crypto import LockedError


class Clock:
    """webapp.clock.now() under the test's control."""

    def __init__(self) -> None:
        self.at = stored_clock.now()

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(stored_clock, "now", fake)
    return fake


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of client's staff cookie."""
    cookie = client.get_cookie("haven_staff", path="/staff")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("haven_staff", cookie.value, path="/staff")
    return thief


def cookie_session(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """What a browser's signed staff cookie holds."""
    cookie = client.get_cookie("haven_staff", path="/staff")
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return serializer.loads(cookie.value)  # type: ignore[no-any-return]


def signed_out(resp: Any) -> bool:
    """The answer a browser without a session gets: off to the sign-in page."""
    return resp.status_code == 302 and "/staff/login" in resp.headers["Location"]


def next_code(app: Flask, who: Staff) -> str:
    """A code the server has not seen yet for this account (waiting for one if needed)."""
    with app.app_context():
        last = db.session.scalar(select(StaffUser.last_totp_step)
                                 .where(StaffUser.username == who.username))
    assert last is not None
    while last + 1 > int(time.time() // 30) + 1:  # accepted: one step of drift either way
        time.sleep(1)
    return pyotp.TOTP(who.secret).at((last + 1) * 30)


def ended_why(app: Flask) -> list[str]:
    with app.app_context():
        return [e.detail.rsplit("why=", 1)[-1] for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "session_ended")
            .order_by(AuditEntry.id))]


def test_a_cookie_copied_before_sign_out_is_refused_after_it(
        app: Flask, client: FlaskClient, staff: dict[str, Staff]) -> None:
    sign_in(client, staff["admin"])
    thief = copy_of(app, client)
    assert thief.get("/staff/users").status_code == 200  # the copy works while signed in
    stolen_token = csrf(thief, "/staff/users")  # the copy's form token, taken with it
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/")})
    assert signed_out(thief.get("/staff/"))
    assert signed_out(thief.get("/staff/users"))
    assert thief.post("/staff/users", data={"csrf_token": stolen_token, "username": "mallory",
                                            "password": "x" * 20, "role": "admin"}
                      ).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(StaffSession.id)) is None
        assert db.session.scalar(select(StaffUser).where(StaffUser.username == "mallory")) \
            is None
    assert ended_why(app) == ["signed_out"]


def test_idle_sessions_end(app: Flask, client: FlaskClient, staff: dict[str, Staff],
                           clock: Clock) -> None:
    """30 idle minutes end a session; use keeps it alive."""
    sign_in(client, staff["reviewer"])
    thief = copy_of(app, client)
    for _ in range(3):  # 87 minutes in all, never 30 without a request
        clock.advance(minutes=29)
        assert client.get("/staff/").status_code == 200
    clock.advance(minutes=30)
    assert signed_out(thief.get("/staff/"))
    assert signed_out(client.get("/staff/"))
    assert ended_why(app) == ["idle"]


def test_sessions_end_after_their_lifetime_however_busy(
        app: Flask, client: FlaskClient, staff: dict[str, Staff], clock: Clock) -> None:
    app.config["HAVEN_STAFF_SESSION_HOURS"] = 2
    sign_in(client, staff["reviewer"], unlock=True)  # unlocking rotates, never extends
    thief = copy_of(app, client)
    for _ in range(4):  # 1 h 56 min
        clock.advance(minutes=29)
        assert thief.get("/staff/").status_code == 200
    clock.advance(minutes=5)
    assert signed_out(thief.get("/staff/"))
    assert signed_out(client.get("/staff/"))
    assert ended_why(app) == ["lifetime"]


def test_unlocking_gives_the_browser_a_new_session_id(
        app: Flask, client: FlaskClient, staff: dict[str, Staff]) -> None:
    send_tip(app.test_client(), what="ROTATION-SENTINEL")
    sign_in(client, staff["reviewer"])
    before_unlock = copy_of(app, client)
    assert before_unlock.get("/staff/").status_code == 200
    resp = client.post("/staff/unlock", data={"csrf_token": csrf(client, "/staff/unlock"),
                                              "passphrase": PASSPHRASE})
    assert resp.status_code == 302
    with app.app_context():
        tip_id = db.session.scalar(select(Tip.id))
    assert "ROTATION-SENTINEL" in client.get(f"/staff/tips/{tip_id}").get_data(as_text=True)
    assert signed_out(before_unlock.get(f"/staff/tips/{tip_id}"))


def test_sign_in_gives_a_new_session_id(app: Flask, client: FlaskClient,
                                        staff: dict[str, Staff]) -> None:
    """A browser that signs in again gets a new id: the one it had opens nothing new."""
    sign_in(client, staff["reviewer"])
    earlier = copy_of(app, client)
    sign_in(client, staff["admin"])
    assert client.get("/staff/users").status_code == 200
    assert earlier.get("/staff/users").status_code == 403  # still the reviewer's session
    client.post("/staff/sessions/end-all", data={"csrf_token": csrf(client, "/staff/")})
    assert earlier.get("/staff/users").status_code == 403  # another person's session


def session_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'/staff/sessions/(\d+)/end"', html)]


def test_an_admin_ends_a_colleagues_session(app: Flask, staff: dict[str, Staff]) -> None:
    reviewer, admin = app.test_client(), app.test_client()
    sign_in(reviewer, staff["reviewer"], unlock=True)
    sign_in(admin, staff["admin"])
    unlocked = cookie_session(app, reviewer)["vault"]
    with app.app_context():
        assert vault.get(unlocked)  # the reviewer's key is open
    page = admin.get("/staff/sessions").get_data(as_text=True)
    assert ">rev</bdi>" in page
    own, theirs = session_ids(page)  # this browser first, then the colleague's
    # a reviewer cannot end the admin's session
    resp = reviewer.post(f"/staff/sessions/{own}/end",
                         data={"csrf_token": csrf(reviewer, "/staff/sessions")})
    assert resp.status_code == 404
    assert admin.get("/staff/users").status_code == 200
    admin.post(f"/staff/sessions/{theirs}/end",
               data={"csrf_token": csrf(admin, "/staff/sessions")})
    assert signed_out(reviewer.get("/staff/"))
    with app.app_context(), pytest.raises(LockedError):  # and so is the key it had unlocked
        vault.get(unlocked)
    assert admin.get("/staff/").status_code == 200
    assert ended_why(app) == ["ended_by_admin"]
    assert ">rev</bdi>" not in admin.get("/staff/sessions").get_data(as_text=True)


def test_sign_out_everywhere(app: Flask, staff: dict[str, Staff]) -> None:
    phone, laptop, other = app.test_client(), app.test_client(), app.test_client()
    sign_in(phone, staff["reviewer"])
    sign_in(laptop, staff["reviewer"])
    sign_in(other, staff["admin"])
    assert len(session_ids(laptop.get("/staff/sessions").get_data(as_text=True))) == 2
    resp = laptop.post("/staff/sessions/end-all",
                       data={"csrf_token": csrf(laptop, "/staff/sessions")})
    assert signed_out(resp)
    assert signed_out(phone.get("/staff/")) and signed_out(laptop.get("/staff/"))
    assert other.get("/staff/").status_code == 200
    assert ended_why(app) == ["signed_out_everywhere"] * 2


def account_change(admin: FlaskClient, user_id: int, do: str, code: str = "",
                   role: str = "reviewer") -> Any:
    return admin.post(f"/staff/users/{user_id}", data={
        "csrf_token": csrf(admin, f"/staff/users/{user_id}"), "do": do, "role": role,
        "code": code})


def test_disabling_an_account_or_giving_it_a_new_secret_ends_its_sessions(
        app: Flask, staff: dict[str, Staff]) -> None:
    reviewer, admin = app.test_client(), app.test_client()
    sign_in(reviewer, staff["reviewer"])
    sign_in(admin, staff["admin"])
    with app.app_context():
        rev_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "rev"))
    assert rev_id is not None
    assert account_change(admin, rev_id, "disable").status_code == 200
    assert signed_out(reviewer.get("/staff/"))
    with pytest.raises(AssertionError, match="sign-in failed"):
        sign_in(reviewer, staff["reviewer"])
    assert account_change(admin, rev_id, "enable").status_code == 200
    sign_in(reviewer, staff["reviewer"])
    resp = account_change(admin, rev_id, "reset")
    page = resp.get_data(as_text=True)
    secret = re.search(r'<code dir="ltr">([A-Z2-7]{32})</code>', page)
    assert resp.status_code == 200 and secret, page[:2000]
    assert signed_out(reviewer.get("/staff/"))
    with pytest.raises(AssertionError, match="sign-in failed"):  # the old app's codes
        sign_in(reviewer, staff["reviewer"])
    sign_in(reviewer, Staff("rev", staff["reviewer"].password, secret.group(1)))
    assert reviewer.get("/staff/").status_code == 200
    assert ended_why(app) == ["disabled", "totp_reset"]
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"user_disabled", "user_enabled", "totp_reset"} <= actions


def test_a_stolen_cookie_without_a_fresh_code_changes_no_account(
        app: Flask, client: FlaskClient, staff: dict[str, Staff], clock: Clock) -> None:
    sign_in(client, staff["admin"])
    thief = copy_of(app, client)
    clock.advance(minutes=6)  # the sign-in code is no longer fresh
    new_admin = {"csrf_token": csrf(thief, "/staff/users"), "username": "mallory",
                 "password": "a long password 1", "role": "admin"}
    for code in ("", "123456"):
        resp = thief.post("/staff/users", data={**new_admin, "code": code})
        assert resp.status_code == 403 and "otpauth://" not in resp.get_data(as_text=True)
    invite = thief.post("/staff/users/invite", data={
        "csrf_token": csrf(thief, "/staff/users"), "role": "admin", "organization": ""})
    assert invite.status_code == 403 and "/staff/invite/" not in invite.get_data(as_text=True)
    with app.app_context():
        rev_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "rev"))
    assert account_change(thief, rev_id or 0, "role", role="admin").status_code == 403
    assert account_change(thief, rev_id or 0, "disable").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(StaffUser).where(StaffUser.username == "mallory")) \
            is None
        assert db.session.scalar(select(StaffInvite.id)) is None
        rev = db.session.get(StaffUser, rev_id)
        assert rev is not None and rev.role == "reviewer" and rev.active
    # the person holding the authenticator confirms with a new code, and it is done
    resp = client.post("/staff/users", data={
        **new_admin, "csrf_token": csrf(client, "/staff/users"), "username": "bea",
        "code": next_code(app, staff["admin"])})
    assert resp.status_code == 200 and "otpauth://" in resp.get_data(as_text=True)
    assert account_change(client, rev_id or 0, "role", role="editor").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(StaffUser.role).where(StaffUser.username == "bea")) \
            == "admin"
        assert db.session.scalar(select(StaffUser.role).where(StaffUser.id == rev_id)) \
            == "editor"


def test_the_last_admin_cannot_be_disabled(app: Flask, client: FlaskClient,
                                           staff: dict[str, Staff]) -> None:
    sign_in(client, staff["admin"])
    with app.app_context():
        me = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "ada"))
    assert account_change(client, me or 0, "disable").status_code == 400
    assert client.get("/staff/").status_code == 200


def test_nothing_about_the_browser_is_stored(app: Flask, staff: dict[str, Staff]) -> None:
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": "198.51.100.23",
                                "HTTP_USER_AGENT": "SentinelAgent/1.0"})
    sign_in(client, staff["reviewer"], unlock=True)
    cookie = client.get_cookie("haven_staff", path="/staff")
    assert cookie is not None
    with app.app_context():
        rows = [tuple(str(v) for v in r) for r in db.session.execute(
            select(StaffSession.__table__)).all()]
    assert len(rows) == 1
    blob = " ".join(rows[0])
    assert "198.51.100.23" not in blob and "SentinelAgent" not in blob
    sid = cookie_session(app, client)["sid"]
    assert sid not in blob  # only its hash


def test_0012_goes_down_and_up(any_app: Flask) -> None:
    with any_app.app_context():
        db.session.remove()
        downgrade(revision="0011")
        assert "staff_session" not in inspect(db.engine).get_table_names()
        upgrade()
        assert "staff_session" in inspect(db.engine).get_table_names()
        cols = {c["name"] for c in inspect(db.engine).get_columns("staff_session")}
    assert cols == {"id", "token_hash", "user_id", "created_at", "last_seen", "totp_at",
                    "vault_handle"}
    any_app.config["HAVEN_PASSPHRASE_KDF"] = "interactive"
    people = keyed(any_app)
    client = any_app.test_client()
    sign_in(client, people["admin"])
    assert client.get("/staff/sessions").status_code == 200


def test_sessions_page_on_an_arabic_phone(app: Flask, live_server: str, phones: Any,
                                          staff: dict[str, Staff]) -> None:
    """Right to left, 360 px wide, nothing to scroll sideways; the buttons end sessions."""
    other = app.test_client()
    sign_in(other, staff["reviewer"])
    page = phones("ar").new_page()
    sign_in_page(page, live_server, staff["admin"], PASSPHRASE)
    page.goto(f"{live_server}/staff/sessions")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator("ul.sessions li").count() == 2
    shot = Path("/tmp/haven-staff-sessions-ar-360.png")
    page.screenshot(path=str(shot), full_page=True)
    page.locator("ul.sessions").nth(1).locator("button").first.click()
    assert signed_out(other.get("/staff/"))
    assert "/staff/sessions" in page.url
    page.goto(f"{live_server}/staff/users")
    page.locator("a[href^='/staff/users/']", has_text="rev").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path="/tmp/haven-staff-account-ar-360.png", full_page=True)


def test_an_admin_sees_and_ends_only_their_own_organisations_sessions(app: Flask) -> None:
    from tests.coalition_helpers import coalition, signed_in

    people = coalition(app).staff
    police, hubrev = signed_in(app, people["police"]), signed_in(app, people["hubrev"])
    hub = signed_in(app, people["hub"])
    page = hub.get("/staff/sessions").get_data(as_text=True)
    assert ">hubrev</bdi>" in page and ">police</bdi>" not in page
    with app.app_context():
        police_user = db.session.scalar(select(StaffUser).where(StaffUser.username == "police"))
        assert police_user is not None
        police_id = police_user.id
        police_session = db.session.scalar(select(StaffSession.id).where(
            StaffSession.user_id == police_id))
    token = csrf(hub, "/staff/sessions")
    assert hub.post(f"/staff/sessions/{police_session}/end",
                    data={"csrf_token": token}).status_code == 404
    assert hub.get(f"/staff/users/{police_id}").status_code == 404
    assert hub.post(f"/staff/users/{police_id}", data={
        "csrf_token": token, "do": "disable", "role": "reviewer"}).status_code == 404
    assert police.get("/staff/").status_code == 200
    assert hubrev.get("/staff/").status_code == 200


def test_a_session_number_is_never_given_again(app: Flask, staff: dict[str, Staff]) -> None:
    """End the newest session, sign in again: the new session has a new number, so a stale
    "end session N" button cannot end it."""
    first = app.test_client()
    sign_in(first, staff["admin"])
    second = app.test_client()
    sign_in(second, staff["reviewer"])
    with app.app_context():
        newest = db.session.scalar(select(func.max(StaffSession.id)))
    second.post("/staff/logout", data={"csrf_token": csrf(second, "/staff/")})
    third = app.test_client()
    sign_in(third, staff["reviewer"])  # the next 30-second code: each is used once
    with app.app_context():
        assert db.session.scalar(select(func.max(StaffSession.id))) == newest + 1
