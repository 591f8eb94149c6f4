"""Staff accounts: Argon2id passwords, TOTP (with no code used twice), roles, the audit log."""

from __future__ import annotations

import datetime as dt
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

from webapp.extensions import db
from webapp.models import AuditEntry, StaffUser
from webapp.models.coalition import DEFAULT_MEMBER
from webapp.models.staff import TIP_ROLES
from webapp.tips import crypto

F = TypeVar("F", bound=Callable[..., Any])
hasher = PasswordHasher()  # argon2-cffi defaults: Argon2id, RFC 9106 low-memory profile
# Verifying against this keeps a wrong username as slow as a wrong password.
_DUMMY = hasher.hash("not a real password")


def _totp_box_key() -> bytes:
    return hashlib.blake2b(current_app.config["SECRET_KEY"].encode(), digest_size=32,
                           person=b"haven-totp-key").digest()


def create_user(username: str, password: str, role: str, *, secret: str | None = None,
                organization_id: str | None = None, member_id: int = DEFAULT_MEMBER,
                commit: bool = True) -> tuple[StaffUser, str]:
    """A new account; returns it and its TOTP secret (shown once, to enrol an app)."""
    secret = secret or pyotp.random_base32()
    user = StaffUser(username=username, password_hash=hasher.hash(password), role=role,
                     totp_secret=crypto.seal(_totp_box_key(), secret.encode()), active=True,
                     last_totp_step=0, organization_id=organization_id,
                     member_id=member_id)
    db.session.add(user)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return user, secret


def totp_for(user: StaffUser) -> pyotp.TOTP:
    """The user's TOTP generator."""
    return pyotp.TOTP(crypto.unseal(_totp_box_key(), user.totp_secret).decode())


class CodeAlreadyUsed(Exception):
    """Password and code were right, but this code already signed someone in (see #13)."""


def check_login(username: str, password: str, code: str) -> StaffUser | None:
    """The user when password and TOTP code are right (and the code was not used before).

    Raises CodeAlreadyUsed when the only thing wrong is a code used once already, so the
    person is told to wait for the next one instead of doubting their password.
    """
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    try:
        hasher.verify(user.password_hash if user else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
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
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        db.session.commit()
        return user
    if reused:
        raise CodeAlreadyUsed
    return None


def current_user() -> StaffUser | None:
    """The signed-in staff member, if any."""
    if "staff_user" not in g:
        uid = session.get("uid")
        user = db.session.get(StaffUser, uid) if isinstance(uid, int) else None
        g.staff_user = user if user is not None and user.active else None
    return g.staff_user  # type: ignore[no-any-return]


def member_id() -> int:
    """The member organisation of the signed-in person (its tips, keys, colleagues and log
    only; see #11); -1, which matches nothing, when nobody is signed in."""
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
    """Only these roles (a partner's org-editor never reaches the tip inbox; see #9)."""
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
    (see #11). Put it under a login or role decorator."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        user = current_user()
        if user is None or user.member_id != DEFAULT_MEMBER:
            abort(403)
        return view(*args, **kwargs)
    return wrapped  # type: ignore[return-value]


def home_for(user: StaffUser) -> str:
    """Where this person starts: the tip inbox, or the directory for listing editors."""
    return url_for("staff.inbox" if user.role in TIP_ROLES else "staff.directory")


def now() -> dt.datetime:
    """UTC now, naive, whole seconds: how staff actions are stored."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def audit(action: str, tip_id: str | None = None, detail: str = "",
          member_id: int | None = None) -> None:
    """Record who did what and when (codes only, never tip content) in the log of the member
    organisation it concerns (by default the signed-in person's); commit."""
    user = current_user()
    if member_id is None:
        member_id = user.member_id if user else DEFAULT_MEMBER
    db.session.add(AuditEntry(at=now(),
                              staff_id=user.id if user else None, action=action, tip_id=tip_id,
                              detail=detail[:200], member_id=member_id))
    db.session.commit()
