"""A coalition on one Haven: member organisations, sealed referrals between them,
shelter space and the requests for it.

Member organisations each have their own key pair (org_key.member_id), staff (staff_user
.member_id) and tips (tip.member_id). A referral's content is a fresh data key's SecretBox,
that key sealed to the partner's public key and to the referring member's: in clear only who,
when, which fields (codes), the consent choice and the status codes. Shelter space is public by
design (a status and populations; a count of free places only where a member opted in). A
space request holds no name, phone or birth date, and is purged after 30 days, leaving only an
anonymous outcome for the statistics.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.directory import HsdsId

MEMBER_KINDS = ("ngo", "shelter", "legal", "health", "hotline", "law-enforcement")
DEFAULT_MEMBER = 1  # the single organisation every install had before coalitions

CONSENTS = ("agreed", "urgent", "not_applicable")
# A law-enforcement partner gets a referral only when the person agreed, or when it is urgent.
LAW_ENFORCEMENT_CONSENTS = ("agreed", "urgent")
REFERRAL_STATUSES = ("sent", "accepted", "in_progress", "declined", "closed")
# The tip fields a referral may carry (photos are a separate choice).
REFERRAL_FIELDS = ("what", "where", "city", "country", "when", "people", "places", "contact")

SPACE_STATUSES = ("available", "limited", "full")
POPULATIONS = ("women", "men", "minors", "families", "lgbtq")
SPACE_FRESH = dt.timedelta(hours=48)  # older than this, a status shows as unknown
SPACE_UNITS = ("places", "beds")  # what a count of free places counts

HOUSEHOLDS = ("single", "adult_with_children", "couple", "group")
NEEDS = ("wheelchair", "pets", "medical", "interpreter")
CHILD_AGES = ("0-4", "5-11", "12-17")
URGENCIES = ("tonight", "days", "week")
REQUEST_STATES = ("open", "held", "unmet", "cancelled")
ANSWERS = ("pending", "accepted", "declined", "filled")


class Member(db.Model):  # type: ignore[name-defined,misc]
    """A member organisation of the coalition: its own key, staff, tips and inbox."""

    __tablename__ = "member"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    # The directory organisation whose listings this member runs (a shelter's services).
    organization_id: Mapped[str | None] = mapped_column(HsdsId(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # A shelter's count of free places is public only when one of its admins chose so: the
    # word (available, limited, full) is public by default, the number never is.
    public_space_counts: Mapped[bool] = mapped_column(Boolean, default=False,
                                                      server_default=false())


class Referral(db.Model):  # type: ignore[name-defined,misc]
    """Part of a tip handed to another member, re-sealed to the partner's key."""

    __tablename__ = "referral"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tip_id: Mapped[str] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), index=True)
    from_member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    to_member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    to_key_id: Mapped[int] = mapped_column(ForeignKey("org_key.id"))
    from_key_id: Mapped[int] = mapped_column(ForeignKey("org_key.id"))
    key_for_partner: Mapped[bytes] = mapped_column(LargeBinary)  # SealedBox(partner) data key
    key_for_sender: Mapped[bytes] = mapped_column(LargeBinary)  # SealedBox(sender) data key
    body: Mapped[bytes] = mapped_column(LargeBinary)  # SecretBox(data key): fields and reason
    fields: Mapped[str] = mapped_column(String(200))  # codes of the fields referred
    with_photos: Mapped[bool] = mapped_column(Boolean, default=False)
    consent: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="sent")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    closed_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"),
                                                            nullable=True)
    photos: Mapped[list[ReferralPhoto]] = relationship(
        order_by="ReferralPhoto.seq", cascade="all, delete-orphan")
    events: Mapped[list[ReferralEvent]] = relationship(
        order_by="ReferralEvent.id", cascade="all, delete-orphan")
    notes: Mapped[list[ReferralNote]] = relationship(
        order_by="ReferralNote.id", cascade="all, delete-orphan")

    def field_list(self) -> list[str]:
        """The codes of the fields referred."""
        return [f for f in self.fields.split(",") if f]


class ReferralPhoto(db.Model):  # type: ignore[name-defined,misc]
    """A tip photo re-sealed under the referral's data key."""

    __tablename__ = "referral_photo"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"),
                                             index=True)
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ReferralEvent(db.Model):  # type: ignore[name-defined,misc]
    """A status change, seen by both sides (codes only)."""

    __tablename__ = "referral_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"),
                                             index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    status: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(DateTime)


class ReferralNote(db.Model):  # type: ignore[name-defined,misc]
    """A note one side keeps on a referral, sealed to that side's key: the other never sees it.
    """

    __tablename__ = "referral_note"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"),
                                             index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[dt.datetime] = mapped_column(DateTime)


class ServiceSpace(db.Model):  # type: ignore[name-defined,misc]
    """A shelter service's space now: a status and who it can take, and the number of free
    places if staff gave one (public only when the member opted in)."""

    __tablename__ = "service_space"
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"),
                                            primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    populations: Mapped[str] = mapped_column(String(100), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    free_places: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unit: Mapped[str | None] = mapped_column(String(10), nullable=True)  # SPACE_UNITS

    def population_list(self) -> list[str]:
        """The population codes, in the canonical order."""
        have = set(self.populations.split(","))
        return [p for p in POPULATIONS if p in have]


class SpaceLink(db.Model):  # type: ignore[name-defined,misc]
    """A private update link for one shelter service (only a hash of its secret is kept)."""

    __tablename__ = "space_link"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"),
                                            index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(60), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class SpaceRequest(db.Model):  # type: ignore[name-defined,misc]
    """A request for a shelter place, without a name, phone or birth date."""

    __tablename__ = "space_request"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    household: Mapped[str] = mapped_column(String(30))
    populations: Mapped[str] = mapped_column(String(100), default="")
    languages: Mapped[str] = mapped_column(String(100), default="")
    needs: Mapped[str] = mapped_column(String(100), default="")
    child_ages: Mapped[str] = mapped_column(String(40), default="")
    urgency: Mapped[str] = mapped_column(String(10))
    area: Mapped[str] = mapped_column(String(80), default="")
    details: Mapped[str] = mapped_column(String(400), default="")
    state: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    open_until: Mapped[dt.datetime] = mapped_column(DateTime)
    held_service_id: Mapped[str | None] = mapped_column(HsdsId(), nullable=True)
    held_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), nullable=True)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    held_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    answers: Mapped[list[SpaceAnswer]] = relationship(cascade="all, delete-orphan",
                                                      order_by="SpaceAnswer.service_id")

    @staticmethod
    def codes(value: str) -> list[str]:
        """A comma-separated column as a list."""
        return [v for v in value.split(",") if v]


class SpaceAnswer(db.Model):  # type: ignore[name-defined,misc]
    """One matching shelter service's place in a request: pending, accepted, declined, filled."""

    __tablename__ = "space_answer"
    request_id: Mapped[str] = mapped_column(ForeignKey("space_request.id", ondelete="CASCADE"),
                                            primary_key=True)
    service_id: Mapped[str] = mapped_column(HsdsId(), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    answer: Mapped[str] = mapped_column(String(10), default="pending")
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class SpaceOutcome(db.Model):  # type: ignore[name-defined,misc]
    """What is left of a purged request for the statistics: its week and how it ended."""

    __tablename__ = "space_outcome"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    week: Mapped[dt.date] = mapped_column(Date, index=True)
    accepted: Mapped[bool] = mapped_column(Boolean)
    minutes_to_accept: Mapped[int | None] = mapped_column(Integer, nullable=True)


Index("ix_space_answer_member", SpaceAnswer.member_id, SpaceAnswer.answer)
