"""Anonymous tips. Every column holding what a person wrote is ciphertext.

In clear: the tip's id, the kinds ticked (checkbox codes), status, assignee, whether a reply is
unread, and times coarsened to the hour. Everything else is sealed: the tip body (with the
language it was written in), photos and messages under the tip's own data key (itself sealed
to the organisation's public key and, separately, to a key derived from the receipt); internal
notes sealed to the organisation's key only.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from webapp.extensions import db

STATUSES = ("received", "in_review", "referred", "closed")
KINDS = ("labour", "sexual", "domestic", "criminality", "child", "other")


class OrgKey(db.Model):  # type: ignore[name-defined,misc]
    """The organisation's X25519 key pair; the private half only sealed under the passphrase."""

    __tablename__ = "org_key"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The member organisation whose key this is; 1 is the original organisation.
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), default=1,
                                           server_default=text("1"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    sealed_private: Mapped[bytes] = mapped_column(LargeBinary)
    kdf_salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    kdf_ops: Mapped[int] = mapped_column(Integer)
    kdf_mem: Mapped[int] = mapped_column(Integer)
    created_hour: Mapped[dt.datetime] = mapped_column(DateTime)


class Tip(db.Model):  # type: ignore[name-defined,misc]
    """One tip. `body` is SecretBox(data key) of the JSON the tipster wrote."""

    __tablename__ = "tip"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(5), index=True)  # first digits of the receipt
    receipt_salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    receipt_check: Mapped[bytes] = mapped_column(LargeBinary(32))  # hash of Argon2id output
    key_for_org: Mapped[bytes] = mapped_column(LargeBinary)  # SealedBox(org) of the data key
    key_for_receipt: Mapped[bytes] = mapped_column(LargeBinary)  # SecretBox(receipt key)
    org_key_id: Mapped[int] = mapped_column(ForeignKey("org_key.id"))
    # The member organisation the tip was sent to; only its staff see it.
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), default=1,
                                           server_default=text("1"), index=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    kinds: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default="received")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    created_hour: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    updated_hour: Mapped[dt.datetime] = mapped_column(DateTime)
    first_response_hour: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # The tipster wrote since staff last opened the tip (a workflow flag, in clear).
    unread: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    photos: Mapped[list[TipPhoto]] = relationship(back_populates="tip", order_by="TipPhoto.seq",
                                                  cascade="all, delete-orphan")
    messages: Mapped[list[TipMessage]] = relationship(
        back_populates="tip", order_by="TipMessage.seq", cascade="all, delete-orphan")
    notes: Mapped[list[TipNote]] = relationship(back_populates="tip", order_by="TipNote.seq",
                                                cascade="all, delete-orphan")

    def kind_list(self) -> list[str]:
        """The kinds ticked, as codes."""
        return [k for k in self.kinds.split(",") if k]


class TipPhoto(db.Model):  # type: ignore[name-defined,misc]
    """A re-encoded photo (no metadata), SecretBox(data key) of its bytes."""

    __tablename__ = "tip_photo"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tip_id: Mapped[str] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    message_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    tip: Mapped[Tip] = relationship(back_populates="photos")


class TipMessage(db.Model):  # type: ignore[name-defined,misc]
    """One message of the thread between staff and tipster, SecretBox(data key)."""

    __tablename__ = "tip_message"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tip_id: Mapped[str] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(10))  # system, tipster, staff
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_hour: Mapped[dt.datetime] = mapped_column(DateTime)
    tip: Mapped[Tip] = relationship(back_populates="messages")


class TipNote(db.Model):  # type: ignore[name-defined,misc]
    """An internal staff note, sealed to the organisation's key only (the tipster never sees it)."""

    __tablename__ = "tip_note"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tip_id: Mapped[str] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_hour: Mapped[dt.datetime] = mapped_column(DateTime)
    tip: Mapped[Tip] = relationship(back_populates="notes")


class IdempotencyKey(db.Model):  # type: ignore[name-defined,misc]
    """A form's one-time key (hashed) -> the tip it made, and that tip's receipt sealed under a
    key only the sender holds, so a resend can show the same receipt page."""

    __tablename__ = "tip_idempotency"
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    tip_id: Mapped[str] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"))
    sealed_receipt: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_hour: Mapped[dt.datetime] = mapped_column(DateTime)


Index("ix_tip_status_created", Tip.status, Tip.created_hour)
