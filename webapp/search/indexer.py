"""Derived tables: search tokens, the token vocabulary, and open-now slots."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import selectinload

from webapp.directory import hours
from webapp.extensions import db
from webapp.models import (
    Meta,
    OpenSlot,
    SearchChange,
    SearchToken,
    SearchVocab,
    Service,
    ServiceAtLocation,
)
from webapp.search import text

# How much a match in each field counts. A category or an exact name outranks any word.
W_EXACT_NAME = 60.0
W_CATEGORY = 12.0
W_NAME = 6.0
W_CITY = 3.0
W_ORG = 2.5
W_ELIGIBILITY = 1.2
W_DESCRIPTION = 1.0
NAME_PREFIX = "name:"
CAT_PREFIX = "cat:"
POP_PREFIX = "pop:"


def exact_key(name: str) -> str:
    """The token that marks a whole-name match (folded, single-spaced)."""
    return NAME_PREFIX + " ".join(text.tokens(name))[:190]


def service_tokens(svc: Service) -> dict[str, float]:
    """Every token of one service with the weight of the best field it appears in."""
    weights: dict[str, float] = {}

    def add(value: str | None, weight: float) -> None:
        for tok in text.tokens(value or ""):
            tok = tok[:200]
            if weights.get(tok, 0.0) < weight:
                weights[tok] = weight

    add(svc.name, W_NAME)
    add(svc.alternate_name, W_NAME)
    add(svc.description, W_DESCRIPTION)
    add(svc.eligibility_description, W_ELIGIBILITY)
    if svc.organization:
        add(svc.organization.name, W_ORG)
    for tr in svc.translations:
        add(tr.name, W_NAME)
        add(tr.description, W_DESCRIPTION)
        add(tr.eligibility_description, W_ELIGIBILITY)
    for sal in svc.locations:
        add(sal.location.city, W_CITY)
        add(sal.location.region, W_CITY)
    names = [svc.name] + [tr.name for tr in svc.translations if tr.name]
    for name in names:
        key = exact_key(name)
        if len(key) > len(NAME_PREFIX):
            weights[key] = W_EXACT_NAME
    for term in svc.terms:
        if term.taxonomy_name == "haven-categories":
            weights[CAT_PREFIX + term.code] = W_CATEGORY
        elif term.taxonomy_name == "haven-populations":
            weights[POP_PREFIX + term.code] = W_CATEGORY
    return weights


def _slots(svc: Service) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for s in svc.schedules:
        key = hours.zone_key(s.tz_name, s.tz_offset)
        for slot in hours.slots(s.byday, s.opens_at, s.closes_at):
            out.append({"service_id": svc.id, "tz_name": key, "weekday": slot.weekday,
                        "opens_min": slot.opens, "closes_min": slot.closes})
    return out


# Above this many services a change rebuilds the derived tables' vocabulary in one pass and
# starts a new index epoch (every worker rebuilds once); below it, the change is a delta.
BULK = 2000
KEEP_CHANGES = 5000  # changes kept for workers that fall behind (a gap means a full build)


def reindex(service_ids: Iterable[str]) -> None:
    """Recompute derived rows for these services, the vocabulary, and record the change."""
    ids = list(dict.fromkeys(service_ids))
    if len(ids) > BULK:
        _derive(ids)
        rebuild_vocab()
        return
    old = _tokens_of(ids)
    _derive(ids)
    affected = old | _tokens_of(ids)
    added, removed = _update_vocab(affected)
    record_change(ids, added, removed)


def _derive(ids: list[str]) -> None:
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        db.session.execute(delete(SearchToken).where(SearchToken.service_id.in_(chunk)))
        db.session.execute(delete(OpenSlot).where(OpenSlot.service_id.in_(chunk)))
        services = db.session.scalars(
            select(Service).where(Service.id.in_(chunk)).options(
                selectinload(Service.organization), selectinload(Service.translations),
                selectinload(Service.terms), selectinload(Service.schedules),
                selectinload(Service.locations).selectinload(ServiceAtLocation.location),
            ).execution_options(populate_existing=True)  # rows written by Core since loaded
        ).all()
        token_rows = [{"token": tok, "service_id": svc.id, "weight": w}
                      for svc in services for tok, w in service_tokens(svc).items()]
        slot_rows = [row for svc in services for row in _slots(svc)]
        if token_rows:
            db.session.execute(insert(SearchToken), token_rows)
        if slot_rows:
            db.session.execute(insert(OpenSlot), slot_rows)
        db.session.expunge_all()


def _tokens_of(ids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        found.update(db.session.scalars(select(SearchToken.token).distinct()
                                        .where(SearchToken.service_id.in_(ids[i:i + 500]))))
    return found


def _update_vocab(tokens: set[str]) -> tuple[list[str], list[str]]:
    """Recount these tokens' document frequency; (tokens new to it, tokens gone from it)."""
    listed = sorted(tokens)
    before: set[str] = set()
    counts: dict[str, int] = {}
    for i in range(0, len(listed), 500):
        chunk = listed[i:i + 500]
        before.update(db.session.scalars(select(SearchVocab.token)
                                         .where(SearchVocab.token.in_(chunk))))
        counts.update((t, n) for t, n in db.session.execute(
            select(SearchToken.token, func.count()).where(SearchToken.token.in_(chunk))
            .group_by(SearchToken.token)))
        db.session.execute(delete(SearchVocab).where(SearchVocab.token.in_(chunk)))
    if counts:
        db.session.execute(insert(SearchVocab), [{"token": t, "df": n}
                                                 for t, n in counts.items()])
    return sorted(set(counts) - before), sorted(before - set(counts))


def rebuild_vocab() -> None:
    """Rebuild token -> document frequency from scratch, and start a new index epoch."""
    db.session.execute(delete(SearchVocab))
    db.session.execute(
        insert(SearchVocab).from_select(
            ["token", "df"],
            select(SearchToken.token, func.count()).group_by(SearchToken.token),
        )
    )
    new_epoch()


def new_epoch() -> None:
    """Every worker rebuilds its index once (after a bulk change or a restore)."""
    _lock_seq()
    db.session.execute(delete(SearchChange))
    set_meta("index_epoch", uuid.uuid4().hex)
    set_meta("index_seq", "0")


def record_change(service_ids: list[str], added: Iterable[str] = (),
                  removed: Iterable[str] = ()) -> int:
    """Log one change for the workers to apply; returns its sequence number.

    Also the way to say "these services' pages or bundle records changed" when no search
    token did (a verification date, say): workers re-read just those services.
    """
    seq = _lock_seq() + 1
    set_meta("index_seq", str(seq))
    db.session.execute(insert(SearchChange), [{
        "seq": seq, "at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "services": json.dumps(service_ids), "added": json.dumps(list(added)),
        "removed": json.dumps(list(removed))}])
    if seq % 100 == 0:
        db.session.execute(delete(SearchChange).where(SearchChange.seq <= seq - KEEP_CHANGES))
    return seq


def _lock_seq() -> int:
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
