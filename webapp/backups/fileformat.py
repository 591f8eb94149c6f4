"""The backup file: a plain header, then the database as compressed JSON lines in an
authenticated stream.

    HAVEN-BACKUP\\n | u32 header length | header JSON | secretstream header (24 bytes)
    | u32 length | chunk | u32 length | chunk ... (the last chunk carries TAG_FINAL)

The stream is libsodium's crypto_secretstream (XChaCha20-Poly1305) under a key derived by
Argon2id from the backup passphrase; the header's bytes are the first chunk's additional data,
so a changed header, a reordered, removed or changed chunk, and a file cut short are all
refused. The header says the format version, the schema revision and the KDF settings, and
carries a short check value of the key so a wrong passphrase is named as such.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import struct
import zlib
from collections.abc import Iterator
from typing import IO, Any

from nacl import bindings as sodium
from nacl import pwhash, utils
from nacl.exceptions import CryptoError

MAGIC = b"HAVEN-BACKUP\n"
FORMAT = 1
CHUNK = 1 << 16
MAX_HEADER = 1 << 16
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
HEADERBYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
KDF = {"moderate": (pwhash.argon2id.OPSLIMIT_MODERATE, pwhash.argon2id.MEMLIMIT_MODERATE),
       "interactive": (pwhash.argon2id.OPSLIMIT_INTERACTIVE,
                       pwhash.argon2id.MEMLIMIT_INTERACTIVE)}


class BackupError(Exception):
    """A backup that cannot be used; the message says why, for the command line."""


class WrongPassphrase(BackupError):
    """The passphrase does not open this backup."""


def _derive(passphrase: str, salt: bytes, ops: int, mem: int) -> bytes:
    return bytes(pwhash.argon2id.kdf(32, passphrase.encode(), salt, opslimit=ops,
                                     memlimit=mem))


def _check_value(key: bytes) -> str:
    digest = hashlib.blake2b(key, digest_size=16, person=b"haven-backup-chk").digest()
    return base64.b64encode(digest).decode()


class Writer:
    """Compress, encrypt and write JSON lines; `close()` writes the final chunk."""

    def __init__(self, out: IO[bytes], passphrase: str, meta: dict[str, Any],
                 strength: str = "moderate") -> None:
        ops, mem = KDF[strength]
        salt = utils.random(pwhash.argon2id.SALTBYTES)
        key = _derive(passphrase, salt, ops, mem)
        header = {"format": FORMAT, "app": "haven", **meta,
                  "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "cipher": "xchacha20poly1305-secretstream", "compression": "zlib",
                  "kdf": {"alg": "argon2id13", "ops": ops, "mem": mem,
                          "salt": base64.b64encode(salt).decode()},
                  "check": _check_value(key)}
        raw = json.dumps(header, sort_keys=True).encode()
        self.header = header
        self._ad: bytes | None = MAGIC + struct.pack(">I", len(raw)) + raw
        self._out = out
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        out.write(self._ad)
        out.write(sodium.crypto_secretstream_xchacha20poly1305_init_push(self._state, key))
        self._zip = zlib.compressobj(6)
        self._pending = bytearray()

    def line(self, obj: Any) -> None:
        """Add one JSON value as a line."""
        self._pending += self._zip.compress(json.dumps(obj, separators=(",", ":"),
                                                       ensure_ascii=False).encode() + b"\n")
        while len(self._pending) >= CHUNK:
            self._push(bytes(self._pending[:CHUNK]), 0)
            del self._pending[:CHUNK]

    def _push(self, data: bytes, tag: int) -> None:
        sealed = sodium.crypto_secretstream_xchacha20poly1305_push(self._state, data, self._ad,
                                                                   tag)
        self._ad = None
        self._out.write(struct.pack(">I", len(sealed)) + sealed)

    def close(self) -> None:
        """Flush and seal the last chunk (TAG_FINAL): without it a reader refuses the file."""
        self._pending += self._zip.flush()
        while len(self._pending) > CHUNK:
            self._push(bytes(self._pending[:CHUNK]), 0)
            del self._pending[:CHUNK]
        self._push(bytes(self._pending), TAG_FINAL)


def read_header(src: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    """The header (as a dict) and its raw bytes; BackupError when this is no Haven backup."""
    if src.read(len(MAGIC)) != MAGIC:
        raise BackupError("this is not a Haven backup file")
    size_raw = src.read(4)
    if len(size_raw) != 4 or struct.unpack(">I", size_raw)[0] > MAX_HEADER:
        raise BackupError("the backup's header is damaged")
    raw = src.read(struct.unpack(">I", size_raw)[0])
    try:
        header = json.loads(raw)
        kdf = header["kdf"]
        int(kdf["ops"]), int(kdf["mem"]), base64.b64decode(kdf["salt"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError("the backup's header is damaged") from exc
    if header.get("format") != FORMAT:
        raise BackupError(f"backup format {header.get('format')!r} is not one this version of "
                          f"Haven reads (it reads format {FORMAT})")
    return header, MAGIC + size_raw + raw


def lines(src: IO[bytes], passphrase: str) -> tuple[dict[str, Any], Iterator[Any]]:
    """Open a backup: its header, and an iterator over its JSON lines that raises BackupError
    at the first chunk that fails authentication and when the file ends early."""
    header, ad = read_header(src)
    kdf = header["kdf"]
    ops, mem = int(kdf["ops"]), int(kdf["mem"])
    if ops > pwhash.argon2id.OPSLIMIT_SENSITIVE or mem > pwhash.argon2id.MEMLIMIT_SENSITIVE:
        raise BackupError("the backup's header asks for an unreasonable key derivation")
    key = _derive(passphrase, base64.b64decode(kdf["salt"]), ops, mem)
    if not hmac.compare_digest(_check_value(key), str(header.get("check", ""))):
        raise WrongPassphrase("that passphrase does not open this backup")
    stream_header = src.read(HEADERBYTES)
    if len(stream_header) != HEADERBYTES:
        raise BackupError("the backup file is cut short")
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, stream_header, key)
    return header, _lines(src, state, ad)


def _chunks(src: IO[bytes], state: Any, ad: bytes | None) -> Iterator[bytes]:

    while True:
        size_raw = src.read(4)
        if len(size_raw) != 4:
            raise BackupError("the backup file is cut short (it has no end mark)")
        size = struct.unpack(">I", size_raw)[0]
        sealed = src.read(size)
        if size > CHUNK + ABYTES + 1024 or len(sealed) != size:
            raise BackupError("the backup file is cut short or damaged")
        try:
            data, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, sealed, ad)
        except CryptoError as exc:
            raise BackupError("the backup file was changed or damaged (authentication "
                              "failed); nothing was restored from it") from exc
        ad = None
        yield data
        if tag == TAG_FINAL:
            if src.read(1):
                raise BackupError("the backup file has data after its end mark")
            return


def _lines(src: IO[bytes], state: Any, ad: bytes) -> Iterator[Any]:
    unzip = zlib.decompressobj()
    rest = b""
    for chunk in _chunks(src, state, ad):
        try:
            rest += unzip.decompress(chunk)
        except zlib.error as exc:
            raise BackupError("the backup's content is damaged") from exc
        *whole, rest = rest.split(b"\n")
        for line in whole:
            yield json.loads(line)
    if rest or not unzip.eof:
        raise BackupError("the backup's content is incomplete")
