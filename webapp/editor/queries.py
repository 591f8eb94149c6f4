"""What the editor lists: listings by filter, the verification queue, a listing's history."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Select, and_, case, exists, func, or_, select

from webapp.directory import taxonomy
from webapp.editor import access, snapshot
from webapp.exchange import hsds
from webapp.extensions import db
from webapp.models import (
    ListingReport,
    ListingRevision,
    Organization,
    Service,
    StaffUser,
    SyncOrigin,
    service_terms,
)
from webapp.models.sync import decided
from webapp.search.memindex import VISIBLE_STATUSES

PER_PAGE = 50
STALE_DAYS = 365
RECENT_DAYS = 14
URGENT = ("hotline", "emergency", "shelter")  # verified first: people call these in a crisis
SHOWN_CHARS = 300  # of a value in a sync conflict, as staff pages show it
# A mirrored service's HSDS properties by the editor field whose label names them on staff
# pages (editor/_labels.html); any other property is shown by its HSDS name.
SYNCED_FIELDS = {"name": "name", "description": "description", "email": "email",
                 "url": "website", "eligibility_description": "eligibility",
                 "fees_description": "fees", "status": "status", "phones": "phone",
                 "schedules": "hours", "languages": "languages", "organization": "organization",
                 "attributes": "categories", "cost_options": "free"}


@dataclass(frozen=True)
class SyncConflict:
    """A field of a mirrored listing changed both here and at its source, as staff see it."""

    field: str  # the HSDS property
    label: str  # the editor field naming it (SYNCED_FIELDS), or "" to show the property
    here: str  # the value kept here, as a person reads it (_readable)
    source: str  # what the source says now, likewise


def sync_conflicts(svc: Service) -> list[SyncConflict]:
    """The open conflicts of a mirrored listing, each with the value kept here beside the
    source's, as a person reads them; [] when there are none or a person settled them."""
    given = svc.sync_origin.open_conflicts() if svc.sync_origin is not None else {}
    if not given:
        return []
    here = hsds.service_json(svc)
    return [SyncConflict(name, SYNCED_FIELDS.get(name, ""), _readable(name, here.get(name)),
                         _readable(name, source)) for name, source in given.items()]


# Record ids mean nothing to a person comparing two values.
_IDS = frozenset({"id", "service_id", "location_id", "service_at_location_id",
                  "organization_id", "contact_id", "phone_id", "schedule_id"})


def _readable(name: str, value: object) -> str:
    """A value as staff compare it: text as it is, phones by number, hours as days and
    times, anything else as compact JSON without record ids; cut to SHOWN_CHARS."""
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, list) and name in ("phones", "schedules"):
        items = [v for v in value if isinstance(v, dict)]
        if name == "phones":
            text = ", ".join(str(p.get("number") or "") for p in items)
        else:
            text = "; ".join(" ".join(str(part) for part in (
                s.get("byday") or s.get("freq") or "",
                "–".join(str(s[k]) for k in ("opens_at", "closes_at") if s.get(k)),
                s.get("description") or "") if part) for s in items)
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(_without_ids(value), ensure_ascii=False)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


def _without_ids(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in _IDS}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


@dataclass
class Filters:
    """The list's filters, as the URL gives them."""

    q: str = ""
    organization: str = ""
    category: str = ""
    stale: bool = False
    reported: bool = False
    recent: bool = False
    page: int = 1


def _scoped(query: Select[tuple[Service]], user: StaffUser) -> Select[tuple[Service]]:

    scope = access.listing_scope(user)
    if scope != access.EVERY:
        return query.where(Service.organization_id == scope)
    return query


def _has_term(codes: tuple[str, ...] | list[str]) -> object:
    ids = [taxonomy.BY_CODE[(taxonomy.CATEGORIES, c)].id for c in codes
           if (taxonomy.CATEGORIES, c) in taxonomy.BY_CODE]
    return exists().where(service_terms.c.service_id == Service.id,
                          service_terms.c.term_id.in_(ids))


def stale_before(today: dt.date | None = None) -> dt.date:
    """Verified before this day (or never) counts as stale."""
    return (today or dt.date.today()) - dt.timedelta(days=STALE_DAYS)


def listings(f: Filters, user: StaffUser) -> tuple[list[Service], int]:
    """One page of listings and how many match."""
    query = _scoped(select(Service), user)
    if f.q.strip():
        query = query.where(func.lower(Service.name).contains(f.q.strip().lower(),
                                                              autoescape=True))
    if f.organization:
        query = query.where(Service.organization_id == f.organization)
    if f.category in taxonomy.CATEGORY_CODES:
        query = query.where(_has_term([f.category]))  # type: ignore[arg-type]
    if f.stale:
        query = query.where(or_(Service.assured_date.is_(None),
                                Service.assured_date < stale_before()))
    if f.reported:
        query = query.where(exists().where(ListingReport.service_id == Service.id,
                                           ListingReport.status == "open"))
    if f.recent:
        since = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=RECENT_DAYS)
        query = query.where(Service.last_modified >= since)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows: list[Service] = db.session.scalars(query.order_by(Service.name, Service.id)
                              .offset((max(f.page, 1) - 1) * PER_PAGE).limit(PER_PAGE)).all()  # type: ignore[assignment]
    return [*rows], total


@dataclass(frozen=True)
class OrgChoice:
    """An organisation as a list offers it; `listings` (its listings' names) and `country`
    (its first listing's) are filled only when another organisation in the list has the same
    name, to tell them apart."""

    id: str
    name: str
    listings: tuple[str, ...] = ()
    namesakes: bool = False
    country: str = ""


def org_choices(orgs: list[Organization]) -> list[OrgChoice]:
    """Each organisation once, by name; namesakes (the example data has nine "Fresno Example
    Network") carry the names and country of the listings each runs and are ordered by them."""
    counts = Counter(o.name for o in orgs)
    shared = [o.id for o in orgs if counts[o.name] > 1]
    names: dict[str, list[str]] = {oid: [] for oid in shared}
    countries: dict[str, str] = {}
    for start in range(0, len(shared), 500):
        for oid, name, country in db.session.execute(
                select(Service.organization_id, Service.name, Service.country)
                .where(Service.organization_id.in_(shared[start:start + 500]))
                .order_by(Service.name, Service.id)):
            names[str(oid)].append(name)
            countries.setdefault(str(oid), country or "")
    out = [OrgChoice(o.id, o.name, tuple(names.get(o.id, ())), o.id in names,
                     countries.get(o.id, "")) for o in orgs]
    return sorted(out, key=lambda c: (c.name, c.listings, c.country, c.id))


def verify_queue(user: StaffUser, page: int = 1) -> tuple[list[Service], int]:
    """One page (PER_PAGE) of the listings to check and how many there are, most urgent
    first: those whose source changed a field an editor here had changed (a sync kept ours;
    a person decides), then hotlines, emergency and shelters before others, then never
    verified, then the longest ago."""
    # decided() on SyncOrigin's columns, the enclosing query's: on Service.id, two levels
    # up, SQLAlchemy gave the inner EXISTS a FROM service of its own, and one listing marked
    # still accurate settled every conflict in the queue.
    conflict = exists().where(SyncOrigin.service_id == Service.id,
                              SyncOrigin.conflicts.is_not(None),
                              ~decided(SyncOrigin.service_id, SyncOrigin.conflict_at))
    query = _scoped(select(Service), user).where(or_(conflict, and_(
        Service.status.in_(VISIBLE_STATUSES),
        or_(Service.assured_date.is_(None), Service.assured_date < stale_before()))))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    urgent = case((_has_term(URGENT), 0), else_=1)  # type: ignore[arg-type]
    rows: list[Service] = db.session.scalars(query.order_by(
        case((conflict, 0), else_=1), urgent, Service.assured_date.is_not(None),
        Service.assured_date, Service.name, Service.id)
        .limit(PER_PAGE).offset((max(page, 1) - 1) * PER_PAGE)).all()  # type: ignore[assignment]
    return [*rows], total


@dataclass
class Change:
    """One row of a listing's history, with what it changed."""

    id: int
    at: dt.datetime
    who: str | None
    action: str
    revision: int
    fields: list[tuple[str, str, str]]  # field, before, after
    revertible: bool


def history(service_id: str) -> list[Change]:
    """Newest first, each with its field-by-field difference from the one before."""
    rows = db.session.execute(
        select(ListingRevision, StaffUser.username)
        .outerjoin(StaffUser, StaffUser.id == ListingRevision.staff_id)
        .where(ListingRevision.service_id == service_id)
        .order_by(ListingRevision.id)).all()
    out: list[Change] = []
    previous: snapshot.Snapshot | None = None
    for rev, who in rows:
        snap = snapshot.loads(rev.snapshot)
        fields = [] if previous is None else [
            (f, previous.get(f, ""), snap.get(f, ""))
            for f in snapshot.changed(previous, snap) if not f.endswith(".reviewed_by")]
        out.append(Change(rev.id, rev.at, who, rev.action, rev.revision, fields,
                          revertible=previous is not None and bool(fields)))
        previous = snap
    return out[::-1]
