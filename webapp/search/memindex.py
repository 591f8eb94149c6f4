"""The search index held in memory, rebuilt when the data version changes (see #2, item 7).

The database keeps the inverted index (search_token) as the source of truth, and the SQL
engine in search.py still answers from it directly: tests run both and require the same ids in
the same order. Pages and the API use this copy, because a GROUP BY over every posting of a
broad query (every shelter among 100k services) costs far more than summing the same postings
over Python arrays. Ordering ties are broken by each service's place in the database's own
ORDER BY rank_hint DESC, name, id, so each backend's collation still decides name order.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from array import array
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from webapp.directory import hours
from webapp.extensions import db
from webapp.models import (
    Language,
    Location,
    OpenSlot,
    SearchToken,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
    service_terms,
)
from webapp.search import indexer

VISIBLE_STATUSES = ("active", "temporarily closed")


@dataclass
class MemIndex:
    """Everything ranking and filtering need, by service ordinal (its tie-break rank)."""

    ids: list[str] = field(default_factory=list)
    ordinal: dict[str, int] = field(default_factory=dict)
    country: list[str | None] = field(default_factory=list)
    modified: list[dt.datetime] = field(default_factory=list)
    postings: dict[str, tuple[array[int], array[float]]] = field(default_factory=dict)
    terms: dict[tuple[str, str], set[int]] = field(default_factory=dict)  # (taxonomy, code)
    term_ids: dict[str, set[int]] = field(default_factory=dict)
    languages: dict[str, set[int]] = field(default_factory=dict)
    free: set[int] = field(default_factory=set)
    always_open: set[int] = field(default_factory=set)
    lat_sorted: list[float] = field(default_factory=list)  # public points, sorted by latitude
    points: list[tuple[float, float, int]] = field(default_factory=list)
    open_minute: tuple[int, set[int]] = (-1, set())  # the minute last asked, and who was open
    slots: dict[tuple[str, int], list[tuple[int, int, int]]] = field(default_factory=dict)
    arrays: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    home_cache: dict[str, np.ndarray] = field(default_factory=dict)

    def posting_arrays(self, token: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A token's (ordinals, weights) as numpy arrays (made on first use)."""
        found = self.arrays.get(token)
        if found is None:
            raw = self.postings.get(token)
            if raw is None:
                return None
            found = (np.frombuffer(raw[0], dtype=np.int32), np.frombuffer(raw[1]))
            self.arrays[token] = found
        return found

    def mask(self, ordinals: set[int] | range) -> np.ndarray:
        """A boolean array over all services from a set of ordinals."""
        out = np.zeros(len(self.ids), dtype=bool)
        if ordinals:
            out[np.fromiter(ordinals, dtype=np.int64, count=len(ordinals))] = True
        return out

    def is_home(self, country: str) -> np.ndarray:
        """True where a service is in the given country."""
        found = self.home_cache.get(country)
        if found is None:
            found = np.array([c == country for c in self.country], dtype=bool)
            self.home_cache[country] = found
        return found

    def any_of(self, table: dict[str, set[int]], keys: list[str]) -> set[int]:
        """Ordinals having at least one of keys."""
        out: set[int] = set()
        for k in keys:
            out |= table.get(k, set())
        return out

    def open_at(self, now: dt.datetime) -> set[int]:
        """Ordinals open at this minute (each zone's local time), cached for the minute."""
        minute = int(now.timestamp() // 60)
        if self.open_minute[0] == minute:
            return self.open_minute[1]
        out: set[int] = set()
        positions: dict[str, tuple[int, int] | None] = {}
        for (zone, weekday), entries in self.slots.items():
            if zone not in positions:
                try:
                    positions[zone] = hours.local_position(hours.zone(zone, None), now)
                except hours.HoursError:
                    positions[zone] = None
            pos = positions[zone]
            if pos is None or pos[0] != weekday:
                continue
            local = pos[1]
            out.update(o for opens, closes, o in entries if opens <= local < closes)
        self.open_minute = (minute, out)
        return out

    def within(self, lat: float, lng: float, box: tuple[float, float, float, float],
               ) -> dict[int, float]:
        """Ordinal -> smallest squared planar distance (degrees) among points in the box."""
        min_lat, max_lat, min_lng, max_lng = box
        k = math.cos(math.radians(lat))
        out: dict[int, float] = {}
        lo = bisect.bisect_left(self.lat_sorted, min_lat)
        hi = bisect.bisect_right(self.lat_sorted, max_lat)
        for plat, plng, o in self.points[lo:hi]:
            if min_lng <= plng <= max_lng:
                d2 = (plat - lat) * (plat - lat) + (plng - lng) * k * (plng - lng) * k
                if o not in out or d2 < out[o]:
                    out[o] = d2
        return out


def current() -> MemIndex:
    """The index for the data now in the database."""
    return _index.get()


def build() -> MemIndex:
    """Read the derived tables once."""
    idx = MemIndex()
    rows = db.session.execute(
        select(Service.id, Service.country, Service.last_modified, Service.free,
               Service.always_open)
        .where(Service.status.in_(VISIBLE_STATUSES))
        .order_by(Service.rank_hint.desc(), Service.name.asc(), Service.id.asc())).all()
    for o, (sid, country, modified, free, always) in enumerate(rows):
        idx.ids.append(sid)
        idx.ordinal[sid] = o
        idx.country.append(country)
        idx.modified.append(modified)
        if free:
            idx.free.add(o)
        if always:
            idx.always_open.add(o)
    ords = idx.ordinal
    grouped: dict[str, tuple[array[int], array[float]]] = {}
    # The biggest table: read through the driver's cursor (a few times faster than Core rows).
    table = SearchToken.__table__.name
    cursor = db.session.connection().exec_driver_sql(
        f"SELECT token, service_id, weight FROM {table}")  # noqa: S608 - a fixed table name
    for token, sid, weight in cursor:
        posting = ords.get(sid)
        if posting is None:
            continue
        pair = grouped.get(token)
        if pair is None:
            pair = grouped[token] = (array("i"), array("d"))
        pair[0].append(posting)
        pair[1].append(float(weight))
    idx.postings = grouped
    for sid, tid, tax, code in db.session.execute(
            select(service_terms.c.service_id, TaxonomyTerm.id, TaxonomyTerm.taxonomy_name,
                   TaxonomyTerm.code)
            .join(TaxonomyTerm, TaxonomyTerm.id == service_terms.c.term_id)):
        tagged = ords.get(sid)
        if tagged is not None:
            idx.terms.setdefault((tax, code), set()).add(tagged)
            idx.term_ids.setdefault(tid, set()).add(tagged)
    for sid, code in db.session.execute(select(Language.service_id, Language.code)):
        speaker = ords.get(sid)
        if speaker is not None and code:
            idx.languages.setdefault(code, set()).add(speaker)
    for sid, zone, weekday, opens, closes in db.session.execute(
            select(OpenSlot.service_id, OpenSlot.tz_name, OpenSlot.weekday, OpenSlot.opens_min,
                   OpenSlot.closes_min)):
        slotted = ords.get(sid)
        if slotted is not None:
            idx.slots.setdefault((zone, weekday), []).append((opens, closes, slotted))
    pts = []
    for sid, lat, lng in db.session.execute(
            select(ServiceAtLocation.service_id, Location.public_latitude,
                   Location.public_longitude)
            .join(Location, Location.id == ServiceAtLocation.location_id)
            .where(Location.public_latitude.is_not(None),
                   Location.public_longitude.is_not(None))):
        placed = ords.get(sid)
        if placed is not None and lat is not None and lng is not None:
            pts.append((float(lat), float(lng), placed))
    pts.sort()
    idx.points = pts
    idx.lat_sorted = [p[0] for p in pts]
    return idx


_index = indexer.PerDataVersion(build)
