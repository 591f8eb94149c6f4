"""Unlocked organisation keys, shared by every worker and instance without one party alone
holding the key.

Unlocking wraps the private key under a fresh random key that lives only in the staff member's
session cookie; the wrapped blob goes to the shared state (memory or Redis) with the unlock
TTL, under the hash of a random handle. The store alone cannot open the blob, the cookie alone
holds no key material of the organisation, and a stolen cookie dies with the TTL, a lock or a
logout (each deletes the blob).
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey

from webapp import state
from webapp.tips import crypto


def _store_key(handle: str) -> str:
    return "unlock:" + hashlib.blake2b(handle.encode(), digest_size=16,
                                       person=b"haven-unlock-key").hexdigest()


def _split(token: str | None) -> tuple[str, bytes] | None:
    handle, _, wrap = (token or "").partition(".")
    try:
        key = base64.urlsafe_b64decode(wrap.encode())
    except ValueError:
        return None
    return (handle, key) if handle and len(key) == 32 else None


def put(keys: crypto.Keyring, ttl: float) -> str:
    """Hold the unlocked keys (newest first) for ttl seconds; returns the token the staff
    session keeps to use them."""
    handle = secrets.token_urlsafe(18)
    wrap = crypto.new_data_key()
    state.current().put(_store_key(handle), crypto.seal(wrap, b"".join(bytes(k) for k in keys)),
                        ttl)
    return handle + "." + base64.urlsafe_b64encode(wrap).decode()


def get(token: str | None) -> list[PrivateKey]:
    """The keys for a session's token, or crypto.LockedError when absent, expired or locked."""
    parts = _split(token)
    if parts is None:
        raise crypto.LockedError
    blob = state.current().get(_store_key(parts[0]))
    if blob is None:
        raise crypto.LockedError
    try:
        raw = crypto.unseal(parts[1], blob)
    except CryptoError as exc:
        raise crypto.LockedError from exc
    size = PrivateKey.SIZE
    return [PrivateKey(raw[i:i + size]) for i in range(0, len(raw), size)]


def drop(token: str | None) -> None:
    """Forget a key now (lock, log out), for every worker and instance."""
    parts = _split(token)
    if parts is not None:
        state.current().delete(_store_key(parts[0]))
