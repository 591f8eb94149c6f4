"""The directory cut into areas a phone can keep: which area each service is in.

A service's area is its region (country and admin area, as the data names them). A region too
big for a phone is split by the coarsest grid over its public points whose cells fit, then
what is still too big (or has no point) into runs of ids; services with no place at all
(national lines) are their country's own area. The cut is made once per epoch (areas.py keeps
it current change by change) and reads no street: towns, regions and public points only.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Location, Service, ServiceAtLocation
from webapp.search import text

MOST = 5000  # services in one area, at most: what a low-end phone keeps and searches quickly
GRID = (2.0, 1.0, 0.5, 0.25, 0.125)  # degrees: cells tried, coarsest first, for a big region
NATIONAL = "all"  # an area's last part for services with no place
_SAFE = re.compile(r"[^a-z0-9]+")
AREA_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,120}$")  # every id partition() makes


@dataclass(frozen=True)
class Place:
    """Where a service is, as far as areas are concerned: never a street."""

    country: str
    region: str
    town: str
    point: tuple[float, float] | None


def region_key(place: Place) -> str:
    """The first cut: country and region; else a 2-degree cell; else the whole country."""
    country = (place.country or "xx").lower()
    if place.region.strip():
        return f"{country}-{slug(place.region)}"
    if place.point is not None:
        return f"{country}-{cell(place.point, GRID[0])}"
    return f"{country}-{NATIONAL}"


@functools.lru_cache(maxsize=65536)
def slug(name: str) -> str:
    """A URL-safe, stable part of an area id for a region name in any script (a directory
    names a few hundred regions a million times: each is worked out once)."""
    folded = _SAFE.sub("-", text.fold(name)).strip("-")
    if folded and folded.isascii():
        return folded[:40]
    return "r" + hashlib.sha256(name.strip().encode()).hexdigest()[:8]


def cell(point: tuple[float, float], size: float) -> str:
    """The grid cell of a point at one cell size, as an id part ("g36.0_-120.0s1.0")."""
    lat = math.floor(point[0] / size) * size
    lng = math.floor(point[1] / size) * size
    return f"g{lat:g}_{lng:g}s{size:g}"


@dataclass
class Partition:
    """Which area each service is in, and how big regions were split (kept for an epoch, so
    an edit moves a service between areas only when its place changes)."""

    area_of: dict[str, str] = field(default_factory=dict)
    cells: dict[str, float] = field(default_factory=dict)  # region key -> grid cell size
    ranges: dict[str, list[str]] = field(default_factory=dict)  # part -> first ids of chunks

    def assign(self, sid: str, place: Place) -> str:
        """The area of one service under this partition's splits (a new service goes where
        its place and id fall)."""
        part = region_key(place)
        size = self.cells.get(part)
        if size is not None:
            part += f"-{cell(place.point, size)}" if place.point is not None else "-x"
        starts = self.ranges.get(part)
        if starts is not None:  # still too many: chunks by id, each from one of these ids
            part += f"-c{max(0, bisect.bisect_right(starts, sid) - 1)}"
        return part


def partition(where: dict[str, Place], most: int | None = None) -> Partition:
    """Areas of at most `most` (MOST) services: regions as they are; a bigger one split by the
    coarsest grid whose cells fit; a cell (or the services with no point) still too big, in
    runs of ids."""
    most = MOST if most is None else most
    out = Partition()
    by_key: dict[str, list[str]] = {}
    for sid, place in where.items():
        by_key.setdefault(region_key(place), []).append(sid)
    for key, sids in by_key.items():
        if len(sids) <= most:
            continue
        placed = [p for s in sids if (p := where[s].point) is not None]
        chosen = GRID[-1]
        for size in GRID:
            if max(Counter(cell(p, size) for p in placed).values(), default=0) <= most:
                chosen = size
                break
        out.cells[key] = chosen
    parts: dict[str, list[str]] = {}
    for sid, place in where.items():
        area = out.assign(sid, place)
        parts.setdefault(area, []).append(sid)
        out.area_of[sid] = area
    for part, sids in parts.items():
        if len(sids) > most:
            ordered = sorted(sids)
            chunks = -(-len(ordered) // most)
            step = -(-len(ordered) // chunks)
            out.ranges[part] = ordered[::step]
            for sid in sids:  # placed again, now that the part is cut into runs
                out.area_of[sid] = out.assign(sid, where[sid])
    return out


def places_of(ids: Iterable[str] | None = None) -> dict[str, Place]:
    """Each service's place for areas: its first location with a region (else its first with a
    public point, else its first), and the service's country where the location names none.
    "First" is in the order of the service_at_location ids; the rows are read unsorted (at a
    million services, sorting the join cost as much as reading it)."""
    stmt = (select(ServiceAtLocation.service_id, ServiceAtLocation.id, Location.country,
                   Location.region, Location.city, Location.public_latitude,
                   Location.public_longitude)
            .join(Location, Location.id == ServiceAtLocation.location_id))
    countries = select(Service.id, Service.country)
    if ids is not None:
        wanted = list(ids)
        stmt = stmt.where(ServiceAtLocation.service_id.in_(wanted))
        countries = countries.where(Service.id.in_(wanted))
    home = {sid: country or "" for sid, country in db.session.execute(countries)}
    out = {sid: Place(country, "", "", None) for sid, country in home.items()}
    best: dict[str, tuple[int, str]] = {}
    for sid, link, country, region, town, lat, lng in db.session.execute(stmt):
        if sid not in home:
            continue
        point = (float(lat), float(lng)) if lat is not None and lng is not None else None
        rank = (0 if region else 1 if point is not None else 2, str(link))
        held = best.get(sid)
        if held is not None and held <= rank:
            continue
        best[sid] = rank
        out[sid] = Place(country or home[sid], region or "", town or "", point)
    return out
