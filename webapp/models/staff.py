"""Staff accounts and the audit log (who did what, when; never tip content)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db

ROLES = ("admin", "reviewer")


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


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    """One staff action."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    tip_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail: Mapped[str] = mapped_column(String(200), default="")  # codes only, never content
