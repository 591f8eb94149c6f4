"""Staff accounts: Argon2id passwords, TOTP (with no code used twice), roles, the audit log."""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import select

from webapp import audit_log, clock, digits
from webapp.extensions import db
from webapp.models import StaffUser
from webapp.models.coalition import DEFAULT_MEMBER
from webapp.models.staff import TIP_ROLES, StaffSession
from webapp.staff import sessions
from webapp.tips import crypto

F = TypeVar("F", bound=Callable[..., Any])
# argon2-cffi's defaults (Argon2id, RFC 9106 low-memory profile); at its least cost for tests
# (HAVEN_FAST_HASHING). A hash names its own parameters, so either verifies the other's.
_HASHERS = {False: PasswordHasher(),
            True: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)}
# Verifying against one of these keeps a wrong username as slow as a wrong password.
_DUMMY = {fast: h.hash("not a real password") for fast, h in _HASHERS.items()}


def hasher() -> PasswordHasher:
    """This app's password hasher."""
    return _HASHERS[bool(current_app.config["HAVEN_FAST_HASHING"])]


def _totp_box_key() -> bytes:
    return hashlib.blake2b(current_app.config["SECRET_KEY"].encode(), digest_size=32,
                           person=b"haven-totp-key").digest()


def create_user(username: str, password: str, role: str, *, secret: str | None = None,
                organization_id: str | None = None, member_id: int = DEFAULT_MEMBER,
                commit: bool = True) -> tuple[StaffUser, str]:
    """A new account; returns it and its TOTP secret (shown once, to enrol an app)."""
    secret = secret or pyotp.random_base32()
    user = StaffUser(username=username, password_hash=hasher().hash(password), role=role,
                     totp_secret=sealed_secret(secret), active=True,
                     last_totp_step=0, organization_id=organization_id,
                     member_id=member_id)
    db.session.add(user)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return user, secret


def sealed_secret(secret: str) -> bytes:
    """A TOTP secret as stored: encrypted with a key derived from the app's secret key."""
    return crypto.seal(_totp_box_key(), secret.encode())


def totp_for(user: StaffUser) -> pyotp.TOTP:
    """The user's TOTP generator."""
    return pyotp.TOTP(crypto.unseal(_totp_box_key(), user.totp_secret).decode())


class CodeAlreadyUsed(Exception):
    """Password and code were right, but this code already signed someone in."""


def check_login(username: str, password: str, code: str) -> StaffUser | None:
    """The user when password and TOTP code are right (and the code was not used before).

    Raises CodeAlreadyUsed when the only thing wrong is a code used once already, so the
    person is told to wait for the next one instead of doubting their password.
    """
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    fast = bool(current_app.config["HAVEN_FAST_HASHING"])
    hashing = _HASHERS[fast]
    try:
        hashing.verify(user.password_hash if user else _DUMMY[fast], password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if not _accept_code(user, code):
        return None
    if hashing.check_needs_rehash(user.password_hash):
        user.password_hash = hashing.hash(password)
    db.session.commit()
    return user


def _accept_code(user: StaffUser, code: str) -> bool:
    """Whether code is the user's current TOTP code, never used before (the step is stored,
    uncommitted); CodeAlreadyUsed when it was right but used already."""
    totp = totp_for(user)
    now = time.time()
    reused = False
    for offset in (0, -1, 1):  # one step of clock drift either way
        step = int(now // totp.interval) + offset
        if not totp.verify(code, for_time=step * totp.interval):
            continue
        if step <= user.last_totp_step:
            reused = True
            continue
        user.last_totp_step = step
        return True
    if reused:
        raise CodeAlreadyUsed
    return False


def current_session() -> StaffSession | None:
    """The server record of this browser's session while it may be used; one that has gone
    idle, outlived its lifetime or belongs to a disabled account is ended here."""
    if "staff_session" not in g:
        g.staff_session = None
        row = sessions.find(session.get("sid"))
        if row is not None:
            at = clock.now()
            user = db.session.get(StaffUser, row.user_id)
            why = sessions.expired(row, at) or ("" if user and user.active else "disabled")
            if why:
                sessions.end([row], why, None, user.member_id if user else DEFAULT_MEMBER, at)
            else:
                sessions.touch(row, at)
                g.staff_session = row
    return g.staff_session  # type: ignore[no-any-return]


def current_user() -> StaffUser | None:
    """The signed-in staff member, if any."""
    if "staff_user" not in g:
        row = current_session()
        g.staff_user = db.session.get(StaffUser, row.user_id) if row is not None else None
    return g.staff_user  # type: ignore[no-any-return]


def begin_session(user: StaffUser) -> None:
    """Sign user in on this browser: a new session id (never one the browser brought along);
    commit."""
    at = clock.now()
    sessions.purge(at)
    token, row = sessions.start(user, at)
    db.session.commit()
    session.clear()
    session["sid"] = token
    g.staff_session, g.staff_user = row, user


def rotate_session(vault_token: str | None) -> None:
    """A new session id for this browser (at unlock), keeping its sign-in time, so an id seen
    before unlocking never reaches the unlocked key; commit."""
    old = current_session()
    user = current_user()
    if old is None or user is None:
        return
    token, row = sessions.start(user, clock.now(), created=old.created_at, totp_at=old.totp_at)
    row.vault_handle = vault_token.partition(".")[0] if vault_token else None
    db.session.delete(old)
    db.session.commit()
    session["sid"] = token
    g.staff_session = row


def confirmed(code: str | None) -> bool:
    """Whether the signed-in person may make a change to accounts or keys: a code typed in
    this session in the last few minutes, or a good new code now (which counts as typed).
    A copied cookie alone is not enough."""
    row, user = current_session(), current_user()
    if row is None or user is None:
        return False
    at = clock.now()
    if sessions.fresh(row, at):
        return True
    try:
        ok = _accept_code(user, str(digits.code_filter(code or "")))
    except CodeAlreadyUsed:
        ok = False
    if ok:
        row.totp_at = at
    db.session.commit()
    return ok


def member_id() -> int:
    """The member organisation of the signed-in person (its tips, keys, colleagues and log
    only); -1, which matches nothing, when nobody is signed in."""
    user = current_user()
    return user.member_id if user else -1


def login_required(view: F) -> F:
    """Redirect to the login page unless signed in."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("staff.login", next=request.path))
        return view(*args, **kwargs)
    return wrapped  # type: ignore[return-value]


def admin_required(view: F) -> F:
    """Only admins (creating users, reading the audit log)."""
    @functools.wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None or user.role != "admin":
            abort(403)
        return view(*args, **kwargs)
    return wrapped  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Only these roles (a partner's org-editor never reaches the tip inbox)."""
    def decorate(view: F) -> F:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None or user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorate


def home_required(view: F) -> F:
    """Only staff of the organisation that runs this Haven (member 1): directory-wide work
    such as spreadsheet imports and readers' reports, never another coalition member's staff
. Put it under a login or role decorator."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None or user.member_id != DEFAULT_MEMBER:
            abort(403)
        return view(*args, **kwargs)
    return wrapped  # type: ignore[return-value]


def home_for(user: StaffUser) -> str:
    """Where this person starts: the tip inbox, or the directory for listing editors."""
    return url_for("inbox.list" if user.role in TIP_ROLES else "editor.directory")


def audit(action: str, tip_id: str | None = None, detail: str = "",
          member_id: int | None = None) -> None:
    """Record who did what and when (codes only, never tip content) in the log of the member
    organisation it concerns (by default the signed-in person's); commit."""
    user = current_user()
    if member_id is None:
        member_id = user.member_id if user else DEFAULT_MEMBER
    audit_log.record(action, member_id=member_id, staff_id=user.id if user else None,
                     tip_id=tip_id, detail=detail)
    db.session.commit()
