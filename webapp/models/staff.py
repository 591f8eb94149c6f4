"""Staff accounts and the audit log (who did what, when; never tip content)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.directory import HsdsId

ROLES = ("admin", "reviewer", "editor", "org-editor")
TIP_ROLES = ("admin", "reviewer")  # who may read tips
EDIT_ROLES = ("admin", "editor", "org-editor")  # who may edit listings (org-editor: their own)


class StaffUser(db.Model):  # type: ignore[name-defined,misc]
    """A staff account: Argon2id password hash and a TOTP secret (encrypted with the app key)."""

    __tablename__ = "staff_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[bytes] = mapped_column(LargeBinary)
    role: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_totp_step: Mapped[int] = mapped_column(Integer, default=0)  # no code is used twice
    organization_id: Mapped[str | None] = mapped_column(HsdsId(), nullable=True)
    # The member organisation this person works for: its inbox and key only.
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), default=1,
                                           server_default=text("1"))


class StaffInvite(db.Model):  # type: ignore[name-defined,misc]
    """A one-time link to create an account. Only a hash of the token is kept.
    """

    __tablename__ = "staff_invite"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    organization_id: Mapped[str | None] = mapped_column(HsdsId(), nullable=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), default=1,
                                           server_default=text("1"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    used_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    # The authenticator secret the server chose for the invitee (sealed like StaffUser's):
    # the sign-up form only shows it, so nobody can enrol a secret of their own choosing.
    # Cleared when the link is spent.
    pending_secret: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    """One staff action."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    tip_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail: Mapped[str] = mapped_column(String(200), default="")  # codes only, never content
    # Whose log this is: each member organisation's admins read their own.
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), default=1,
                                           server_default=text("1"), index=True)


class StaffSession(db.Model):  # type: ignore[name-defined,misc]
    """A signed-in browser. The cookie holds a random id; only its hash is kept here, so a
    copy of the database opens no session. Neither address nor browser is stored."""

    __tablename__ = "staff_session"
    # Numbers are never reused: an "end this session" button on a page loaded earlier must not
    # end a newer session that took the number of the one it meant.
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # sign-in: the absolute limit
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime)  # the idle limit
    totp_at: Mapped[dt.datetime] = mapped_column(DateTime)  # last code typed in this session
    # The handle of the unlocked key (never the key that opens it, which stays in the cookie),
    # so ending the session from elsewhere forgets the key too.
    vault_handle: Mapped[str | None] = mapped_column(String(40), nullable=True)
