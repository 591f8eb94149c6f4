"""The directory, aligned with Open Referral HSDS 3.0 (plus Haven's documented extensions)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db

UUID_LEN = 36
# What an id that is not a uuid stands for on PostgreSQL: the nil uuid, which no HSDS source
# gives a record (HsdsId).
NO_SUCH_ID = "00000000-0000-0000-0000-000000000000"
# The common uuid spelling (either case), matched without parsing.
is_uuid = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{12}").fullmatch


class HsdsId(TypeDecorator[str]):
    """An HSDS id (the schemas' `format: uuid`), a str in Python. SQLite keeps the text as
    given; PostgreSQL stores its 16-byte uuid type (37 bytes as text, in every row and index
    entry that names a service, organisation or location) and answers in lower
    case. There, a value that is not a uuid (an id typed into a URL) is bound as NO_SUCH_ID,
    so it matches nothing instead of failing the statement; the importer and the editor
    only ever write uuids."""

    impl = String(UUID_LEN)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID(as_uuid=False))
        return self.impl_instance

    def bind_processor(self, dialect: Any) -> Any:
        if dialect.name != "postgresql":
            return None  # text as given (and nothing per value in a bulk import)

        def process(value: Any) -> Any:
            if value is None or (isinstance(value, str) and is_uuid(value)):
                return value
            return NO_SUCH_ID

        return process

service_terms = Table(
    "service_term",
    db.metadata,
    Column("service_id", HsdsId(), ForeignKey("service.id", ondelete="CASCADE"),
           primary_key=True),
    Column("term_id", HsdsId(), ForeignKey("taxonomy_term.id", ondelete="CASCADE"),
           primary_key=True),
    Index("ix_service_term_term", "term_id", "service_id"),
    sqlite_with_rowid=False,
)


class Organization(db.Model):  # type: ignore[name-defined,misc]
    """An HSDS organization."""

    __tablename__ = "organization"
    id: Mapped[str] = mapped_column(HsdsId(), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    hsds_extra: Mapped[str | None] = mapped_column(Text)
    services: Mapped[list[Service]] = relationship(back_populates="organization")


class Taxonomy(db.Model):  # type: ignore[name-defined,misc]
    """An HSDS taxonomy (Haven publishes haven-categories and haven-populations)."""

    __tablename__ = "taxonomy"
    id: Mapped[str] = mapped_column(HsdsId(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    uri: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(String(50))
    hsds_extra: Mapped[str | None] = mapped_column(Text)


class TaxonomyTerm(db.Model):  # type: ignore[name-defined,misc]
    """An HSDS taxonomy term with a stable code."""

    __tablename__ = "taxonomy_term"
    id: Mapped[str] = mapped_column(HsdsId(), primary_key=True)
    taxonomy_id: Mapped[str | None] = mapped_column(ForeignKey("taxonomy.id"))
    taxonomy_name: Mapped[str] = mapped_column(String(200), index=True)
    code: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    # As the source gives it; no foreign key: a term may name a parent the data leaves out.
    parent_id: Mapped[str | None] = mapped_column(HsdsId(), index=True)
    hsds_extra: Mapped[str | None] = mapped_column(Text)
    taxonomy: Mapped[Taxonomy | None] = relationship()


class Service(db.Model):  # type: ignore[name-defined,misc]
    """An HSDS service, with the derived columns search filters on."""

    __tablename__ = "service"
    id: Mapped[str] = mapped_column(HsdsId(), primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    alternate_name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(30), default="active")
    interpretation_services: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    fees_description: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[float | None] = mapped_column(Float)
    maximum_age: Mapped[float | None] = mapped_column(Float)
    alert: Mapped[str | None] = mapped_column(Text)
    assured_date: Mapped[dt.date | None] = mapped_column(Date)
    # Who last said "still accurate": the organisation is published as the
    # assurer; the staff account stays inside Haven.
    assurer: Mapped[str | None] = mapped_column(Text)
    assurer_email: Mapped[str | None] = mapped_column(Text)
    assured_by: Mapped[int | None] = mapped_column(Integer)
    # Optimistic locking: every write adds one, and a save names the revision it started from.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_modified: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    # Haven extensions (exported as haven_* properties; see services_data/README.md)
    source_language: Mapped[str] = mapped_column(String(20), default="en")
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    source_url: Mapped[str | None] = mapped_column(Text)
    source_quote: Mapped[str | None] = mapped_column(Text)
    rank_hint: Mapped[int] = mapped_column(Integer, default=0)
    # Derived at import, for filters
    free: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    always_open: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    # HSDS properties Haven does not model, verbatim (JSON): see exchange/extras.py
    hsds_extra: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization | None] = relationship(back_populates="services")
    terms: Mapped[list[TaxonomyTerm]] = relationship(secondary=service_terms)
    phones: Mapped[list[Phone]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="Phone.position"
    )
    schedules: Mapped[list[Schedule]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="Schedule.position"
    )
    languages: Mapped[list[Language]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="Language.position"
    )
    translations: Mapped[list[ServiceTranslation]] = relationship(
        back_populates="service", cascade="all, delete-orphan"
    )
    locations: Mapped[list[ServiceAtLocation]] = relationship(
        back_populates="service", cascade="all, delete-orphan"
    )


class ServiceTranslation(db.Model):  # type: ignore[name-defined,misc]
    """Haven extension: a service's name, description and eligibility in one locale."""

    __tablename__ = "service_translation"
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    # None: machine translated (or origin unknown); else the day a person reviewed it and who.
    reviewed_on: Mapped[dt.date | None] = mapped_column(Date)
    reviewed_by: Mapped[int | None] = mapped_column(Integer)
    service: Mapped[Service] = relationship(back_populates="translations")


class Location(db.Model):  # type: ignore[name-defined,misc]
    """An HSDS location with its (first) address inline.

    For a confidential location, address_* and latitude/longitude never leave the database:
    every output reads public_latitude/public_longitude (about 1 km coarse) and the city.
    """

    __tablename__ = "location"
    id: Mapped[str] = mapped_column(HsdsId(), primary_key=True)
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"))
    location_type: Mapped[str] = mapped_column(String(20), default="physical")
    name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    public_latitude: Mapped[float | None] = mapped_column(Float, index=True)
    public_longitude: Mapped[float | None] = mapped_column(Float)
    address_id: Mapped[str | None] = mapped_column(HsdsId())
    address_1: Mapped[str | None] = mapped_column(Text)
    address_2: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(String(40))
    city: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))
    hsds_extra: Mapped[str | None] = mapped_column(Text)


class ServiceAtLocation(db.Model):  # type: ignore[name-defined,misc]
    """An HSDS service_at_location link."""

    __tablename__ = "service_at_location"
    id: Mapped[str] = mapped_column(HsdsId(), primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[str] = mapped_column(ForeignKey("location.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    hsds_extra: Mapped[str | None] = mapped_column(Text)
    service: Mapped[Service] = relationship(back_populates="locations")
    location: Mapped[Location] = relationship()


class Phone(db.Model):  # type: ignore[name-defined,misc]
    """An HSDS phone: voice, SMS, WhatsApp (type), with the languages answered on it."""

    __tablename__ = "phone"
    # Kept with its service (the key starts with it, no rowid on SQLite): no separate index.
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(HsdsId(), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    number: Mapped[str] = mapped_column(String(100))
    extension: Mapped[float | None] = mapped_column(Float)
    type: Mapped[str] = mapped_column(String(20), default="voice")
    description: Mapped[str | None] = mapped_column(Text)
    language_codes: Mapped[str] = mapped_column(Text, default="")
    hsds_extra: Mapped[str | None] = mapped_column(Text)
    service: Mapped[Service] = relationship(back_populates="phones")
    __table_args__ = {"sqlite_with_rowid": False}


class Schedule(db.Model):  # type: ignore[name-defined,misc]
    """An HSDS weekly schedule row; haven_timezone keeps the IANA zone for open-now."""

    __tablename__ = "schedule"
    # Kept with its service (the key starts with it, no rowid on SQLite): no separate index.
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(HsdsId(), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    freq: Mapped[str | None] = mapped_column(String(10))
    byday: Mapped[str | None] = mapped_column(String(40))
    opens_at: Mapped[str | None] = mapped_column(String(20))
    closes_at: Mapped[str | None] = mapped_column(String(20))
    tz_offset: Mapped[float | None] = mapped_column(Float)
    tz_name: Mapped[str | None] = mapped_column(String(64))
    valid_from: Mapped[str | None] = mapped_column(String(20))
    valid_to: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    # Set for the service's hours at one of its places (the HSDS service_at_location's
    # schedules): they count for open-now, and are served with that place.
    service_at_location_id: Mapped[str | None] = mapped_column(HsdsId())
    hsds_extra: Mapped[str | None] = mapped_column(Text)
    service: Mapped[Service] = relationship(back_populates="schedules")
    __table_args__ = {"sqlite_with_rowid": False}


class Language(db.Model):  # type: ignore[name-defined,misc]
    """An HSDS language spoken at a service (kept with its service: the key starts with the
    service, no rowid on SQLite, so no separate index is needed)."""

    __tablename__ = "language"
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(HsdsId(), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    hsds_extra: Mapped[str | None] = mapped_column(Text)
    service: Mapped[Service] = relationship(back_populates="languages")
    __table_args__ = {"sqlite_with_rowid": False}


class SearchDoc(db.Model):  # type: ignore[name-defined,misc]
    """Derived, one row per service: its tokens, each with the weight of the best field it
    appears in, as a JSON object (``{"shelter":6,"fresno":3}``), and its opening slots in
    its local week for the open-now filter, by zone (``{"Europe/London":[[0,540,1020]]}``:
    Monday 09:00 to 17:00, minutes, closing exclusive, at most 1440).

    One row per service, not one per token or slot: an import writes a row per service, and
    the in-memory index reads 100k rows instead of millions. The SQL engine
    expands both with the database's JSON functions (search_sql.token_rows, _open_now)."""

    __tablename__ = "search_doc"
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    tokens: Mapped[str] = mapped_column(Text)
    slots: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    __table_args__ = {"sqlite_with_rowid": False}


class SearchVocab(db.Model):  # type: ignore[name-defined,misc]
    """Derived: every distinct token with its document frequency (for typo tolerance)."""

    __tablename__ = "search_vocab"
    token: Mapped[str] = mapped_column(String(200), primary_key=True)
    df: Mapped[int] = mapped_column(Integer)
    __table_args__ = {"sqlite_with_rowid": False}


class SearchChange(db.Model):  # type: ignore[name-defined,misc]
    """Derived: one committed change to the search data, in commit order.

    Every worker applies the changes after the one it holds, so an edit reaches every worker
    and instance on its next query without a full rebuild. ``seq`` comes from the
    ``index_seq`` meta row, updated first in the writing transaction: writers queue on that
    row, so changes commit in ``seq`` order with no gaps.
    """

    __tablename__ = "search_change"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    services: Mapped[str] = mapped_column(Text)  # JSON list of the service ids it touched
    added: Mapped[str] = mapped_column(Text)  # JSON list of tokens new to the vocabulary
    removed: Mapped[str] = mapped_column(Text)  # JSON list of tokens no service has any more


class Meta(db.Model):  # type: ignore[name-defined,misc]
    """Key/value facts about the data (its version, whether demo data is loaded)."""

    __tablename__ = "haven_meta"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
