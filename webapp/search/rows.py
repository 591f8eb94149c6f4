"""Reading what the in-memory search index holds per service, for all services (a build) or
for the ones a change touched (see memindex.py): service rows, terms, languages, opening
slots, points and the token postings."""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (
    Language,
    Location,
    SearchDoc,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
    service_terms,
)
from webapp.search import indexer
from webapp.search.groups import Growing, Owner

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
    got.slots = [(sid, *slot) for sid, slots in rows(
        select(SearchDoc.service_id, SearchDoc.slots)
        .where(SearchDoc.slots != indexer.NO_SLOTS), SearchDoc.service_id)
        for slot in indexer.decode_slots(slots)]
    got.points = [(sid, float(lat), float(lng)) for sid, lat, lng in rows(
        select(ServiceAtLocation.service_id, Location.public_latitude, Location.public_longitude)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(Location.public_latitude.is_not(None), Location.public_longitude.is_not(None)),
        ServiceAtLocation.service_id) if lat is not None and lng is not None]
    return got


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
        idx.points.append((lat, lng, o))  # sorted when frozen (groups.points_array)


def postings(idx: MemIndex) -> None:
    """The compressed token table, from every search_doc row (read through the driver's
    cursor: a few times faster than Core rows for 100k)."""
    cursor = db.session.connection().exec_driver_sql(
        f"SELECT service_id, tokens FROM {SearchDoc.__table__.name}")  # noqa: S608
    idx.token_row, idx.starts, idx.slots_of, idx.classes = _token_table(cursor, idx.ordinal)


def add_postings(idx: MemIndex, ids: list[str]) -> None:
    """The tokens of these (just added) slots, as small arrays beside the big table."""
    docs: list[Any] = []
    for i in range(0, len(ids), 500):
        docs += db.session.execute(select(SearchDoc.service_id, SearchDoc.tokens)
                                   .where(SearchDoc.service_id.in_(ids[i:i + 500])))
    row_of, starts, slots, classes = _token_table(docs, idx.ordinal)
    extra = dict(idx.extra)
    for token, row in row_of.items():
        a, b = int(starts[row]), int(starts[row + 1])
        more = (slots[a:b], classes[a:b])
        before = extra.get(token)
        if before is not None:
            keep = idx.alive[before[0]]  # drop postings of slots that died since
            more = (np.concatenate((before[0][keep], more[0])),
                    np.concatenate((before[1][keep], more[1])))
        extra[token] = more
    idx.extra = extra


def _token_table(docs: Iterable[Any], ordinal: dict[str, int],
                 ) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
    """(token -> row, row starts, slots, weight classes) of these (service id, tokens) rows:
    a compressed sparse row table; slots keep their reading order within a token."""
    row_of: dict[str, int] = {}
    token_rows, slots, classes = array("i"), array("i"), array("B")
    for sid, tokens in docs:
        slot = ordinal.get(sid)
        if slot is None:
            continue
        for token, weight in indexer.decode(tokens).items():
            row = row_of.get(token)
            if row is None:
                row = row_of[token] = len(row_of)
            token_rows.append(row)
            slots.append(slot)
            classes.append(indexer.CLASS_OF[weight])
    by_row = np.array(token_rows, dtype=np.int32)
    order = np.argsort(by_row, kind="stable")
    starts = np.zeros(len(row_of) + 1, dtype=np.int64)
    np.cumsum(np.bincount(by_row, minlength=len(row_of)), out=starts[1:])
    return (row_of, starts, np.array(slots, dtype=np.int32)[order],
            np.array(classes, dtype=np.uint8)[order])
