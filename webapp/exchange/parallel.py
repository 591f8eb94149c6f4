"""A large HSDS import on every core.

Worker processes (forked: they share the parsed records, and never touch the database) check
records and turn them into rows and search data, a chunk at a time, while this process writes
each chunk as it comes back, in order, in one transaction. What it writes, and what it refuses
with which messages, is what build_rows and commit_rows do on one core
(tests/test_import_parallel.py holds the two together):
- every record is checked and every problem reported, in record order;
- one problem anywhere and nothing is written: writing stops at the first, and the
  transaction is rolled back at the end;
- the organisations the records carry are written first, so a service may refer by id to an
  organisation that a later record carries, as it may on one core;
- records of other kinds (taxonomies, terms, organisations: a CSV package has them all) are
  checked and written on one core first, in the same transaction, so the services may name
  them by id;
- a place named by location_id alone must be stored, or carried by a record of the same
  chunk or an earlier one (an import naming one carried only later runs on one core);
- a location one copy calls confidential stays so in the chunks after it, and a record given
  again differently in a later chunk is named, as on one core.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from webapp import bulk
from webapp.directory import taxonomy
from webapp.exchange import hsds, importer, shaping
from webapp.exchange.importer import ImportError_, Outcome, Record, Rows
from webapp.exchange.places import location as shape_location
from webapp.extensions import db
from webapp.models import (
    Location,
    Organization,
    SearchDoc,
    SearchVocab,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
    service_terms,
)
from webapp.search import changelog, indexer

# What an import writes (bulk.repack rebuilds their indexes after a large first load).
TABLES = [Organization.__table__, Location.__table__, Service.__table__,
          *(table for table, _ in importer.parts(Rows())), SearchDoc.__table__,
          SearchVocab.__table__]
FROM = 5000  # fewer records: one core (starting the workers costs more than they save)
CHUNK = 1000  # records per piece of work


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def worth_it(count: int) -> bool:
    """Whether an import of this many records runs in worker processes."""
    return (count >= FROM and cores() > 1
            and "fork" in multiprocessing.get_all_start_methods())


FIRST = ("taxonomy", "taxonomy_term", "organization")  # kinds written on one core, first


def takes(records: list[Record]) -> bool:
    """Whether these records import in worker processes: enough services, every other
    record one written first (no organisation carrying services), none a partial record, and
    no place named by id before the record carrying it (see the module's doc)."""
    services = 0
    for rec in records:
        if rec.keep_extras or not isinstance(rec.data, dict):
            return False
        if rec.kind == "service":
            services += 1
        elif rec.kind not in FIRST or (rec.kind == "organization" and rec.data.get("services")):
            return False
    return worth_it(services) and not _places(
        [r for r in records if r.kind == "service"]).forward


@dataclass
class _Places:
    """What the service records say of their places, by chunk (CHUNK records each)."""

    forward: bool = False  # a place named by id before the chunk carrying it
    confidential: dict[str, int] = field(default_factory=dict)  # id -> first chunk saying so


def _places(records: list[Record]) -> _Places:
    carried: dict[str, int] = {}
    named: list[tuple[str, int]] = []
    out = _Places()
    for i, rec in enumerate(records):
        chunk = i // CHUNK
        org = rec.data.get("organization")
        places = [p for p in (org.get("locations") or [] if isinstance(org, dict) else [])
                  if isinstance(p, dict)]
        for sal in rec.data.get("service_at_locations") or []:
            if not isinstance(sal, dict):
                continue
            if isinstance(sal.get("location"), dict):
                places.append(sal["location"])
            elif isinstance(sal.get("location_id"), str):
                named.append((shaping.stored_id(sal["location_id"]), chunk))
        for place in places:
            lid = shaping.stored_id(place.get("id"))
            if isinstance(lid, str):
                carried.setdefault(lid, chunk)
                if place.get("confidential") is True:
                    out.confidential.setdefault(lid, chunk)
    out.forward = any(carried.get(lid, chunk) > chunk for lid, chunk in named)
    return out


@dataclass
class _Job:
    """What the workers read (inherited through fork, never sent)."""

    records: list[Record]
    schema_dir: str
    known_terms: dict[str, str]  # term id -> code, for attributes that refer to one by id
    duplicate_of: dict[int, str]  # record position -> label of the first with its id
    stored: dict[str, dict[Any, tuple[Any, ...]]]  # table -> key -> values, for sources()
    dialect: Any  # the database's, to prepare the parts for its driver (bulk.prepare)
    confidential: dict[str, int] = field(default_factory=dict)  # see _Places


_JOB: _Job | None = None


@dataclass
class _Piece:
    """One chunk, checked and turned into rows by a worker."""

    span: tuple[int, int]
    problems: list[tuple[int, list[str]]]  # record position, its problems
    rows: Rows
    derived: indexer.Derived


def _given(key: Any, columns: tuple[Any, ...], wanted: set[Any]) -> dict[Any, tuple[Any, ...]]:
    """importer.Lookup from the maps the job carries, not the database."""
    assert _JOB is not None
    held = _JOB.stored.get(key.class_.__tablename__, {})
    return {k: held[k] for k in wanted if k in held}


def _work(span: tuple[int, int]) -> _Piece:
    """In a worker: check the records of span and build their rows, as build_rows would."""
    job = _JOB
    assert job is not None
    rows = Rows()
    # A place an earlier chunk calls confidential stays so here (places.location keeps a
    # confidential copy's flag); the stand-ins not replaced by a copy of this chunk go.
    chunk = span[0] // CHUNK
    stand_ins = {lid: {"confidential": True, "organization_id": None}
                 for lid, first in job.confidential.items() if first < chunk}
    rows.locations.update(stand_ins)
    problems: list[tuple[int, list[str]]] = []
    for i in range(*span):
        rec = job.records[i]
        found = importer.check(rec, job.schema_dir)
        if i in job.duplicate_of:
            found.append(f"field 'id': duplicate of {job.duplicate_of[i]}")
        if not found:
            rows.record_label = rec.label()  # its messages name it as one core's do
            found = shaping.collect(rec.data, rows, job.known_terms)
        if found:
            problems.append((i, found))
    for lid, stand_in in stand_ins.items():
        if rows.locations.get(lid) is stand_in:
            del rows.locations[lid]
    if problems:  # never written: nothing more to build
        return _Piece(span, problems, rows, indexer.Derived())
    derived = indexer.derive(importer.sources(rows, _given))
    # The parts, which are only inserted, go back ready for the driver: this process has
    # the CPU to spare, the writing one does not (and tuples travel lighter than dicts).
    for ready, tables in ((rows.ready, importer.parts(rows)), (derived.ready, derived.tables())):
        for table, batch in tables:
            if batch and (prepared := bulk.prepare(table, batch, job.dialect)) is not None:
                ready[table.name] = prepared
                batch.clear()
    return _Piece(span, problems, rows, derived)


def _carried_organizations(records: list[Record]) -> dict[str, dict[str, Any]]:
    """The organisation rows the records carry (the last of each id wins, as on one core).

    Read before any record is checked, so only objects whose fields have the types the
    schema demands are taken: a record with another is refused, and nothing is written."""
    out: dict[str, dict[str, Any]] = {}
    for rec in records:
        org = rec.data.get("organization") if isinstance(rec.data, dict) else None
        if (isinstance(org, dict) and isinstance(org.get("id"), str)
                and isinstance(org.get("name"), str)
                and all(isinstance(org.get(k), str | None)
                        for k in ("description", "website", "email"))):
            row = shaping.org_row(org)
            out[row["id"]] = row  # keyed as stored (lower case), as the chunks' rows are
    return out


def run(records: list[Record], schema_dir: str, *, dry_run: bool = False,
        progress: Callable[[int], None] | None = None, workers: int | None = None) -> Outcome:
    """Import these records on every core, all or nothing (dry_run: check only)."""
    with bulk.references_checked_by_caller():  # the writer checks every reference
        return _checked_run(records, schema_dir, dry_run, progress, workers)


def _first(records: list[Record], schema_dir: str,
           progress: Callable[[int], None] | None) -> tuple[Rows | None, list[str]]:
    """Check and write the records that are not services (taxonomies, terms, organisations)
    on one core, inside the transaction; (their rows, []) or (None, their errors)."""
    if not records:
        return Rows(), []
    try:
        rows = importer.build_rows(records, schema_dir, progress)
    except ImportError_ as exc:
        return None, exc.errors
    importer.write_tables(rows)
    return rows, []


def _checked_run(records: list[Record], schema_dir: str, dry_run: bool,
                 progress: Callable[[int], None] | None, workers: int | None) -> Outcome:
    global _JOB
    try:
        importer.ensure_taxonomies()  # as commit_rows does, inside the transaction
        first, refused = _first([r for r in records if r.kind != "service"], schema_dir,
                                progress)
        records = [r for r in records if r.kind == "service"]
        hsds.schema_errors(schema_dir, "service", {})  # compile the checks before the fork
        stored_terms = {tid: (tax, code) for tid, tax, code in db.session.execute(
            select(TaxonomyTerm.id, TaxonomyTerm.taxonomy_name, TaxonomyTerm.code))}
        known_terms = {t.id: t.code for t in taxonomy.ALL_TERMS}
        known_terms.update(dict.fromkeys(stored_terms, ""))
        stored_orgs = {oid: (name,) for oid, name in db.session.execute(
            select(Organization.id, Organization.name))}
        stored_services = db.session.scalar(select(func.count()).select_from(Service)) or 0
        carried = _carried_organizations(records)
        names = {**stored_orgs, **{oid: (o["name"],) for oid, o in carried.items()}}
        said = _places(records)
        for lid, loc in (first.locations if first is not None else {}).items():
            if loc["confidential"]:  # an organisation's place: every chunk comes after it
                said.confidential[lid] = -1
        named = _named_places(records)
        stored_places = {lid: (city, region) for lid, city, region in db.session.execute(
            select(Location.id, Location.city, Location.region)
            .where(Location.id.in_(sorted(named))))} if named else {}
        # Where a place named by id alone is, for the search data (a copy carried in the
        # import is what gets stored, as on one core)
        where = {**stored_places, **_carried_places(records, named)}
        _JOB = _Job(records, schema_dir, known_terms, shaping.duplicates(records),
                    {"organization": names, "taxonomy_term": stored_terms, "location": where},
                    db.session.connection().dialect, said.confidential)
        writer = None if dry_run or _JOB.duplicate_of or refused else \
            _Writer(set(stored_orgs), set(stored_terms), carried, set(stored_places))
        if writer is not None and first is not None:
            writer.place_orgs.update({lid: loc["organization_id"]
                                      for lid, loc in first.locations.items()})
        with bulk.paused_gc(), bulk.large_cache():
            # As many workers as cores: the writer waits on the database much of the time.
            outcome = _run(records, writer, set(stored_orgs), set(stored_places), progress,
                           workers or cores(), refused,
                           dict(first.given) if first is not None else {})
            if first is not None:
                outcome.warnings[:0] = first.warnings
                outcome.notices[:0] = first.notices
            if writer is not None:
                changelog.lock_seq()  # last, as the editor takes it: after the rows it writes
                indexer.finish(writer.ids, writer.delta)
        if writer is None:
            db.session.rollback()
        else:
            db.session.commit()
            db.session.expire_all()  # written with Core: objects loaded before are stale
            added = len(writer.ids) - writer.replaced
            if added and added >= stored_services:  # the tables (at least) doubled
                bulk.repack(TABLES)
        return outcome
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _JOB = None


class _Writer:
    """Writes checked chunks into the session's transaction, as write_rows would."""

    def __init__(self, stored_orgs: set[str], stored_terms: set[str],
                 carried: dict[str, dict[str, Any]], stored_places: set[str]) -> None:
        self.organizations = stored_orgs | set(carried)
        self.terms = stored_terms
        self.locations = set(stored_places)  # and, as chunks are written, theirs
        # the organisation of each place written (a later copy naming none keeps it)
        self.place_orgs: dict[str, str | None] = {}
        importer.write_tables(Rows(organizations=carried))  # first: see the module's doc
        self.ids: list[str] = []
        self.replaced = 0  # of them, services that were stored before
        self.delta: Counter[str] = Counter()

    def write(self, piece: _Piece) -> bool:
        """Write one checked chunk; False (nothing written) when a service in it refers to
        an organisation nobody carries: the import will be refused for it."""
        rows = piece.rows
        if any(s["organization_id"] not in self.organizations
               for s in rows.services if s["organization_id"]):
            return False
        if any(lid not in rows.locations and lid not in self.locations
               for _where, lid in rows.places_by_id):
            return False  # a place nobody carries: refused for it at the end
        for lid, loc in rows.locations.items():  # as build_rows: an unknown one is dropped
            if loc["organization_id"] is None:
                loc["organization_id"] = self.place_orgs.get(lid)
            if loc["organization_id"] not in self.organizations:
                loc["organization_id"] = None
            self.place_orgs[lid] = loc["organization_id"]
        rows.organizations = {}  # written first
        sids = [s["id"] for s in rows.services]
        self.terms.update(rows.terms)
        _check_references(rows, piece.derived, set(sids), self.terms, self.locations)
        self.locations.update(rows.locations)
        before = importer.write_tables(rows)
        indexer.store_derived(sids, piece.derived, self.delta, before)
        self.ids += sids
        self.replaced += len(before)
        return True


def _check_references(rows: Rows, derived: indexer.Derived, services: set[str],
                      terms: set[str], places: set[str]) -> None:
    """Every reference a chunk's rows make holds (the database's own check may be off, see
    bulk.references_checked_by_caller): parts belong to the chunk's services, a service's
    place to the chunk's locations or one stored or written before (places), a category to a
    stored term or one of the chunk's.
    Services' and locations' organisations are checked by the writer before this."""
    def column(ready: dict[str, bulk.Prepared], table: Any, batch: list[dict[str, Any]],
               name: str) -> list[Any]:
        if table.name in ready:
            return ready[table.name].column(name)
        return [r[name] for r in batch]

    tables = [(rows.ready, t, b) for t, b in importer.parts(rows)] + \
        [(derived.ready, t, b) for t, b in derived.tables()]
    broken = [f"service {sid}" for ready, table, batch in tables
              for sid in column(ready, table, batch, "service_id") if sid not in services]
    broken += [f"location {lid}" for lid in column(rows.ready, ServiceAtLocation.__table__,
                                                   rows.sals, "location_id")
               if lid not in rows.locations and lid not in places]
    broken += [f"taxonomy term {tid}" for tid in column(rows.ready, service_terms, rows.links,
                                                        "term_id")
               if tid not in terms]
    broken += [f"taxonomy {t['taxonomy_id']}" for t in rows.terms.values()
               if t["taxonomy_id"] and t["taxonomy_id"] not in rows.taxonomies]
    if broken:  # a fault in the importer, not in the file: stop before writing it
        raise RuntimeError(f"import rows refer to what is not written: {broken[:5]}")


def _named_places(records: list[Record]) -> set[str]:
    """The ids of the places service_at_locations name by location_id alone."""
    return {shaping.stored_id(sal["location_id"]) for rec in records
            for sal in rec.data.get("service_at_locations") or []
            if isinstance(sal, dict) and not isinstance(sal.get("location"), dict)
            and isinstance(sal.get("location_id"), str)}


def _carried_places(records: list[Record], named: set[str]) -> dict[str, tuple[Any, ...]]:
    """(city, region) of each place in named as the last copy the records carry has it."""
    last: dict[str, dict[str, Any]] = {}
    for rec in records:
        for sal in rec.data.get("service_at_locations") or []:
            loc = sal.get("location") if isinstance(sal, dict) else None
            if isinstance(loc, dict) and shaping.stored_id(loc.get("id")) in named:
                last[shaping.stored_id(loc["id"])] = loc
        org = rec.data.get("organization")
        for loc in org.get("locations") or [] if isinstance(org, dict) else []:
            if isinstance(loc, dict) and shaping.stored_id(loc.get("id")) in named:
                last[shaping.stored_id(loc["id"])] = loc
    out: dict[str, tuple[Any, ...]] = {}
    for lid, loc in last.items():
        shaper = shaping.Shaper(Rows(), {})
        try:
            shape_location(shaper, loc, "")
        except (TypeError, ValueError, AttributeError):
            continue  # a copy the checks refuse: the import is refused for it
        row = shaper.rows.locations[lid]
        out[lid] = (row["city"], row["region"])
    return out


def _run(records: list[Record], writer: _Writer | None, stored_orgs: set[str],
         stored_places: set[str], progress: Callable[[int], None] | None, workers: int,
         refused: list[str], given: dict[tuple[str, str], tuple[str, str, Any]]) -> Outcome:
    """Hand out the chunks and write what comes back, in order; raise ImportError_ at the
    end when any record was refused (refused: the errors of the records checked before;
    given: the copies of organisations, places, terms they carried; the caller rolls
    back)."""
    errors: list[str] = list(refused)
    warnings: list[str] = []
    notices: list[str] = []
    places = set(stored_places)  # and, below, the ones the checked records carry
    named: list[tuple[str, str]] = []  # (where, location id) of places named by id alone
    services = 0
    organizations = set(stored_orgs)  # and, below, the ones the checked records carry
    refs: list[tuple[str, str]] = []  # (service id, organization id) of every service
    refused_by_writer = False
    spans = deque((i, min(i + CHUNK, len(records))) for i in range(0, len(records), CHUNK))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        waiting: deque[Any] = deque()
        try:
            while spans or waiting:
                while spans and len(waiting) < 2 * workers:  # a few ahead, not all in memory
                    waiting.append(pool.apply_async(_work, (spans.popleft(),)))
                piece: _Piece = waiting.popleft().get()
                for i, problems in piece.problems:
                    errors.extend(f"{records[i].label()}: {p}" for p in problems)
                rows = piece.rows
                for ident, copy in rows.first_given.items():  # the last copy so far, changed
                    if ident in given:
                        warnings += shaping.given_again(ident[0], given[ident], copy)
                given.update(rows.given)
                warnings += rows.warnings
                notices += rows.notices
                services += len(rows.services)
                organizations.update(rows.organizations)
                places.update(rows.locations)
                named += rows.places_by_id
                refs += [(s["id"], s["organization_id"]) for s in rows.services
                         if s["organization_id"]]
                if writer is not None and (errors or not writer.write(piece)):
                    # Refused (below: an unknown organisation or place is one of the errors, as
                    # a refused write means): check the rest, write nothing more.
                    refused_by_writer = not errors
                    writer = None
                if progress:
                    progress(piece.span[1] - piece.span[0])
        finally:
            # Leaving early (a write failed, a worker raised): every chunk still in flight
            # is received first. The pool's exit terminates it, and a worker stopped while it
            # sent a chunk held the result queue's lock for ever: the import hung.
            for pending in waiting:
                pending.wait()

    errors += [f"{where}: field 'location_id': unknown location {lid} (include the location "
               "object)" for where, lid in named if lid not in places]  # as build_rows
    unknown = [(sid, oid) for sid, oid in refs if oid not in organizations]
    if unknown:  # as build_rows words it
        label = shaping.labels(records)
        errors += [f"{label.get(sid, sid)}: field 'organization_id': unknown organization "
                   f"{oid} (include the organization object)" for sid, oid in unknown]
    if errors:
        raise ImportError_(errors)
    if refused_by_writer:  # a fault in the importer: never commit part of an import
        raise RuntimeError("the writer refused a chunk that no check refused")
    return Outcome(services, warnings, notices)
