"""Which tip a person may open, and with which keys: shared by the inbox and referrals."""

from __future__ import annotations

from flask import abort, session
from nacl.exceptions import CryptoError

from webapp.extensions import db
from webapp.models import Tip
from webapp.staff import auth, vault
from webapp.tips import crypto, services


def unlocked_key() -> crypto.Keyring | None:
    """The organisation's keys if this session unlocked them and they have not expired."""
    try:
        return vault.get(session.get("vault"))
    except crypto.LockedError:
        return None


def readable(tip: Tip, key: crypto.Keyring) -> services.Thread | None:
    """The tip opened, or None when it was sealed to an older key this unlock did not open
    (rotated under another passphrase): shown as locked, never an error page."""
    try:
        return services.open_for_staff(tip, key)
    except CryptoError:
        return None


def member_tip(tip_id: str) -> Tip:
    """The tip, or 404; 403 when it was sent to another member organisation."""
    tip = db.session.get(Tip, tip_id[:32])
    if tip is None:
        abort(404)
    if tip.member_id != auth.member_id():
        abort(403)
    return tip


def _need_key() -> crypto.Keyring:
    key = unlocked_key()
    if key is None:
        abort(403)
    return key


def opened_tip(tip: Tip) -> services.Thread:
    """The tip opened with this session's keys, or 403 (locked, or an older key not unlocked)."""
    thread = readable(tip, _need_key())
    if thread is None:
        abort(403)
    return thread
