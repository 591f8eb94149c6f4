"""libsodium constructions for tips (PyNaCl).

- The organisation has an X25519 key pair. Its private key is stored only inside a SecretBox
  whose key is Argon2id(passphrase); unlocking keeps it, wrapped, in the shared state for a
  while (staff/vault.py).
- Each tip has a random 32-byte data key. Tip body, photos and thread messages are SecretBox'd
  with it. The data key is stored twice: SealedBox'd to the organisation's public key, and
  SecretBox'd under a key derived from the receipt.
- The receipt is 16 digits. One Argon2id run over it (salted per tip) gives 64 bytes: the first
  half is hashed and stored as the check value, the second half is the receipt key. Neither the
  receipt nor the receipt key is stored. The first 5 digits pick a bucket so a check costs one
  Argon2id run instead of one per tip; the other 11 digits stay secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from nacl import pwhash, utils
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox

from webapp.digits import only_digits

RECEIPT_DIGITS = 16
BUCKET_DIGITS = 5

# Argon2id strengths. Receipts: OWASP's minimum (19 MiB, t=2) keeps a tip under ~30 ms of CPU;
# the passphrase guarding the private key gets libsodium's MODERATE (256 MiB).
RECEIPT_OPS, RECEIPT_MEM = 2, 19 * 1024 * 1024
PASSPHRASE_OPS = pwhash.argon2id.OPSLIMIT_MODERATE
PASSPHRASE_MEM = pwhash.argon2id.MEMLIMIT_MODERATE


class LockedError(Exception):
    """Tip content was asked for while the organisation key is locked."""


class WrongPassphrase(Exception):
    """The passphrase does not open the organisation key."""


def new_receipt() -> str:
    """16 random digits (first digit may be 0)."""
    return "".join(secrets.choice("0123456789") for _ in range(RECEIPT_DIGITS))


def normalise_receipt(typed: str) -> str | None:
    """Digits only, exactly 16 of them, in any script (an Arabic or Persian keyboard types
    ١٠٤٨ or ۱۰۴۸); spaces and dashes people type are ignored."""
    typed_digits = only_digits(typed)
    return typed_digits if len(typed_digits) == RECEIPT_DIGITS and len(typed) < 64 else None


def group_receipt(receipt: str) -> str:
    """'1234 5678 9012 3456' — easier to copy by hand."""
    return " ".join(receipt[i:i + 4] for i in range(0, len(receipt), 4))


@dataclass(frozen=True)
class ReceiptKeys:
    """What one Argon2id run over a receipt yields."""

    check: bytes  # stored
    key: bytes  # never stored


def receipt_keys(receipt: str, salt: bytes, ops: int = RECEIPT_OPS,
                 mem: int = RECEIPT_MEM) -> ReceiptKeys:
    """Argon2id(receipt, salt) -> (check value to store, receipt key to keep in memory)."""
    raw = pwhash.argon2id.kdf(64, receipt.encode(), salt, opslimit=ops, memlimit=mem)
    return ReceiptKeys(check=hashlib.blake2b(raw[:32], digest_size=32).digest(), key=raw[32:])


def check_matches(keys: ReceiptKeys, stored: bytes) -> bool:
    """Constant-time comparison of a fresh check value with the stored one."""
    return hmac.compare_digest(keys.check, stored)


def new_salt() -> bytes:
    """A fresh Argon2id salt."""
    return utils.random(pwhash.argon2id.SALTBYTES)


def new_data_key() -> bytes:
    """A fresh SecretBox key for one tip."""
    return utils.random(SecretBox.KEY_SIZE)


def seal(key: bytes, plaintext: bytes) -> bytes:
    """SecretBox (XSalsa20-Poly1305) with a random nonce."""
    return bytes(SecretBox(key).encrypt(plaintext))


def unseal(key: bytes, ciphertext: bytes) -> bytes:
    """Open a SecretBox; raises CryptoError when the key is wrong or the bytes were changed."""
    return bytes(SecretBox(key).decrypt(ciphertext))


def seal_to(public_key: bytes, plaintext: bytes) -> bytes:
    """An anonymous SealedBox only the holder of the private key can open."""
    return bytes(SealedBox(PublicKey(public_key)).encrypt(plaintext))


# The organisation's unlocked private keys, newest first: after `keys init --rotate`, tips
# sealed before stay readable with the key they were sealed to.
Keyring = Sequence[PrivateKey]


def open_sealed(keys: PrivateKey | Keyring, ciphertext: bytes) -> bytes:
    """Open a SealedBox with the (unlocked) organisation key, or the first key of a keyring
    that opens it; CryptoError when none does."""
    for key in [keys] if isinstance(keys, PrivateKey) else keys:
        try:
            return bytes(SealedBox(key).decrypt(ciphertext))
        except CryptoError:
            continue
    raise CryptoError("none of the unlocked keys opens this")


@dataclass(frozen=True)
class NewOrgKey:
    """A freshly generated organisation key, ready to store."""

    public_key: bytes
    sealed_private: bytes
    salt: bytes
    ops: int
    mem: int


def make_org_key(passphrase: str, ops: int = PASSPHRASE_OPS,
                 mem: int = PASSPHRASE_MEM) -> NewOrgKey:
    """Generate the key pair; wrap the private key under Argon2id(passphrase)."""
    sk = PrivateKey.generate()
    salt = new_salt()
    wrap = pwhash.argon2id.kdf(SecretBox.KEY_SIZE, passphrase.encode(), salt, opslimit=ops,
                               memlimit=mem)
    return NewOrgKey(bytes(sk.public_key), seal(wrap, bytes(sk)), salt, ops, mem)


def open_org_key(passphrase: str, sealed_private: bytes, salt: bytes, ops: int,
                 mem: int) -> PrivateKey:
    """Unwrap the private key, or raise WrongPassphrase."""
    wrap = pwhash.argon2id.kdf(SecretBox.KEY_SIZE, passphrase.encode(), salt, opslimit=ops,
                               memlimit=mem)
    try:
        return PrivateKey(unseal(wrap, sealed_private))
    except CryptoError as exc:
        raise WrongPassphrase from exc
