"""One page of a pull (sync.py): each upstream service compared with what was fetched before
and with what is stored here, then written through the importer in the caller's transaction.

Per top-level field: changed here only, the local value stays; upstream only, upstream's is
written; both, the local value stays and upstream's is kept as an open conflict. A kept
field's hash of "as stored" stays the one of upstream's old value, so it stays protected."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from webapp.directory.queries import load_services
from webapp.exchange import hsds, importer
from webapp.exchange.sources import ImportError_, Record
from webapp.extensions import db
from webapp.models import Location, ServiceAtLocation, SyncOrigin
from webapp.models.sync import decided
from webapp.search.memindex import VISIBLE_STATUSES

# Fields that change without anyone editing the record: never compared.
VOLATILE = frozenset({"last_modified", "modified_date", "haven_space"})


@dataclass
class Summary:
    """What a pull did. Each service counts once: added, retired (a listed service the
    source closed), conflicts (a field changed both here and upstream), updated, unchanged;
    refused ones (invalid upstream) are named in `refusals` and not written."""

    added: int = 0
    updated: int = 0
    retired: int = 0
    conflicts: int = 0
    unchanged: int = 0
    pages: int = 0
    resumed_at: int = 0  # the page an interrupted pull went on from; 0 for a fresh pull
    refusals: list[str] = field(default_factory=list)
    conflicted: list[tuple[str, str, list[str]]] = field(default_factory=list)  # id, name

    def add(self, other: Summary) -> None:
        """Add one page's counts to the pull's."""
        for name in ("added", "updated", "retired", "conflicts", "unchanged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.refusals += other.refusals
        self.conflicted += other.conflicted


@dataclass
class PageResult:
    """One page's counts, and the newest upstream modification time on it."""

    summary: Summary
    newest: dt.datetime | None


@dataclass
class Plan:
    """What to do with one upstream service."""

    item: dict[str, Any]  # as upstream sent it
    record: dict[str, Any] | None  # what to write (None: nothing can be, see plan)
    up: dict[str, str]  # field hashes of item
    kept: set[str] = field(default_factory=set)  # fields whose local value stays
    conflicts: dict[str, Any] = field(default_factory=dict)  # field -> upstream's new value
    settled: set[str] = field(default_factory=set)  # open conflicts now agreed
    baseline: dict[str, str] | None = None  # "as stored" hashes to keep, if not the rendering


def _hash(value: Any) -> str:
    if isinstance(value, str):  # most fields: no encoder needed (and quicker by half)
        text = "s" + value
    else:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    # 64 bits: a field's two values are compared, never looked up among many
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def _own(name: str, value: Any) -> Any:
    """What of a field belongs to the service itself: its organisation and its terms are
    records of their own, shared with other services, named here by id. (Upstream renaming
    a term must not look, on every service using it, like an edit made here.)"""
    if name == "organization" and isinstance(value, dict):
        return value.get("id")
    if name == "attributes" and isinstance(value, list):
        return [{k: v for k, v in a.items() if k != "taxonomy_term"} if isinstance(a, dict)
                else a for a in value]
    return value


def field_hashes(record: dict[str, Any]) -> dict[str, str]:
    """A hash of each top-level field's own value (_own; VOLATILE fields left out)."""
    return {k: _hash(_own(k, v)) for k, v in record.items() if k not in VOLATILE}


def record_hash(record: dict[str, Any]) -> str:
    """A hash of the whole record as sent, shared records included (VOLATILE left out)."""
    return _hash({k: v for k, v in record.items() if k not in VOLATILE})


def rendered(ids: list[str]) -> dict[str, dict[str, Any]]:
    """These stored services as Haven's API renders them (those that exist)."""
    return {svc.id: hsds.service_json(svc) for svc in load_services(ids)}


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(dt.UTC).replace(tzinfo=None) if when.tzinfo else when


def _hidden_streets(ids: list[str]) -> set[str]:
    """Those of these services with a confidential place whose street is stored here: the
    API's rendering leaves it out, so an import of any rendering would lose it."""
    return set(db.session.scalars(
        select(ServiceAtLocation.service_id)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(ServiceAtLocation.service_id.in_(ids), Location.confidential.is_(True),
               Location.address_1.is_not(None), Location.address_1 != "")))


def _decided(ids: list[str]) -> set[str]:
    """Those of these services a person acted on after their conflicts were flagged."""
    return set(db.session.scalars(
        select(SyncOrigin.service_id)
        .where(SyncOrigin.service_id.in_(ids), SyncOrigin.conflicts.is_not(None),
               decided(SyncOrigin.service_id, SyncOrigin.conflict_at))))


def plan(item: dict[str, Any], origin: SyncOrigin | None, local: dict[str, Any] | None, *,
         hides_street: bool = False, decided: bool = False) -> Plan:
    """Which fields of one upstream service may be written, which stay local, which
    conflict. A service new here takes upstream's; one made here before it was first
    mirrored keeps every field that differs (as if edited here); one whose stored
    confidential street the rendering leaves out (hides_street) is never written, every
    upstream change waiting for a person. decided: a person acted on the listing after its
    open conflicts were flagged, which settles them."""
    up = field_hashes(item)
    if local is None:
        return Plan(item, item, up)
    if origin is None:
        # upstream's values as the baseline: what differs here counts as changed here
        return Plan(item, None, up, baseline=up)
    base_up = json.loads(origin.upstream_fields)
    base_local = json.loads(origin.local_fields)
    now = field_hashes(local)
    changed_here = {k for k in now.keys() | base_local.keys() if now.get(k) != base_local.get(k)}
    # a local value equal to upstream's new one needs no protecting: it is upstream's now
    kept = {k for k in changed_here if now.get(k) != up.get(k)}
    changed_up = {k for k in up.keys() | base_up.keys() if up.get(k) != base_up.get(k)}
    settled = {k for k in json.loads(origin.conflicts or "{}")
               if decided or now.get(k) == up.get(k)}
    if hides_street and changed_up:
        # writing would put the public rendering's place (no street) in the stored one's
        return Plan(item, None, up, kept | changed_up, {k: item.get(k) for k in changed_up},
                    settled)
    record = dict(item)
    for k in kept:
        if k in local:
            record[k] = local[k]
        else:
            record.pop(k, None)
    return Plan(item, record, up, kept, {k: item.get(k) for k in kept & changed_up}, settled)


def _validated(records: list[Record], schema_dir: str) -> tuple[importer.Rows, list[str]]:
    """The rows of the records that validate, and the problems of those that do not (the
    importer refuses a whole batch; a pull writes the rest of the page and names these)."""
    try:
        return importer.build_rows(records, schema_dir), []
    except ImportError_ as exc:
        bad = [r for r in records if any(e.startswith(r.label() + ":") for e in exc.errors)]
        if not bad:
            raise
        rest = [r for r in records if r not in bad]
        return importer.build_rows(rest, schema_dir), exc.errors


def apply_page(items: list[Any], source: str, schema_dir: str, fetched_at: dt.datetime,
               label: str) -> PageResult:
    """Compare and write one page of upstream services (the caller commits); label names
    where they came from in refusals."""
    out = Summary()
    records: dict[int, dict[str, Any]] = {}
    for i, item in enumerate(items, 1):
        if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
            records[i] = item
        else:
            out.refusals.append(f"{label}: record {i}: not an HSDS service (no id)")
    ids = [r["id"].lower() for r in records.values()]
    origins = {o.service_id: o for o in db.session.scalars(
        select(SyncOrigin).where(SyncOrigin.service_id.in_(ids)))}
    before = rendered(ids)
    streets, people = _hidden_streets(ids), _decided(ids)
    newest = max((w for w in (_when(r.get("last_modified")) for r in records.values()) if w),
                 default=None)
    plans: dict[int, Plan] = {}
    same: list[str] = []
    for i, item in records.items():
        sid = item["id"].lower()
        origin = origins.get(sid)
        if origin is not None and sid in before and origin.upstream_hash == record_hash(item):
            same.append(sid)
            continue
        plans[i] = plan(item, origin, before.get(sid), hides_street=sid in streets,
                        decided=sid in people)
    batch = [Record(label, i, p.record) for i, p in plans.items() if p.record is not None]
    rows, problems = _validated(batch, schema_dir)
    out.refusals += problems
    if rows.services:
        importer.write_rows(rows)  # ends with expire_all: origins are read again below
    written = {s["id"] for s in rows.services}
    after = rendered(list(written))
    origins = {o.service_id: o for o in db.session.scalars(
        select(SyncOrigin).where(SyncOrigin.service_id.in_(ids)))}
    for sid in same:
        origins[sid].fetched_at = fetched_at  # fetched again, nothing new
    out.unchanged += len(same)
    for p in plans.values():
        sid = p.item["id"].lower()
        if p.record is None or sid in written:
            _record(p, source, fetched_at, origins.get(sid), before.get(sid), after, out)
    return PageResult(out, newest)


def _record(p: Plan, source: str, fetched_at: dt.datetime, origin: SyncOrigin | None,
            was: dict[str, Any] | None, after: dict[str, dict[str, Any]], out: Summary) -> None:
    """Keep what was fetched and stored for one service, and count it."""
    sid = p.item["id"].lower()
    now = after.get(sid) or was or {}
    base_local = json.loads(origin.local_fields) if origin else {}
    local = p.baseline if p.baseline is not None else base_local if p.record is None else {
        **{k: v for k, v in field_hashes(now).items() if k not in p.kept},
        **{k: base_local[k] for k in p.kept if k in base_local}}
    conflicts = json.loads(origin.conflicts or "{}") if origin else {}
    for k in p.settled:
        conflicts.pop(k, None)
    conflicts.update({k: {"upstream": v} for k, v in p.conflicts.items()})
    if origin is None:
        origin = SyncOrigin(service_id=sid)
        db.session.add(origin)
    origin.source, origin.fetched_at = source, fetched_at
    origin.upstream_modified = _when(p.item.get("last_modified"))
    origin.upstream_hash, origin.upstream_fields = record_hash(p.item), json.dumps(p.up)
    origin.local_fields = json.dumps(local)
    if p.conflicts:
        origin.conflict_at = fetched_at
    origin.conflicts = json.dumps(conflicts, ensure_ascii=False) if conflicts else None
    if not conflicts:
        origin.conflict_at = None
    if was is None:
        out.added += 1
    elif was.get("status") in VISIBLE_STATUSES and now.get("status") not in VISIBLE_STATUSES:
        out.retired += 1
    elif p.conflicts:
        out.conflicts += 1
        out.conflicted.append((sid, str(now.get("name", "")), sorted(p.conflicts)))
    elif field_hashes(was) != field_hashes(now):
        out.updated += 1
    else:
        out.unchanged += 1
