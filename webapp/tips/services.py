"""Storing and reading tips. Never touches the request: routes pass plain values in."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from nacl.exceptions import CryptoError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from webapp import clock
from webapp.coalition import services as members
from webapp.extensions import db
from webapp.models import IdempotencyKey, OrgKey, Tip, TipMessage, TipNote, TipPhoto
from webapp.tips import crypto

MAX_PHOTOS_PER_TIP = 10
ACK = b"\x00ack"  # the automatic acknowledgement, rendered in the reader's language
IDEMPOTENCY_KEEP = dt.timedelta(hours=24)


class NoOrgKey(Exception):
    """Tips cannot be accepted: no organisation key exists yet (`flask keys init`)."""


def can_receive(member_ids: list[int]) -> bool:
    """Whether a tip can be sealed now: to one of these members, or to the hub when none."""
    asked: list[int | None] = list(member_ids) or [None]
    for member_id in asked:
        try:
            current_org_key(member_id)
        except NoOrgKey:
            continue
        return True
    return False


def current_org_key(member_id: int | None = None) -> OrgKey:
    """The newest key of a member organisation (by default the hub), or NoOrgKey."""
    if member_id is None:
        hub = members.hub()
        if hub is None:
            raise NoOrgKey
        member_id = hub.id
    key = members.current_key(member_id)
    if key is None:
        raise NoOrgKey
    return key


def _idem_hash(key: str) -> bytes:
    return hashlib.sha256(b"haven-idempotency\x00" + key.encode()).digest()


def _idem_secret(key: str) -> bytes:
    """A key only the sender holds (the idempotency key itself is stored only hashed)."""
    return hashlib.blake2b(key.encode(), digest_size=32, person=b"haven-idem-recpt").digest()


@dataclass
class Stored:
    """The outcome of a submission: the tip, its receipt, and whether this was a resend."""

    tip_id: str
    receipt: str
    replay: bool


def replayed(idempotency_key: str) -> Stored | None:
    """The earlier outcome for this form key, if it was already used."""
    row = db.session.get(IdempotencyKey, _idem_hash(idempotency_key))
    if row is None:
        return None
    receipt = ""
    if row.sealed_receipt:
        try:
            receipt = crypto.unseal(_idem_secret(idempotency_key), row.sealed_receipt).decode()
        except CryptoError:
            receipt = ""
    return Stored(row.tip_id, receipt, True)


def _photo_blob(data_key: bytes, media_type: str, data: bytes) -> bytes:
    return crypto.seal(data_key, media_type.encode() + b"\n" + data)


def create_tip(content: dict[str, Any], kinds: list[str], photos: list[tuple[bytes, str]],
               idempotency_key: str, now: dt.datetime | None = None,
               member_id: int | None = None) -> Stored:
    """Seal and store one tip exactly once per idempotency key, to the receiving member's key
    only (by default the hub's); commit before returning."""
    earlier = replayed(idempotency_key)
    if earlier is not None:
        return earlier
    org = current_org_key(member_id)
    at = clock.hour(now)
    receipt = crypto.new_receipt()
    salt = crypto.new_salt()
    keys = crypto.receipt_keys(receipt, salt)
    data_key = crypto.new_data_key()
    tip = Tip(
        id=secrets.token_hex(16), bucket=receipt[:crypto.BUCKET_DIGITS], receipt_salt=salt,
        receipt_check=keys.check, key_for_org=crypto.seal_to(org.public_key, data_key),
        key_for_receipt=crypto.seal(keys.key, data_key), org_key_id=org.id,
        member_id=org.member_id,
        body=crypto.seal(data_key, json.dumps(content, ensure_ascii=False).encode()),
        kinds=",".join(kinds), status="received", created_hour=at, updated_hour=at,
    )
    tip.photos = [TipPhoto(id=secrets.token_hex(16), seq=i, data=_photo_blob(data_key, t, b))
                  for i, (b, t) in enumerate(photos)]
    tip.messages = [TipMessage(seq=0, author="system", body=crypto.seal(data_key, ACK),
                               created_hour=at)]
    db.session.add(tip)
    try:
        db.session.flush()  # the tip row first: the key row refers to it
        db.session.add(IdempotencyKey(
            key_hash=_idem_hash(idempotency_key), tip_id=tip.id, created_hour=at,
            sealed_receipt=crypto.seal(_idem_secret(idempotency_key), receipt.encode())))
        db.session.commit()
    except IntegrityError:  # the same key, sent twice at the same moment: the other one won
        db.session.rollback()
        again = replayed(idempotency_key)
        if again is None:
            raise
        return again
    _forget_old_receipts(at)
    return Stored(tip.id, receipt, False)


def _forget_old_receipts(at: dt.datetime) -> None:
    """After a day a resend no longer needs to show the receipt: drop its sealed copy."""
    db.session.execute(update(IdempotencyKey)
                       .where(IdempotencyKey.created_hour < at - IDEMPOTENCY_KEEP,
                              IdempotencyKey.sealed_receipt.is_not(None))
                       .values(sealed_receipt=None))
    db.session.commit()


def receipt_matches(idempotency_key: str, typed: str) -> tuple[bool, str]:
    """Does the typed receipt match the one this form produced? Returns (match, receipt)."""
    stored = replayed(idempotency_key)
    if stored is None or not stored.receipt:
        return False, ""
    normal = crypto.normalise_receipt(typed)
    return normal == stored.receipt, stored.receipt


@dataclass
class Thread:
    """A tip opened with its receipt (or by staff): its data key and decrypted parts."""

    tip: Tip
    data_key: bytes
    content: dict[str, Any] = field(default_factory=dict)
    messages: list[tuple[TipMessage, str, list[str]]] = field(default_factory=list)

    def load(self) -> Thread:
        """Decrypt the body and every message (with the ids of photos sent with it)."""
        self.content = json.loads(crypto.unseal(self.data_key, self.tip.body))
        by_msg: dict[int | None, list[str]] = {}
        for p in self.tip.photos:
            by_msg.setdefault(p.message_seq, []).append(p.id)
        self.messages = []
        for m in self.tip.messages:
            raw = crypto.unseal(self.data_key, m.body)
            text = "" if raw == ACK else raw.decode()
            self.messages.append((m, text, by_msg.get(m.seq, [])))
        return self

    def initial_photos(self) -> list[str]:
        """Photos sent with the tip itself."""
        return [p.id for p in self.tip.photos if p.message_seq is None]

    def photo(self, photo_id: str) -> tuple[bytes, str] | None:
        """(bytes, media type) of one photo of this tip."""
        for p in self.tip.photos:
            if p.id == photo_id:
                media, _, data = crypto.unseal(self.data_key, p.data).partition(b"\n")
                return data, media.decode()
        return None


def open_with_receipt(typed: str) -> Thread | None:
    """The tip a receipt belongs to, or None. Costs one Argon2id run per tip in the bucket."""
    receipt = crypto.normalise_receipt(typed)
    if receipt is None:
        return None
    for tip in db.session.scalars(select(Tip).where(Tip.bucket == receipt[:crypto.BUCKET_DIGITS])):
        keys = crypto.receipt_keys(receipt, tip.receipt_salt)
        if crypto.check_matches(keys, tip.receipt_check):
            return Thread(tip, crypto.unseal(keys.key, tip.key_for_receipt)).load()
    return None


def open_for_staff(tip: Tip, private_key: crypto.Keyring) -> Thread:
    """Staff read a tip with the unlocked organisation keys (CryptoError: none of them is the
    key it was sealed to)."""
    return Thread(tip, crypto.open_sealed(private_key, tip.key_for_org)).load()


@dataclass
class Summary:
    """What the inbox shows of an unlocked tip: its language and the start of its text."""

    language: str
    preview: str


def summarise(tip: Tip, private_key: crypto.Keyring, length: int = 120) -> Summary:
    """The tip's language and a short preview, opening only its body (not the thread)."""
    content = json.loads(crypto.unseal(crypto.open_sealed(private_key, tip.key_for_org),
                                       tip.body))
    text = " ".join(str(content.get("what") or "").split())
    if len(text) > length:
        text = text[:length].rsplit(" ", 1)[0] + "…"
    return Summary(str(content.get("language") or ""), text)


def mark_read(tip: Tip) -> None:
    """Staff have seen the thread: clear the unread flag; commit."""
    if tip.unread:
        tip.unread = False
        db.session.commit()


def _next_seq(model: Any, tip_id: str) -> int:
    # coalesce gives -1 for a tip with no rows; a maximum of 0 is a real 0 (an "or -1" here
    # once numbered every message after the first 0 too, and showed a reply's photos under
    # every message).
    return int(db.session.scalar(select(func.coalesce(func.max(model.seq), -1))
                                 .where(model.tip_id == tip_id))) + 1


def add_message(thread: Thread, author: str, text: str, photos: list[tuple[bytes, str]],
                now: dt.datetime | None = None) -> None:
    """Append to the thread (tipster reply or staff message); commit."""
    tip = thread.tip
    at = clock.hour(now)
    seq = _next_seq(TipMessage, tip.id)
    db.session.add(TipMessage(tip_id=tip.id, seq=seq, author=author,
                              body=crypto.seal(thread.data_key, text.encode()), created_hour=at))
    base = _next_seq(TipPhoto, tip.id)
    for i, (data, media) in enumerate(photos):
        db.session.add(TipPhoto(id=secrets.token_hex(16), tip_id=tip.id, seq=base + i,
                                message_seq=seq, data=_photo_blob(thread.data_key, media, data)))
    tip.updated_hour = at
    if author == "staff" and tip.first_response_hour is None:
        tip.first_response_hour = at
    if author == "tipster":
        tip.unread = True
    db.session.commit()


def photo_room(tip: Tip) -> int:
    """How many more photos this tip may take."""
    return max(0, MAX_PHOTOS_PER_TIP - len(tip.photos))


def add_note(tip: Tip, staff_id: int, text: str, now: dt.datetime | None = None) -> None:
    """An internal note, sealed to the organisation key; commit."""
    org = db.session.get(OrgKey, tip.org_key_id) or current_org_key(tip.member_id)
    db.session.add(TipNote(tip_id=tip.id, seq=_next_seq(TipNote, tip.id), staff_id=staff_id,
                           body=crypto.seal_to(org.public_key, text.encode()),
                           created_hour=clock.hour(now)))
    db.session.commit()


def read_notes(tip: Tip, private_key: crypto.Keyring) -> list[tuple[TipNote, str]]:
    """Decrypted internal notes."""
    return [(n, crypto.open_sealed(private_key, n.body).decode()) for n in tip.notes]


def set_status(tip: Tip, status: str) -> None:
    """Move a tip along (received, in review, referred, closed); the caller commits it with
    its audit entry, so neither is stored without the other."""
    tip.status = status
    tip.updated_hour = clock.hour()


def assign(tip: Tip, assignee_id: int | None) -> None:
    """Give a tip to a colleague (None: to nobody); committed with its audit entry."""
    tip.assignee_id = assignee_id
