"""Readers' reports that a listing is wrong: no name, no contact, no address."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.directory import Service

KINDS = ("wrong_phone", "closed", "moved", "other")
OUTCOMES = ("fixed", "dismissed")


class ListingReport(db.Model):  # type: ignore[name-defined,misc]
    """One reader's report. Only the day is kept, so it cannot be matched to a request."""

    __tablename__ = "listing_report"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(20), default="en")
    reported_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    handled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    service: Mapped[Service] = relationship()
