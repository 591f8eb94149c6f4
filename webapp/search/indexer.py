"""Derived tables: search tokens, the token vocabulary, and open-now slots."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import selectinload

from webapp.directory import hours
from webapp.extensions import db
from webapp.models import (
    Meta,
    OpenSlot,
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


def reindex(service_ids: Iterable[str]) -> None:
    """Recompute derived rows for these services, then the vocabulary and data version."""
    ids = list(service_ids)
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
    rebuild_vocab()


def rebuild_vocab() -> None:
    """Rebuild token -> document frequency, and give the data a new version."""
    db.session.execute(delete(SearchVocab))
    db.session.execute(
        insert(SearchVocab).from_select(
            ["token", "df"],
            select(SearchToken.token, func.count()).group_by(SearchToken.token),
        )
    )
    set_meta("data_version", uuid.uuid4().hex)


def touch() -> None:
    """A new data version without re-deriving anything (a change only pages show)."""
    set_meta("data_version", uuid.uuid4().hex)


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
    when the data version changes. The search index, the vocabulary and the offline bundles."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._held: dict[str, tuple[str | None, T]] = {}

    def get(self) -> T:
        """The value for the data now in the database."""
        version = get_meta("data_version")
        key = db.engine.url.render_as_string(hide_password=True)
        held = self._held.get(key)
        if held is None or held[0] != version:
            with self._lock:
                held = self._held.get(key)
                if held is None or held[0] != version:
                    held = (version, self._build())
                    self._held[key] = held
        return held[1]
