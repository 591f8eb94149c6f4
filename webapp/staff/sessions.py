"""Staff sessions kept on the server, so that signing out, an admin or an expiry ends them.

The signed cookie holds only a random id (and, once unlocked, the key that opens the unlocked
organisation key in the shared state); the database keeps the id's hash, who, and when. A
cookie whose row is gone opens nothing, whatever its signature says.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence

from flask import current_app
from sqlalchemy import delete, select

from webapp import audit_log
from webapp.extensions import db
from webapp.models import StaffUser
from webapp.models.staff import StaffSession
from webapp.staff import vault

# A change to accounts or keys needs a code typed this recently in the same session.
FRESH_FOR = dt.timedelta(minutes=5)
# last_seen is written at most this often: one write per page would queue every staff request
# behind SQLite's single writer, and the idle limit is counted in minutes.
TOUCH_EVERY = dt.timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _limits() -> tuple[dt.timedelta, dt.timedelta]:
    cfg = current_app.config
    return (dt.timedelta(minutes=cfg["HAVEN_STAFF_IDLE_MINUTES"]),
            dt.timedelta(hours=cfg["HAVEN_STAFF_SESSION_HOURS"]))


def start(user: StaffUser, now: dt.datetime, *, created: dt.datetime | None = None,
          totp_at: dt.datetime | None = None) -> tuple[str, StaffSession]:
    """A new session for user; returns the token for the cookie (only its hash is stored).
    created and totp_at carry over when a session is rotated, so rotation never extends it."""
    token = secrets.token_urlsafe(32)
    row = StaffSession(token_hash=_hash(token), user_id=user.id, created_at=created or now,
                       last_seen=now, totp_at=totp_at or now)
    db.session.add(row)
    db.session.flush()
    return token, row


def expired(row: StaffSession, now: dt.datetime) -> str:
    """'' while the session may be used, else why not: 'idle' or 'lifetime'."""
    idle, lifetime = _limits()
    if now - row.created_at >= lifetime:
        return "lifetime"
    if now - row.last_seen >= idle:
        return "idle"
    return ""


def find(token: object) -> StaffSession | None:
    """The session row a cookie's token names, if there is one."""
    if not isinstance(token, str) or not token:
        return None
    return db.session.scalar(select(StaffSession).where(
        StaffSession.token_hash == _hash(token[:100])))


def touch(row: StaffSession, now: dt.datetime) -> None:
    """Note that the session was used now (at most once a minute); commit."""
    if now - row.last_seen >= TOUCH_EVERY:
        row.last_seen = now
        db.session.commit()


def fresh(row: StaffSession, now: dt.datetime) -> bool:
    """Whether a code was typed in this session recently enough for a change to accounts."""
    return now - row.totp_at < FRESH_FOR


def _forget_key(handle: str | None) -> None:
    if handle:
        # vault.drop reads only the handle part of a token; the key part is never stored here.
        vault.drop(handle + "." + base64.urlsafe_b64encode(bytes(32)).decode())


def end(rows: Sequence[StaffSession], why: str, by: int | None, member_id: int,
        now: dt.datetime) -> int:
    """End these sessions now (their unlocked keys too), log each with why; commit. Returns
    how many were ended."""
    for row in rows:
        _forget_key(row.vault_handle)
        audit_log.record("session_ended", member_id=member_id, staff_id=by, at=now,
                         detail=f"session={row.id} user={row.user_id} why={why}")
    ids = [row.id for row in rows]
    if ids:
        db.session.execute(delete(StaffSession).where(StaffSession.id.in_(ids)))
    db.session.commit()
    return len(ids)


def of_user(user_id: int) -> list[StaffSession]:
    """A person's sessions, newest first."""
    return list(db.session.scalars(select(StaffSession).where(
        StaffSession.user_id == user_id).order_by(StaffSession.created_at.desc(),
                                                  StaffSession.id.desc())))


def of_member(member_id: int, now: dt.datetime) -> list[tuple[StaffSession, str]]:
    """Every live session of a member organisation's staff with the username, newest first."""
    rows = db.session.execute(
        select(StaffSession, StaffUser.username).join(StaffUser,
                                                      StaffUser.id == StaffSession.user_id)
        .where(StaffUser.member_id == member_id)
        .order_by(StaffUser.username, StaffSession.created_at.desc())).all()
    return [(row, name) for row, name in rows if not expired(row, now)]


def purge(now: dt.datetime) -> None:
    """Delete rows past either limit (their cookies are refused anyway) and forget their
    unlocked keys; no commit."""
    idle, lifetime = _limits()
    rows = db.session.scalars(select(StaffSession).where(
        (StaffSession.created_at <= now - lifetime) | (StaffSession.last_seen <= now - idle)))
    for row in rows:
        _forget_key(row.vault_handle)
        db.session.delete(row)
