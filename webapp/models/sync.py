"""Mirrored listings: where each came from and what it said when last fetched, and how far a
pull from each source has got (so an interrupted pull resumes where it stopped)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, exists, select
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from webapp.extensions import db
from webapp.models.directory import HsdsId, Service
from webapp.models.editor import ListingRevision


class SyncOrigin(db.Model):  # type: ignore[name-defined,misc]
    """One mirrored service: its source API, when it was fetched, and per top-level HSDS
    field a hash of upstream's value as fetched and of Haven's rendering of it as stored.
    A local editor's change shows as a rendering that no longer matches its hash; such a
    field is never overwritten by a later pull (a change upstream too is a conflict)."""

    __tablename__ = "sync_origin"
    service_id: Mapped[str] = mapped_column(
        HsdsId(), ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(Text, index=True)  # the API's base URL
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime)
    upstream_modified: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    upstream_hash: Mapped[str] = mapped_column(String(64))  # the whole record as fetched
    upstream_fields: Mapped[str] = mapped_column(Text)  # JSON: field -> hash of its value
    local_fields: Mapped[str] = mapped_column(Text)  # JSON: field -> hash, as stored here
    # JSON: field -> {"upstream": value} for fields upstream changed after an editor here
    # did; None when there is nothing to settle. Listed in the verification queue.
    conflicts: Mapped[str | None] = mapped_column(Text, nullable=True)
    conflict_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # Service.sync_origin: None for a listing made here. The database deletes the origin
    # with its service (passive: the ORM never tries to empty the key).
    service: Mapped[Service] = relationship(
        backref=backref("sync_origin", uselist=False, passive_deletes=True))

    def open_conflicts(self) -> dict[str, Any]:
        """Each field upstream changed after an editor here did, with what upstream says
        now; {} once a person has acted on the listing since (saved or said "still
        accurate": they decided)."""
        if not self.conflicts or db.session.scalar(select(decided(self.service_id,
                                                                      self.conflict_at))):
            return {}
        found = json.loads(self.conflicts)
        return {name: (found[name] or {}).get("upstream") for name in sorted(found)}


def decided(service_id: Any, since: Any) -> Any:
    """Whether a person changed or verified the listing after `since` (SQL, so a query can
    use it with columns): a conflict shown before that has been seen and settled."""
    return exists().where(ListingRevision.service_id == service_id,
                          ListingRevision.staff_id.is_not(None), ListingRevision.at > since)


class SyncCursor(db.Model):  # type: ignore[name-defined,misc]
    """How far the pull from one source has got. A run asks for records modified on or
    after `since` and walks the pages; `next_page` is the first page not yet written, so a
    rerun after an interruption starts there with the same `since`. When a run completes,
    `mark` becomes the next run's `since` and next_page goes back to 1."""

    __tablename__ = "sync_cursor"
    source: Mapped[str] = mapped_column(String(500), primary_key=True)
    since: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    next_page: Mapped[int] = mapped_column(Integer, default=1)
    # upstream's clock when the run in progress began: records changed while it ran are
    # modified on or after it, so the next run starts there.
    run_mark: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    mark: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
