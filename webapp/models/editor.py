"""A listing's history: one row per change, holding the whole editable state
after it, so any two neighbours give a field-by-field diff and any row can be restored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db

ACTIONS = ("before", "created", "edited", "retired", "reverted", "verified", "translated",
           "imported")


class ListingRevision(db.Model):  # type: ignore[name-defined,misc]
    """One change to one listing. The snapshot may hold a confidential street: it is shown
    only to staff allowed to see that listing's street, never published or exported."""

    __tablename__ = "listing_revision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer)  # the service's revision after the change
    snapshot: Mapped[str] = mapped_column(Text)  # JSON: field -> value
