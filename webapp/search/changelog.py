"""The search data's change log and epoch: how every worker and instance hears of a change
. Writers log each committed change in order; workers apply the ones after
the change they hold, or build afresh when the epoch changes or some were pruned."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from sqlalchemy import delete, insert, select, update

from webapp.extensions import db
from webapp.models import Meta, SearchChange

KEEP_CHANGES = 5000  # changes kept for workers that fall behind (a gap means a full build)


def new_epoch() -> None:
    """Every worker rebuilds its index once (after a bulk change or a restore)."""
    lock_seq()
    db.session.execute(delete(SearchChange))
    set_meta("index_epoch", uuid.uuid4().hex)
    set_meta("index_seq", "0")


def record_change(service_ids: list[str], added: Iterable[str] = (),
                  removed: Iterable[str] = ()) -> int:
    """Log one change for the workers to apply; returns its sequence number.

    Also the way to say "these services' pages or bundle records changed" when no search
    token did (a verification date, say): workers re-read just those services.
    """
    seq = lock_seq() + 1
    set_meta("index_seq", str(seq))
    db.session.execute(insert(SearchChange), [{
        "seq": seq, "at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "services": json.dumps(service_ids), "added": json.dumps(list(added)),
        "removed": json.dumps(list(removed))}])
    if seq % 100 == 0:
        db.session.execute(delete(SearchChange).where(SearchChange.seq <= seq - KEEP_CHANGES))
    return seq


def lock_seq() -> int:
    """Take the change-sequence row for this transaction (writers queue here) and read it."""
    db.session.execute(update(Meta).where(Meta.key == "index_seq")
                       .values(value=Meta.value))
    current = get_meta("index_seq")
    if current is None:  # a database from before incremental search
        set_meta("index_seq", "0")
        set_meta("index_epoch", uuid.uuid4().hex)
        return 0
    return int(current)


def state() -> tuple[str, int]:
    """(epoch, last change) of the search data now in the database."""
    rows = {k: v for k, v in db.session.execute(
        select(Meta.key, Meta.value).where(Meta.key.in_(("index_epoch", "index_seq"))))}
    return rows.get("index_epoch", ""), int(rows.get("index_seq") or 0)


def changes_after(seq: int) -> list[SearchChange] | None:
    """The changes after seq in order, or None when some were pruned (build afresh)."""
    rows = list(db.session.scalars(select(SearchChange).where(SearchChange.seq > seq)
                                   .order_by(SearchChange.seq)))
    if rows and rows[0].seq != seq + 1:
        return None
    return rows


def version() -> str:
    """A string that changes whenever the search data does (for caches keyed on it)."""
    epoch, seq = state()
    return f"{epoch}:{seq}"


def set_meta(key: str, value: str) -> None:
    """Insert or replace one Meta row."""
    db.session.execute(delete(Meta).where(Meta.key == key))
    db.session.execute(insert(Meta), [{"key": key, "value": value}])


def get_meta(key: str) -> str | None:
    """Read one Meta value, or None."""
    return db.session.scalar(select(Meta.value).where(Meta.key == key))


T = TypeVar("T")


class PerDataVersion(Generic[T]):
    """Something built from the derived tables: one per database, rebuilt (once, under a lock)
    when the data version changes (the offline bundles, assembled from records kept per
    service). The search index itself is kept current change by change (memindex.py)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._held: dict[str, tuple[str | None, T]] = {}

    def get(self) -> T:
        """The value for the data now in the database."""
        now = version()
        key = db.engine.url.render_as_string(hide_password=True)
        held = self._held.get(key)
        if held is None or held[0] != now:
            with self._lock:
                held = self._held.get(key)
                if held is None or held[0] != now:
                    held = (now, self._build())
                    self._held[key] = held
        return held[1]
