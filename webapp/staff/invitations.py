"""Invitations, the logic behind staff/invites.py's pages: a one-time link that expires in 7
days (only its hash is stored), the authenticator secret it enrols (chosen on the first view,
kept sealed with it), and the account it makes, once."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pyotp
from nacl.exceptions import CryptoError
from sqlalchemy import select, update

from webapp import clock
from webapp.extensions import db
from webapp.models import StaffInvite, StaffUser
from webapp.staff import auth
from webapp.tips import crypto

VALID_FOR = dt.timedelta(days=7)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(role: str, organization_id: str | None, by: StaffUser) -> str:
    """A new invitation, committed; returns the token for the link."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(StaffInvite(token_hash=_hash(token), role=role,
                               organization_id=organization_id, created_by=by.id,
                               member_id=by.member_id,
                               created_at=now, expires_at=now + VALID_FOR))
    db.session.commit()
    return token


def usable(token: str) -> StaffInvite | None:
    """The invitation this token opens, unless it is unknown, spent or expired."""
    invite = db.session.scalar(select(StaffInvite).where(
        StaffInvite.token_hash == _hash(token[:200])))
    if invite is None or invite.used_at is not None or invite.expires_at <= clock.now():
        return None
    return invite


def _unsealed(blob: bytes) -> str:
    # Sealed with the key StaffUser.totp_secret uses: a database copy alone does not reveal it.
    return crypto.unseal(auth._totp_box_key(), blob).decode()


def secret_for(invite: StaffInvite) -> str:
    """The authenticator secret this invitation enrols: chosen on the first view and kept
    (sealed, committed) with the invitation, so a reload shows the same key and the form
    only displays it, never chooses it."""
    held = invite.pending_secret
    if held is not None:
        try:
            return _unsealed(held)
        except CryptoError:
            pass  # SECRET_KEY changed since the first view: a new secret, shown on this page
    # Two first views at once: the first one's secret stays, the second reads it back.
    db.session.execute(update(StaffInvite).where(
        StaffInvite.id == invite.id,
        StaffInvite.pending_secret.is_(None) if held is None
        else StaffInvite.pending_secret == held)
        .values(pending_secret=auth.sealed_secret(pyotp.random_base32(32))))
    db.session.commit()
    db.session.refresh(invite)
    return _unsealed(invite.pending_secret or b"")


def name_taken(username: str) -> bool:
    return db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)) \
        is not None


def accept(invite: StaffInvite, username: str, password: str, secret: str) -> StaffUser | None:
    """The account this invitation makes, with the link spent, committed and audited; None
    (nothing written) when someone used the link a moment ago."""
    user, _secret = auth.create_user(username, password, invite.role, secret=secret,
                                     organization_id=invite.organization_id,
                                     member_id=invite.member_id, commit=False)
    spent = db.session.execute(update(StaffInvite).where(
        StaffInvite.id == invite.id, StaffInvite.used_at.is_(None))
        .values(used_at=clock.now(), used_by=user.id, pending_secret=None))
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return None
    db.session.commit()
    auth.audit("invite_used", detail=f"user={user.id} role={user.role}",
               member_id=invite.member_id)
    return user
