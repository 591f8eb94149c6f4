"""Making, reading and moving referrals. Never touches the request: routes pass values in.

A referral carries only the fields staff chose (and the photos, if they said so), re-sealed
under a fresh data key. That key is sealed to the partner's public key (the partner reads the
referral with its own passphrase) and to the referring member's (it can see what it sent). The
status changes are codes both sides see; each side's notes are sealed to its own key only.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from nacl.exceptions import CryptoError
from sqlalchemy import or_, select

from webapp import clock
from webapp.coalition import services as members
from webapp.extensions import db
from webapp.models import Member, Referral, ReferralEvent, ReferralNote, ReferralPhoto
from webapp.models.coalition import (
    CONSENTS,
    LAW_ENFORCEMENT_CONSENTS,
    REFERRAL_FIELDS,
    REFERRAL_STATUSES,
)
from webapp.tips import crypto
from webapp.tips.services import Thread

PARTNER_MOVES = ("accepted", "in_progress", "declined", "closed")  # what the partner may set
SENDER_MOVES = ("closed",)


def moves_for(which: str | None) -> tuple[str, ...]:
    """The statuses one side may set: the partner moves a referral along, the sender only
    closes it, anyone else nothing."""
    return PARTNER_MOVES if which == "partner" else SENDER_MOVES if which else ()


class ReferralError(ValueError):
    """A referral cannot be made or moved; `code` says why (the route words it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def refer(thread: Thread, from_member: int, to_member: Member, fields: list[str],
          with_photos: bool, reason: str, consent: str, staff_id: int | None,
          at: dt.datetime | None = None) -> Referral:
    """Re-seal the chosen parts of an opened tip to a partner; commit. ReferralError when the
    partner, fields or consent do not allow it."""
    if to_member.id == from_member:
        raise ReferralError("self")
    if consent not in CONSENTS:
        raise ReferralError("consent")
    if to_member.kind == "law-enforcement" and consent not in LAW_ENFORCEMENT_CONSENTS:
        raise ReferralError("law_enforcement_consent")
    chosen = [f for f in REFERRAL_FIELDS if f in fields and thread.content.get(f)]
    photos = [p for p in thread.tip.photos] if with_photos else []
    if not chosen and not photos:
        raise ReferralError("nothing")
    partner_key = members.current_key(to_member.id)
    sender_key = members.current_key(from_member)
    if partner_key is None or sender_key is None:
        raise ReferralError("no_key")
    at = at or clock.now()
    data_key = crypto.new_data_key()
    body = {"fields": {f: thread.content[f] for f in chosen}, "reason": reason,
            "language": thread.content.get("language", "")}
    ref = Referral(
        id=secrets.token_hex(16), tip_id=thread.tip.id, from_member_id=from_member,
        to_member_id=to_member.id, to_key_id=partner_key.id, from_key_id=sender_key.id,
        key_for_partner=crypto.seal_to(partner_key.public_key, data_key),
        key_for_sender=crypto.seal_to(sender_key.public_key, data_key),
        body=crypto.seal(data_key, json.dumps(body, ensure_ascii=False).encode()),
        fields=",".join(chosen), with_photos=bool(photos), consent=consent, status="sent",
        created_by=staff_id, created_at=at, updated_at=at)
    for i, p in enumerate(photos):
        plain = crypto.unseal(thread.data_key, p.data)  # "media type\nbytes", as tips keep it
        ref.photos.append(ReferralPhoto(id=secrets.token_hex(16), seq=i,
                                        data=crypto.seal(data_key, plain)))
    ref.events.append(ReferralEvent(member_id=from_member, status="sent", at=at))
    db.session.add(ref)
    thread.tip.status = "referred"
    db.session.commit()
    return ref


def side(ref: Referral, member_id: int) -> str | None:
    """'partner', 'sender', or None when this member is neither (then: 403)."""
    if ref.to_member_id == member_id:
        return "partner"
    if ref.from_member_id == member_id:
        return "sender"
    return None


@dataclass
class Opened:
    """A referral's content opened with one side's keys."""

    fields: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    language: str = ""
    data_key: bytes = b""


def open_referral(ref: Referral, which: str, keys: crypto.Keyring) -> Opened:
    """Decrypt with the partner's or the sender's keys (CryptoError: not the right keys)."""
    sealed = ref.key_for_partner if which == "partner" else ref.key_for_sender
    data_key = crypto.open_sealed(keys, sealed)
    body: dict[str, Any] = json.loads(crypto.unseal(data_key, ref.body))
    return Opened(body.get("fields", {}), body.get("reason", ""), body.get("language", ""),
                  data_key)


def photo(ref: Referral, opened: Opened, photo_id: str) -> tuple[bytes, str] | None:
    """(bytes, media type) of one referred photo."""
    for p in ref.photos:
        if p.id == photo_id:
            media, _, data = crypto.unseal(opened.data_key, p.data).partition(b"\n")
            return data, media.decode()
    return None


def move(ref: Referral, member_id: int, status: str, at: dt.datetime | None = None) -> None:
    """A status change by one side (the partner moves it along; either side closes); commit."""
    which = side(ref, member_id)
    if status not in moves_for(which) or status not in REFERRAL_STATUSES:
        raise ReferralError("status")
    if ref.status == "closed":
        raise ReferralError("closed")
    at = at or clock.now()
    ref.status = status
    ref.updated_at = at
    if status == "closed":
        ref.closed_by_member_id = member_id
    ref.events.append(ReferralEvent(member_id=member_id, status=status, at=at))
    db.session.commit()


def add_note(ref: Referral, member_id: int, staff_id: int | None, text: str) -> None:
    """A note only this side can read (sealed to its own current key); commit."""
    key = members.current_key(member_id)
    if key is None:
        raise ReferralError("no_key")
    ref.notes.append(ReferralNote(member_id=member_id, staff_id=staff_id,
                                  body=crypto.seal_to(key.public_key, text.encode()),
                                  at=clock.now()))
    db.session.commit()


def read_notes(ref: Referral, member_id: int,
               keys: crypto.Keyring) -> list[tuple[ReferralNote, str | None]]:
    """This side's notes, decrypted (None for one sealed to a key this unlock did not open)."""
    out: list[tuple[ReferralNote, str | None]] = []
    for n in ref.notes:
        if n.member_id != member_id:
            continue  # the other side's notes are never shown, not even as ciphertext
        try:
            out.append((n, crypto.open_sealed(keys, n.body).decode()))
        except CryptoError:
            out.append((n, None))
    return out


def for_member(member_id: int, limit: int = 200) -> tuple[list[Referral], list[Referral]]:
    """(received, sent) referrals of a member, newest first."""
    rows = db.session.scalars(select(Referral).where(or_(
        Referral.to_member_id == member_id, Referral.from_member_id == member_id))
        .order_by(Referral.updated_at.desc(), Referral.id).limit(limit)).all()
    return ([r for r in rows if r.to_member_id == member_id],
            [r for r in rows if r.from_member_id == member_id])


def of_tip(tip_id: str) -> list[Referral]:
    """The referrals made from one tip."""
    return list(db.session.scalars(select(Referral).where(Referral.tip_id == tip_id)
                                   .order_by(Referral.created_at)))
