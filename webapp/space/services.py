"""Shelter space status and private update links. Never touches the request.

A status is public on purpose (a word and who a shelter can take) and ages: one older than 48
hours reads as unknown everywhere (page, API, offline copy), so a stale "available" never sends
someone across town. Staff may give the number of free places with it; that number is public
only when an admin of the member that runs the shelter opted in, and only while the status is
fresh (the listing page and HSDS 3.1; never haven_space or the offline copy).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import format_time, get_timezone_gmt, get_timezone_name
from sqlalchemy import select

from webapp import clock
from webapp.directory import hours
from webapp.exchange import capacity, extras
from webapp.extensions import db
from webapp.models import Member, Service, ServiceSpace, SpaceLink, TaxonomyTerm
from webapp.models.coalition import POPULATIONS, SPACE_FRESH, SPACE_STATUSES, SPACE_UNITS
from webapp.search import changelog


class SpaceError(ValueError):
    """A space status cannot be set; the message names the problem, the code (when a form
    can say it in the reader's words) which one."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def stamp(at: dt.datetime) -> str:
    """ISO 8601 in UTC with a Z, as the API writes times."""
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SpaceView:
    """What readers see: available, limited, full or unknown (stale), and since when; the
    number of free places (in `unit`: places or beds) only where it may be shown."""

    status: str
    populations: list[str]
    updated: dt.datetime
    count: int | None = None
    unit: str = "places"

    def as_json(self) -> dict[str, object]:
        """The HSDS extension `haven_space`."""
        return {"status": self.status, "populations": self.populations,
                "updated": stamp(self.updated)}


def view(space: ServiceSpace | None, at: dt.datetime | None = None,
         count: bool = False) -> SpaceView | None:
    """The status as shown now: unknown (and no populations, no count) once older than 48
    hours. count: whether this reader may see the number of free places staff gave."""
    if space is None:
        return None
    if (at or clock.now()) - space.updated_at > SPACE_FRESH:
        return SpaceView("unknown", [], space.updated_at)
    shown = space.free_places if count else None
    return SpaceView(space.status, space.population_list(), space.updated_at, shown,
                     space.unit if space.unit in SPACE_UNITS else "places")


def views(ids: Iterable[str], at: dt.datetime | None = None,
          staff: bool = False) -> dict[str, SpaceView]:
    """How readers see these services' space now (services with none are left out): with the
    number of free places where the member running the shelter shows it publicly, or for its
    own staff (staff=True)."""
    at = at or clock.now()
    rows = of_services(ids)
    counted = [sid for sid, row in rows.items() if row.free_places is not None]
    public = set(counted) if staff else counts_public(counted)
    return {sid: seen for sid, row in rows.items()
            if (seen := view(row, at, sid in public)) is not None}


def counts_public(ids: Iterable[str]) -> set[str]:
    """Which of these services are run by a member that shows its counts of free places."""
    ids = list(ids)
    out: set[str] = set()
    for start in range(0, len(ids), 500):
        out.update(db.session.scalars(
            select(Service.id).join(Member, Member.organization_id == Service.organization_id)
            .where(Service.id.in_(ids[start:start + 500]), Member.public_space_counts)))
    return out


def show_counts(member: Member, on: bool) -> None:
    """Whether this member's counts of free places are public from now on; commit."""
    member.public_space_counts = on
    db.session.commit()


def of_services(ids: Iterable[str]) -> dict[str, ServiceSpace]:
    """The space of these services: the stored status, or the one the HSDS capacities
    imported with a service give when they are newer (an unsaved row; exchange/capacity.py
    has the rule)."""
    ids = list(ids)
    out: dict[str, ServiceSpace] = {}
    now = clock.now()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        out.update({s.service_id: s for s in db.session.scalars(
            select(ServiceSpace).where(ServiceSpace.service_id.in_(chunk)))})
        for sid, extra in db.session.execute(
                select(Service.id, Service.hsds_extra).where(
                    Service.id.in_(chunk), Service.hsds_extra.contains('"capacities"'))):
            given = capacity.status_of(extras.loads(extra).get("capacities"), now)
            stored = out.get(sid)
            if given is not None and (stored is None or given[1] > stored.updated_at):
                out[sid] = ServiceSpace(service_id=sid, status=given[0], updated_at=given[1],
                                        populations=stored.populations if stored else "")
    return out


def parse_populations(value: str | Iterable[str]) -> list[str]:
    """Population codes from "women,families" (or a list); SpaceError names a wrong one."""
    items = value.split(",") if isinstance(value, str) else list(value)
    codes = [p.strip().lower() for p in items if p.strip()]
    wrong = [p for p in codes if p not in POPULATIONS]
    if wrong:
        raise SpaceError(f"unknown population {wrong[0]!r} (use: {', '.join(POPULATIONS)})")
    return [p for p in POPULATIONS if p in codes]


def set_space(service_id: str, status: str, populations: list[str],
              at: dt.datetime | None = None, free: int | None = None,
              unit: str = "places") -> ServiceSpace:
    """Store a service's space now; refresh its search record so offline copies carry it;
    commit. free: the number of free places (in `unit`), or None; with no status, the number
    gives it. SpaceError for an unknown service, status or unit, a negative number, or a
    number that says the opposite of the status (none free but not full, or the reverse)."""
    if free is not None and free < 0:
        raise SpaceError(f"the number of free places cannot be negative ({free})")
    if unit not in SPACE_UNITS:
        raise SpaceError(f"the unit must be one of {', '.join(SPACE_UNITS)}, not {unit!r}")
    if not status and free is not None:
        status = capacity.status_for(free)
    if free is not None and (free == 0) != (status == "full"):
        raise SpaceError(f"{free} free places contradicts the status {status!r}",
                         "contradicts")
    if status not in SPACE_STATUSES:
        raise SpaceError(f"the status must be one of {', '.join(SPACE_STATUSES)}, "
                         f"not {status!r}")
    if db.session.get(Service, service_id[:64]) is None:
        raise SpaceError(f"no service with id {service_id!r}")
    populations = parse_populations(populations)
    row = db.session.get(ServiceSpace, service_id)
    if row is None:
        row = ServiceSpace(service_id=service_id)
        db.session.add(row)
    row.status = status
    row.populations = ",".join(populations)
    row.updated_at = at or clock.now()
    row.free_places = free
    row.unit = unit if free is not None else None
    db.session.flush()

    changelog.record_change([service_id])  # workers re-read its record for offline copies
    db.session.commit()
    return row


def service_zone(service: Service) -> dt.tzinfo:
    """The zone a listing's opening hours are read in (as open-now reads them): its schedules'
    zone, else the zone its import recorded, else UTC."""
    for row in service.schedules:
        if row.tz_name or row.tz_offset is not None:
            try:
                return hours.zone(row.tz_name, row.tz_offset)
            except hours.HoursError:
                continue
    if service.timezone:
        try:
            return hours.zone(service.timezone, None)
        except (hours.HoursError, ValueError):
            pass
    return dt.UTC


@dataclass(frozen=True)
class LocalTime:
    """A stored instant as the people at a place read it: the clock time and the zone named,
    both in the reader's language."""

    time: str
    zone: str
    iso: str


def local_time(at: dt.datetime, zone: dt.tzinfo, locale: str) -> LocalTime:
    """A naive UTC instant (as staff actions are stored) in this zone, worded for a locale
    ("1:40 PM", "Pacific Standard Time"): a shelter's hold ends at its own clock time."""
    local = at.replace(tzinfo=dt.UTC).astimezone(zone)
    name = get_timezone_name(local, "long", locale=locale)
    if isinstance(zone, ZoneInfo) and name == get_timezone_gmt(local, "long", locale=locale):
        # CLDR names some zones only by place ("India Time"): better than "GMT+05:30".
        name = get_timezone_name(zone, "long", locale=locale)
    return LocalTime(format_time(local, "short", tzinfo=zone, locale=locale), name,
                     local.isoformat())


def shelter_services(member: Member) -> list[Service]:
    """The shelter listings a shelter member runs (its directory organisation's shelters)."""
    if member.kind != "shelter" or not member.organization_id:
        return []
    return list(db.session.scalars(
        select(Service).where(Service.organization_id == member.organization_id,
                              Service.terms.any(TaxonomyTerm.code == "shelter"))
        .order_by(Service.name)))


def runs(member: Member, service_id: str) -> bool:
    """Whether this member's staff may set this service's space."""
    return any(s.id == service_id for s in shelter_services(member))


def _hash(token: str) -> str:
    return hashlib.sha256(b"haven-space-link\x00" + token.encode()).hexdigest()


def make_link(service_id: str, label: str, by: int | None) -> str:
    """A new private update link's secret (only its hash is stored); commit."""
    token = secrets.token_urlsafe(24)
    db.session.add(SpaceLink(service_id=service_id, token_hash=_hash(token), label=label[:60],
                             created_by=by, created_at=clock.now()))
    db.session.commit()
    return token


def link_for(token: str) -> SpaceLink | None:
    """The live link for a secret, or None (unknown or revoked: the page answers 404)."""
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(select(SpaceLink).where(SpaceLink.token_hash == _hash(token)))
    return link if link is not None and link.revoked_at is None else None


def links(service_ids: list[str]) -> list[SpaceLink]:
    """The live links of these services."""
    return list(db.session.scalars(select(SpaceLink).where(
        SpaceLink.service_id.in_(service_ids), SpaceLink.revoked_at.is_(None))
        .order_by(SpaceLink.created_at)))


def revoke(link: SpaceLink) -> None:
    """The link stops working now; commit."""
    link.revoked_at = clock.now()
    db.session.commit()
