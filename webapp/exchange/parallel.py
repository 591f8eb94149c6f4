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
  organisation that a later record carries, as it may on one core.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from webapp import bulk
from webapp.directory import taxonomy
from webapp.exchange import hsds, importer, shaping
from webapp.exchange.importer import ImportError_, Outcome, Record, Rows
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


@dataclass
class _Job:
    """What the workers read (inherited through fork, never sent)."""

    records: list[Record]
    schema_dir: str
    known_terms: dict[str, str]  # term id -> code, for attributes that refer to one by id
    duplicate_of: dict[int, str]  # record position -> label of the first with its id
    stored: dict[str, dict[Any, tuple[Any, ...]]]  # table -> key -> values, for sources()
    dialect: Any  # the database's, to prepare the parts for its driver (bulk.prepare)


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
    problems: list[tuple[int, list[str]]] = []
    for i in range(*span):
        rec = job.records[i]
        found = importer.check(rec, job.schema_dir)
        if i in job.duplicate_of:
            found.append(f"field 'id': duplicate of {job.duplicate_of[i]}")
        if not found:
            found = shaping.collect(rec.data, rows, job.known_terms)
        if found:
            problems.append((i, found))
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


def _checked_run(records: list[Record], schema_dir: str, dry_run: bool,
                 progress: Callable[[int], None] | None, workers: int | None) -> Outcome:
    global _JOB
    try:
        importer.ensure_taxonomies()  # as commit_rows does, inside the transaction
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
        _JOB = _Job(records, schema_dir, known_terms, shaping.duplicates(records),
                    {"organization": names, "taxonomy_term": stored_terms},
                    db.session.connection().dialect)
        writer = None if dry_run or _JOB.duplicate_of else \
            _Writer(set(stored_orgs), set(stored_terms), carried)
        with bulk.paused_gc(), bulk.large_cache():
            # As many workers as cores: the writer waits on the database much of the time.
            outcome = _run(records, writer, set(stored_orgs), progress, workers or cores())
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
                 carried: dict[str, dict[str, Any]]) -> None:
        self.organizations = stored_orgs | set(carried)
        self.terms = stored_terms
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
        for loc in rows.locations.values():  # as build_rows: an unknown one is dropped
            if loc["organization_id"] not in self.organizations:
                loc["organization_id"] = None
        rows.organizations = {}  # written first
        sids = [s["id"] for s in rows.services]
        self.terms.update(rows.terms)
        _check_references(rows, piece.derived, set(sids), self.terms)
        before = importer.write_tables(rows)
        indexer.store_derived(sids, piece.derived, self.delta, before)
        self.ids += sids
        self.replaced += len(before)
        return True


def _check_references(rows: Rows, derived: indexer.Derived, services: set[str],
                      terms: set[str]) -> None:
    """Every reference a chunk's rows make holds (the database's own check may be off, see
    bulk.references_checked_by_caller): parts belong to the chunk's services, a service's
    place to the chunk's locations, a category to a stored term or one of the chunk's.
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
               if lid not in rows.locations]
    broken += [f"taxonomy term {tid}" for tid in column(rows.ready, service_terms, rows.links,
                                                        "term_id")
               if tid not in terms]
    broken += [f"taxonomy {t['taxonomy_id']}" for t in rows.terms.values()
               if t["taxonomy_id"] and t["taxonomy_id"] not in rows.taxonomies]
    if broken:  # a fault in the importer, not in the file: stop before writing it
        raise RuntimeError(f"import rows refer to what is not written: {broken[:5]}")


def _run(records: list[Record], writer: _Writer | None, stored_orgs: set[str],
         progress: Callable[[int], None] | None, workers: int) -> Outcome:
    """Hand out the chunks and write what comes back, in order; raise ImportError_ at the
    end when any record was refused (the caller rolls back)."""
    errors: list[str] = []
    warnings: list[str] = []
    services = 0
    organizations = set(stored_orgs)  # and, below, the ones the checked records carry
    refs: list[tuple[str, str]] = []  # (service id, organization id) of every service
    refused_by_writer = False
    spans = deque((i, min(i + CHUNK, len(records))) for i in range(0, len(records), CHUNK))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        waiting: deque[Any] = deque()
        while spans or waiting:
            while spans and len(waiting) < 2 * workers:  # a few ahead, not all in memory
                waiting.append(pool.apply_async(_work, (spans.popleft(),)))
            piece: _Piece = waiting.popleft().get()
            for i, problems in piece.problems:
                errors.extend(f"{records[i].label()}: {p}" for p in problems)
            rows = piece.rows
            warnings += rows.warnings
            services += len(rows.services)
            organizations.update(rows.organizations)
            refs += [(s["id"], s["organization_id"]) for s in rows.services
                     if s["organization_id"]]
            if writer is not None and (errors or not writer.write(piece)):
                # Refused (below: an unknown organisation is one of the errors, as a
                # refused write means): check the rest, write nothing more.
                refused_by_writer = not errors
                writer = None
            if progress:
                progress(piece.span[1] - piece.span[0])
    unknown = [(sid, oid) for sid, oid in refs if oid not in organizations]
    if unknown:  # as build_rows words it
        label = shaping.labels(records)
        errors += [f"{label.get(sid, sid)}: field 'organization_id': unknown organization "
                   f"{oid} (include the organization object)" for sid, oid in unknown]
    if errors:
        raise ImportError_(errors)
    if refused_by_writer:  # a fault in the importer: never commit part of an import
        raise RuntimeError("the writer refused a chunk that no check refused")
    return Outcome(services, warnings)
