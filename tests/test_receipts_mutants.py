"""Receipts and the tip thread (webapp/tips/services.py), checked by what the tipster and staff get.

A tipster keeps one thing: the 16-digit receipt. It must open their tip however they type it
(Arabic-Indic, Persian, Devanagari or full-width digits, spaces, dashes), a resend of the
same form must show the same receipt and store nothing twice, and after a day the stored copy
of the receipt must be gone. Staff must read exactly what was sent. One app with a migrated
SQLite database serves the whole file (an organisation key made with a cheap Argon2 setting):
each test cleans the tip tables after itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from webapp import clock, create_app
from webapp.extensions import db
from webapp.models import IdempotencyKey, Member, OrgKey, Tip, TipMessage, TipNote, TipPhoto
from webapp.tips import crypto, services

settings.register_profile("receipts", deadline=None, max_examples=15,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
PROFILE = settings.get_profile("receipts")

NOW = dt.datetime(2026, 3, 2, 17, 42, 13, 5, tzinfo=dt.UTC)
HOUR = dt.datetime(2026, 3, 2, 17)
DIGIT_ZEROS = [0x30, 0x0660, 0x06F0, 0x0966, 0xFF10]
CONTENT = {"what": "Workers never leave the ورشة", "language": "ar"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """A migrated database with the hub's key pair and one staff account."""
    from flask_migrate import upgrade

    from webapp.staff import auth

    path = Path(tmp_path_factory.mktemp("receipts")) / "tips.db"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "SECRET_KEY": "test", "HAVEN_SEED_ON_START": False,
                      "HAVEN_COUNTRY": "US"})
    with app.app_context():
        upgrade()
        made = crypto.make_org_key("pass", ops=1, mem=8192)
        db.session.add(OrgKey(member_id=1, public_key=made.public_key,
                              sealed_private=made.sealed_private, kdf_salt=made.salt,
                              kdf_ops=made.ops, kdf_mem=made.mem, created_hour=HOUR))
        db.session.commit()
        auth.create_user("ada", "admin password 123", "admin")
        db.session.commit()
    app.config["PRIVATE"] = [crypto.open_org_key("pass", made.sealed_private, made.salt,
                                                 made.ops, made.mem)]
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context; the tips written inside are deleted afterwards."""
    with app.app_context():
        yield app
        db.session.rollback()
        for model in (TipNote, TipPhoto, TipMessage, IdempotencyKey, Tip):
            db.session.execute(delete(model))
        db.session.commit()


def in_script(text: str, zero: int) -> str:
    """ASCII digits rewritten in the script whose zero is this code point."""
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)


def tips() -> list[Tip]:
    return list(db.session.scalars(select(Tip)))


# hour --------------------------------------------------------------------------------------


def test_hour_keeps_only_the_hour_in_utc() -> None:
    """Tips keep times to the hour, naive UTC, whatever zone the clock was read in."""
    assert clock.hour(NOW) == HOUR
    fresno = NOW.astimezone(dt.timezone(dt.timedelta(hours=-8)))
    assert clock.hour(fresno) == HOUR
    now = clock.hour()
    assert now.tzinfo is None and (now.minute, now.second, now.microsecond) == (0, 0, 0)
    assert abs(dt.datetime.now(dt.UTC).replace(tzinfo=None) - now) < dt.timedelta(hours=1)


@pytest.mark.parametrize("zone", ["Etc/GMT+12", "Asia/Kathmandu"])
def test_hour_is_utc_whatever_the_server_zone(zone: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A server set to another zone still stores UTC hours (staff compare them across sites)."""
    import time

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        assert clock.hour(NOW) == HOUR
        now = clock.hour()
        utc = dt.datetime.now(dt.UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
        assert now in (utc, utc - dt.timedelta(hours=1))
    finally:
        monkeypatch.undo()
        time.tzset()


# creating a tip ----------------------------------------------------------------------------


def test_a_tip_is_stored_once_with_a_16_digit_receipt(ctx: Flask) -> None:
    """The stored row: sealed body, bucket, kinds, status, hour; the receipt opens it."""
    stored = services.create_tip(CONTENT, ["labour", "sexual"], [(b"JPEGDATA", "image/jpeg"),
                                                                 (b"PNGDATA", "image/png")],
                                 "form-key-1", now=NOW)
    assert stored.replay is False and len(stored.receipt) == 16 and stored.receipt.isdigit()
    [tip] = tips()
    assert tip.id == stored.tip_id and len(tip.id) == 32
    assert tip.bucket == stored.receipt[:5]
    assert (tip.kinds, tip.status, tip.member_id) == ("labour,sexual", "received", 1)
    assert (tip.created_hour, tip.updated_hour) == (HOUR, HOUR)
    assert tip.org_key_id == db.session.scalar(select(OrgKey.id))
    assert "ورشة".encode() not in tip.body and b"Workers" not in tip.body
    keys = crypto.receipt_keys(stored.receipt, tip.receipt_salt)
    assert crypto.check_matches(keys, tip.receipt_check)
    data_key = crypto.unseal(keys.key, tip.key_for_receipt)
    # Stored as UTF-8 text, not \\u escapes: the body is sealed, and smaller so.
    assert "ورشة".encode() in crypto.unseal(data_key, tip.body)
    assert json.loads(crypto.unseal(data_key, tip.body)) == CONTENT
    assert [(p.seq, p.message_seq) for p in tip.photos] == [(0, None), (1, None)]
    assert [len(p.id) for p in tip.photos] == [32, 32]
    assert [(m.seq, m.author, m.created_hour) for m in tip.messages] == [(0, "system", HOUR)]
    assert crypto.unseal(data_key, tip.messages[0].body) == services.ACK
    row = db.session.get(IdempotencyKey, hashlib.sha256(b"haven-idempotency\x00form-key-1")
                         .digest())
    assert row is not None and row.tip_id == tip.id and row.created_hour == HOUR
    assert b"form-key-1" not in row.key_hash


def test_the_same_form_sent_again_is_the_same_tip(ctx: Flask) -> None:
    """A resend (a retry on a bad connection) stores nothing and shows the same receipt."""
    first = services.create_tip(CONTENT, ["labour"], [], "form-key-2", now=NOW)
    again = services.create_tip({"what": "other"}, ["other"], [], "form-key-2", now=NOW)
    assert (again.tip_id, again.receipt, again.replay) == (first.tip_id, first.receipt, True)
    assert len(tips()) == 1
    assert services.replayed("form-key-3") is None


def test_two_sends_at_the_same_moment_store_one_tip(ctx: Flask,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """When the other request stored the key between our check and our write, its tip and
    receipt are the answer; nothing of ours stays."""
    first = services.create_tip(CONTENT, ["labour"], [], "form-key-4", now=NOW)
    real = services.replayed
    calls: list[str] = []

    def late(key: str) -> services.Stored | None:
        calls.append(key)
        return None if len(calls) == 1 else real(key)

    monkeypatch.setattr(services, "replayed", late)
    again = services.create_tip(CONTENT, ["labour"], [], "form-key-4", now=NOW)
    assert (again.tip_id, again.receipt, again.replay) == (first.tip_id, first.receipt, True)
    assert [t.id for t in tips()] == [first.tip_id]


def test_a_collision_without_an_earlier_tip_is_an_error(ctx: Flask,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """If the key's row vanished again, the write error is raised, not hidden."""
    services.create_tip(CONTENT, ["labour"], [], "form-key-5", now=NOW)
    monkeypatch.setattr(services, "replayed", lambda key: None)
    with pytest.raises(IntegrityError):
        services.create_tip(CONTENT, ["labour"], [], "form-key-5", now=NOW)


def test_no_key_no_tip(ctx: Flask) -> None:
    """Without an organisation key (or its hub) nothing is accepted."""
    with pytest.raises(services.NoOrgKey):
        services.create_tip(CONTENT, [], [], "form-key-6", now=NOW, member_id=999)
    ctx.config["HAVEN_HUB_ORG"], saved = "nobody", ctx.config["HAVEN_HUB_ORG"]
    try:
        with pytest.raises(services.NoOrgKey):
            services.current_org_key()
    finally:
        ctx.config["HAVEN_HUB_ORG"] = saved
    assert services.current_org_key().member_id == 1
    assert services.current_org_key(1).id == services.current_org_key().id
    assert tips() == []


def test_a_tip_goes_to_the_newest_key_of_the_chosen_member(ctx: Flask) -> None:
    """A second member with its own key receives the tips sent to it."""
    member = Member(slug="second", name="Second", kind="ngo", created_at=HOUR)
    db.session.add(member)
    db.session.flush()
    made = crypto.make_org_key("p2", ops=1, mem=8192)
    key = OrgKey(member_id=member.id, public_key=made.public_key,
                 sealed_private=made.sealed_private, kdf_salt=made.salt, kdf_ops=1,
                 kdf_mem=8192, created_hour=HOUR)
    db.session.add(key)
    db.session.commit()
    try:
        stored = services.create_tip(CONTENT, [], [], "form-key-7", now=NOW,
                                     member_id=member.id)
        tip = db.session.get(Tip, stored.tip_id)
        assert tip is not None and (tip.member_id, tip.org_key_id) == (member.id, key.id)
        private = crypto.open_org_key("p2", made.sealed_private, made.salt, 1, 8192)
        assert services.open_for_staff(tip, [private]).content == CONTENT
    finally:
        db.session.execute(delete(TipMessage))
        db.session.execute(delete(IdempotencyKey))
        db.session.execute(delete(Tip))
        db.session.delete(key)
        db.session.delete(member)
        db.session.commit()


# receipts ----------------------------------------------------------------------------------


@PROFILE
@given(st.sampled_from(DIGIT_ZEROS), st.sampled_from(["", " ", "-", " - "]))
def test_the_receipt_opens_the_tip_typed_in_any_script(ctx: Flask, zero: int,
                                                       sep: str) -> None:
    """Typed on an Arabic, Persian, Hindi or Japanese keyboard, grouped or not: it opens."""
    key = f"form-{zero}-{len(sep)}-{sep == '-'}"
    stored = services.create_tip(CONTENT, ["labour"], [], key, now=NOW)
    receipt = stored.receipt
    typed = in_script(sep.join(receipt[i:i + 4] for i in range(0, 16, 4)), zero)
    assert services.receipt_matches(key, typed) == (True, receipt)
    thread = services.open_with_receipt(typed)
    assert thread is not None and thread.tip.id == stored.tip_id
    assert thread.content == CONTENT


def test_a_wrong_receipt_opens_nothing(ctx: Flask) -> None:
    """One digit off, too short, too long, letters: nothing opens, and the match says no."""
    stored = services.create_tip(CONTENT, [], [], "form-key-8", now=NOW)
    r = stored.receipt
    wrong = r[:-1] + str((int(r[-1]) + 1) % 10)  # same bucket, other receipt
    assert services.receipt_matches("form-key-8", wrong) == (False, r)
    assert services.receipt_matches("form-key-8", r[:-1]) == (False, r)
    for typed in (wrong, r[:-1], r + "0", "", "not a receipt", " ".join(r) * 5):
        assert services.open_with_receipt(typed) is None
    assert services.receipt_matches("no-such-form", r) == (False, "")


def test_tips_sharing_a_bucket_each_open_with_their_own_receipt(
        ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two receipts with the same first five digits: each opens its own tip."""
    receipts = iter(["1234500000000001", "1234500000000002"])
    monkeypatch.setattr(crypto, "new_receipt", lambda: next(receipts))
    one = services.create_tip({"what": "one"}, [], [], "form-a", now=NOW)
    two = services.create_tip({"what": "two"}, [], [], "form-b", now=NOW)
    opened_two = services.open_with_receipt("1234500000000002")
    opened_one = services.open_with_receipt("1234500000000001")
    assert opened_two is not None and opened_two.tip.id == two.tip_id
    assert opened_one is not None and opened_one.tip.id == one.tip_id
    assert opened_two.content == {"what": "two"}


def test_the_stored_receipt_is_forgotten_after_a_day(ctx: Flask) -> None:
    """A resend within a day shows the receipt; a day later its sealed copy is gone."""
    old = services.create_tip(CONTENT, [], [], "form-old", now=NOW - dt.timedelta(hours=25))
    edge = services.create_tip(CONTENT, [], [], "form-edge", now=NOW - dt.timedelta(hours=24))
    services.create_tip(CONTENT, [], [], "form-new", now=NOW)
    assert services.replayed("form-old") == services.Stored(old.tip_id, "", True)
    assert services.replayed("form-edge") == services.Stored(edge.tip_id, edge.receipt, True)
    assert services.receipt_matches("form-old", old.receipt) == (False, "")
    # The tip itself still opens with the receipt the tipster kept.
    thread = services.open_with_receipt(old.receipt)
    assert thread is not None and thread.tip.id == old.tip_id


def test_a_damaged_sealed_receipt_reads_as_none(ctx: Flask) -> None:
    """A sealed copy that does not open is treated as absent, never as an error."""
    stored = services.create_tip(CONTENT, [], [], "form-damaged", now=NOW)
    row = db.session.get(IdempotencyKey, hashlib.sha256(b"haven-idempotency\x00form-damaged")
                         .digest())
    assert row is not None and row.sealed_receipt
    secret = hashlib.blake2b(b"form-damaged", digest_size=32,
                             person=b"haven-idem-recpt").digest()
    assert crypto.unseal(secret, row.sealed_receipt).decode() == stored.receipt
    row.sealed_receipt = row.sealed_receipt[:-1] + bytes([row.sealed_receipt[-1] ^ 1])
    db.session.commit()
    assert services.replayed("form-damaged") == services.Stored(stored.tip_id, "", True)


# the thread --------------------------------------------------------------------------------


def test_the_thread_shows_each_message_with_its_photos(ctx: Flask) -> None:
    """Tipster and staff messages in order, the acknowledgement as empty text, photos where
    they were sent; staff read the same thread with the organisation key."""
    stored = services.create_tip(CONTENT, [], [(b"first", "image/jpeg")], "form-t", now=NOW)
    thread = services.open_with_receipt(stored.receipt)
    assert thread is not None
    tip = thread.tip
    assert tip.unread is False
    later = NOW + dt.timedelta(hours=3)
    services.add_message(thread, "staff", "We can help. ما هو عنوانك؟", [], now=later)
    assert (tip.first_response_hour, tip.updated_hour, tip.unread) == (
        HOUR + dt.timedelta(hours=3), HOUR + dt.timedelta(hours=3), False)
    services.add_message(thread, "tipster", "Near the market", [(b"second\nline", "image/png"),
                                                                (b"third", "image/webp")],
                         now=later + dt.timedelta(hours=2))
    services.add_message(thread, "staff", "Thank you", [], now=later + dt.timedelta(hours=5))
    assert tip.first_response_hour == HOUR + dt.timedelta(hours=3)  # the first reply only
    assert tip.unread is True  # the tipster's message waits for staff
    db.session.expire_all()
    again = services.open_with_receipt(stored.receipt)
    assert again is not None
    assert [(m.author, text) for m, text, _ in again.messages] == [
        ("system", ""), ("staff", "We can help. ما هو عنوانك؟"), ("tipster", "Near the market"),
        ("staff", "Thank you")]
    assert [m.created_hour for m, _, _ in again.messages] == [
        HOUR, HOUR + dt.timedelta(hours=3), HOUR + dt.timedelta(hours=5),
        HOUR + dt.timedelta(hours=8)]
    [first] = again.initial_photos()
    assert again.photo(first) == (b"first", "image/jpeg")
    later = [p for p in again.tip.photos if p.message_seq is not None]
    sent_later = [p.id for p in later]
    assert sorted(again.photo(p) for p in sent_later) == [
        (b"second\nline", "image/png"), (b"third", "image/webp")]
    assert again.photo("no-such-photo") is None
    assert all(len(p) == 32 for p in sent_later)
    # Every photo of the tip has its own number, in the order sent.
    assert [(p.seq, again.photo(p.id)) for p in again.tip.photos] == [
        (0, (b"first", "image/jpeg")), (1, (b"second\nline", "image/png")),
        (2, (b"third", "image/webp"))]
    tipster_photos = next(ph for m, _, ph in again.messages if m.author == "tipster")
    assert sorted(tipster_photos) == sorted(sent_later) and first not in tipster_photos
    staff_view = services.open_for_staff(again.tip, ctx.config["PRIVATE"])
    assert staff_view.content == CONTENT
    assert [t for _, t, _ in staff_view.messages] == [t for _, t, _ in again.messages]
    assert services.photo_room(again.tip) == 7
    services.mark_read(again.tip)
    db.session.expire_all()
    assert db.session.get(Tip, stored.tip_id).unread is False  # type: ignore[union-attr]
    services.mark_read(again.tip)  # already read: nothing to do


def test_a_thread_without_photos_lists_none_for_each_message(ctx: Flask) -> None:
    """No photo anywhere: every message (and the tip itself) carries an empty list."""
    stored = services.create_tip(CONTENT, [], [], "form-np", now=NOW)
    thread = services.open_with_receipt(stored.receipt)
    assert thread is not None
    services.add_message(thread, "staff", "Hello", [], now=NOW)
    db.session.expire_all()
    again = services.open_with_receipt(stored.receipt)
    assert again is not None
    assert [photos for _, _, photos in again.messages] == [[], []]
    assert again.initial_photos() == []


def test_photo_room_never_goes_below_zero(ctx: Flask) -> None:
    """Ten photos at most; a tip that has them (or more) has no room left."""
    stored = services.create_tip(CONTENT, [], [(b"x", "image/png")] * 10, "form-full", now=NOW)
    tip = db.session.get(Tip, stored.tip_id)
    assert tip is not None and services.photo_room(tip) == 0
    tip.photos.append(TipPhoto(id="e" * 32, seq=10, data=b""))
    assert services.photo_room(tip) == 0
    assert services.MAX_PHOTOS_PER_TIP == 10


@pytest.mark.parametrize(("what", "length", "preview"), [
    ("  Workers   never\nleave  ", 120, "Workers never leave"),
    ("one two three four", 13, "one two…"),
    ("one two three four", 18, "one two three four"),
    ("one two three four", 17, "one two three…"),
    ("", 120, ""),
    (None, 120, ""),
])
def test_summary_shows_the_start_of_the_text(ctx: Flask, what: str | None, length: int,
                                             preview: str) -> None:
    """The inbox preview: whitespace collapsed, cut at a word with an ellipsis."""
    stored = services.create_tip({"what": what, "language": "fa"}, [], [], "form-s", now=NOW)
    tip = db.session.get(Tip, stored.tip_id)
    assert tip is not None
    assert services.summarise(tip, ctx.config["PRIVATE"], length) == services.Summary(
        "fa", preview)


def test_summary_defaults(ctx: Flask) -> None:
    """120 characters unless told; no language recorded reads as ''."""
    stored = services.create_tip({"what": "word " * 40}, [], [], "form-d", now=NOW)
    tip = db.session.get(Tip, stored.tip_id)
    assert tip is not None
    summary = services.summarise(tip, ctx.config["PRIVATE"])
    assert summary.language == ""
    assert summary.preview == ("word " * 24).strip() + "…"
    for what, preview in (("a" * 120, "a" * 120), ("a" * 121, "a" * 120 + "…")):
        stored = services.create_tip({"what": what}, [], [], f"form-d{len(what)}", now=NOW)
        tip = db.session.get(Tip, stored.tip_id)
        assert tip is not None
        assert services.summarise(tip, ctx.config["PRIVATE"]).preview == preview


def test_notes_are_sealed_to_the_organisation_and_read_back(ctx: Flask) -> None:
    """Staff notes: sealed to the key the tip was sealed to (not a newer one), in order,
    readable only with that key."""
    stored = services.create_tip(CONTENT, [], [], "form-n", now=NOW)
    tip = db.session.get(Tip, stored.tip_id)
    assert tip is not None
    made = crypto.make_org_key("rotated", ops=1, mem=8192)
    newer = OrgKey(member_id=1, public_key=made.public_key, sealed_private=made.sealed_private,
                   kdf_salt=made.salt, kdf_ops=1, kdf_mem=8192, created_hour=HOUR)
    db.session.add(newer)
    db.session.commit()
    try:
        services.add_note(tip, 1, "Called the shelter", now=NOW)
        services.add_note(tip, 1, "Second note", now=NOW + dt.timedelta(hours=1))
        db.session.expire_all()
        tip = db.session.get(Tip, stored.tip_id)
        assert tip is not None
        notes = services.read_notes(tip, ctx.config["PRIVATE"])
        assert [(n.staff_id, n.created_hour, text) for n, text in notes] == [
            (1, HOUR, "Called the shelter"), (1, HOUR + dt.timedelta(hours=1), "Second note")]
        assert all(b"shelter" not in n.body for n, _ in notes)
        with pytest.raises(CryptoError):
            services.read_notes(tip, [PrivateKey.generate()])
    finally:
        db.session.execute(delete(TipNote))
        db.session.delete(newer)
        db.session.commit()




def test_each_message_has_its_own_number_and_only_its_photos(ctx: Flask) -> None:
    """Messages are numbered 0, 1, 2…; a reply's photos belong to that reply alone."""
    stored = services.create_tip(CONTENT, [], [(b"first", "image/jpeg")], "form-q", now=NOW)
    thread = services.open_with_receipt(stored.receipt)
    assert thread is not None
    services.add_message(thread, "staff", "one", [], now=NOW)
    services.add_message(thread, "tipster", "two", [(b"b", "image/png")], now=NOW)
    db.session.expire_all()
    again = services.open_with_receipt(stored.receipt)
    assert again is not None
    assert [(m.seq, len(photos)) for m, _, photos in again.messages] == [(0, 0), (1, 0), (2, 1)]
    assert [(p.seq, p.message_seq) for p in again.tip.photos] == [(0, None), (1, 2)]


def test_notes_are_numbered_in_order(ctx: Flask) -> None:
    """A tip's notes are numbered 0, 1, 2…"""
    stored = services.create_tip(CONTENT, [], [], "form-r", now=NOW)
    tip = db.session.get(Tip, stored.tip_id)
    assert tip is not None
    for text in ("a", "b", "c"):
        services.add_note(tip, 1, text, now=NOW)
    db.session.expire_all()
    tip = db.session.get(Tip, stored.tip_id)
    assert tip is not None
    assert [n.seq for n in tip.notes] == [0, 1, 2]
