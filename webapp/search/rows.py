"""Reading what the in-memory search index holds per service, for all services (a build) or
for the ones a change touched (see memindex.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (
    Language,
    Location,
    OpenSlot,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
    service_terms,
)

if TYPE_CHECKING:
    from webapp.search.memindex import MemIndex

VISIBLE_STATUSES = ("active", "temporarily closed")


ServiceRow = tuple[str, str | None, dt.datetime, bool, bool, int, str, str | None]


def service_rows(ids: list[str] | None) -> list[ServiceRow]:
    stmt = select(Service.id, Service.country, Service.last_modified, Service.free,
                  Service.always_open, Service.rank_hint, Service.name,
                  Service.organization_id) \
        .where(Service.status.in_(VISIBLE_STATUSES))
    if ids is None:
        return [tuple(r) for r in db.session.execute(stmt)]  # type: ignore[misc]
    out: list[ServiceRow] = []
    for i in range(0, len(ids), 500):
        out += [tuple(r) for r in db.session.execute(  # type: ignore[misc]
            stmt.where(Service.id.in_(ids[i:i + 500])))]
    return out


def add_service(idx: MemIndex, o: int, row: ServiceRow, owner: Owner) -> None:
    sid, country, modified, free, always, rank_hint, name, org = row
    if org:
        owner.own(idx.organizations, org, Growing).add(o)
    if o == len(idx.country):
        idx.country.append(country)
        idx.modified.append(modified)
    else:
        idx.country[o], idx.modified[o] = country, modified
    # still sets here: a build or a change freezes them when done (memindex.freeze)
    if free:
        idx.free.add(o)  # type: ignore[union-attr]
    if always:
        idx.always_open.add(o)  # type: ignore[union-attr]
    idx.keys[sid] = (-(rank_hint or 0), name or "", sid)


@dataclass
class Related:
    """Terms, languages, opening slots and public points of some services."""

    # service id, term id, taxonomy name, code, taxonomy id
    terms: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    languages: list[tuple[str, str]] = field(default_factory=list)
    slots: list[tuple[str, str, int, int, int]] = field(default_factory=list)
    points: list[tuple[str, float, float]] = field(default_factory=list)


def related(ids: list[str] | None) -> Related:
    """Read them for these services (all when None), 500 ids at a time."""
    def rows(stmt: Any, column: Any) -> list[Any]:
        if ids is None:
            return list(db.session.execute(stmt))
        out: list[Any] = []
        for i in range(0, len(ids), 500):
            out += db.session.execute(stmt.where(column.in_(ids[i:i + 500])))
        return out

    got = Related()
    got.terms = [(str(a), str(b), c, d, e or "") for a, b, c, d, e in rows(
        select(service_terms.c.service_id, TaxonomyTerm.id, TaxonomyTerm.taxonomy_name,
               TaxonomyTerm.code, TaxonomyTerm.taxonomy_id)
        .join(TaxonomyTerm, TaxonomyTerm.id == service_terms.c.term_id),
        service_terms.c.service_id)]
    got.languages = [(sid, code) for sid, code in rows(
        select(Language.service_id, Language.code), Language.service_id) if code]
    got.slots = [tuple(r) for r in rows(  # type: ignore[misc]
        select(OpenSlot.service_id, OpenSlot.tz_name, OpenSlot.weekday, OpenSlot.opens_min,
               OpenSlot.closes_min), OpenSlot.service_id)]
    got.points = [(sid, float(lat), float(lng)) for sid, lat, lng in rows(
        select(ServiceAtLocation.service_id, Location.public_latitude, Location.public_longitude)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(Location.public_latitude.is_not(None), Location.public_longitude.is_not(None)),
        ServiceAtLocation.service_id) if lat is not None and lng is not None]
    return got


class Growing(list):  # type: ignore[type-arg]
    """Slots (or opening intervals) added on top of a frozen array, which is never copied
    into Python objects: memindex.freeze joins the two when the build or change is done."""

    def __init__(self, base: Any = None) -> None:
        super().__init__()
        self.base = base

    def add(self, item: Any) -> None:
        """Add one slot (set-like, for the groups)."""
        self.append(item)


K = TypeVar("K")
C = TypeVar("C", bound=Growing)


class Owner:
    """Gives the group under a key to add to: when growing a published index, a new Growing
    over the frozen group, made once per change, so readers of the old index never see it
    move."""

    def __init__(self, grow: bool) -> None:
        self.grow = grow
        self.copied: set[tuple[int, object]] = set()

    def own(self, table: dict[K, Any], key: K, make: Callable[..., C]) -> C:
        if self.grow and (id(table), key) not in self.copied:
            table[key] = make(table.get(key))
            self.copied.add((id(table), key))
        found = table.get(key)
        if found is None:
            found = table[key] = make()
        return found  # type: ignore[no-any-return]


def add_related(idx: MemIndex, ids: list[str] | None, grow: bool = False) -> None:
    """Put terms, languages, slots and points of these services (all when None) in idx."""
    got = related(ids)
    owner = Owner(grow)
    slot = idx.ordinal.get
    for sid, tid, tax, code, taxonomy_id in got.terms:
        o = slot(sid)
        if o is not None:
            owner.own(idx.terms, (tax, code), Growing).add(o)
            owner.own(idx.term_ids, tid, Growing).add(o)
            if taxonomy_id:
                owner.own(idx.taxonomies, taxonomy_id, Growing).add(o)
    for sid, lang in got.languages:
        o = slot(sid)
        if o is not None:
            owner.own(idx.languages, lang, Growing).add(o)
    for sid, zone, weekday, opens, closes in got.slots:
        o = slot(sid)
        if o is not None:
            owner.own(idx.slots, (zone, weekday), Growing).append((opens, closes, o))
    for sid, lat, lng in got.points:
        o = slot(sid)
        if o is None:
            continue
        idx.points.append((lat, lng, o))  # sorted when frozen (memindex.as_points)
