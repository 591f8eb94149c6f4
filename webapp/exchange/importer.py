"""Import HSDS 3.0 records (services, organizations, service_at_locations, taxonomies and
taxonomy terms): validate everything first, then write all of it or nothing."""

# read_records, Record and ImportError_ live in sources.py, Rows in shaping.py; re-exported
# for callers.

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import force_locale
from sqlalchemy import bindparam, delete, select, update

from webapp import bulk
from webapp.directory import taxonomy
from webapp.exchange import extras, hsds, semantics
from webapp.exchange.shaping import Rows, collect, duplicates, labels
from webapp.exchange.sources import ImportError_, Record, read_records
from webapp.extensions import db
from webapp.models import (
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceTranslation,
    Taxonomy,
    TaxonomyTerm,
    service_terms,
)
from webapp.search import indexer

# Records are shaped in this order (a file's order within a kind), so that what one refers
# to by id alone (a term, an organisation) is known by then.
KINDS = ("taxonomy", "taxonomy_term", "organization", "service", "service_at_location")


def check(rec: Record, schema_dir: str) -> list[str]:
    """What is wrong with one record by itself (schema, then meaning); [] when nothing."""
    if not isinstance(rec.data, dict):
        return [f"is not a JSON object (expected an HSDS {rec.kind})"]
    return (hsds.schema_errors(schema_dir, rec.kind, rec.data)
            or semantics.check_kind(rec.kind, rec.data))


def build_rows(records: Iterable[Record], schema_dir: str,
               progress: Callable[[int], None] | None = None) -> Rows:
    """Validate every record; raise ImportError_ listing every problem, or return rows.
    What cannot be kept as given is in the rows' warnings, each naming its field path."""
    errors: list[str] = []
    rows = Rows()
    records_list = list(records)
    duplicate_of = duplicates(records_list)
    known_terms = {t.id: t.code for t in taxonomy.ALL_TERMS}
    known_terms.update({tid: "" for tid in db.session.scalars(select(TaxonomyTerm.id))})
    known_orgs = set(db.session.scalars(select(Organization.id)))
    order = sorted(range(len(records_list)), key=lambda i: KINDS.index(records_list[i].kind)
                   if records_list[i].kind in KINDS else len(KINDS))
    for i in order:
        rec = records_list[i]
        problems = check(rec, schema_dir)
        if i in duplicate_of:
            problems.append(f"field 'id': duplicate of {duplicate_of[i]}")
        if not problems:
            problems = collect(rec.data, rows, known_terms, kind=rec.kind,
                               keep_extras=rec.keep_extras, where=rec.label())
        errors.extend(f"{rec.label()}: {p}" for p in problems)
        if progress:
            progress(1)
    errors += _places_known(rows)
    _one_row_per_place(rows)
    # References to organizations that neither the batch nor the database has: a service's
    # is an error; a location's (unused by Haven) is dropped so the link stays consistent.
    known_orgs |= set(rows.organizations)
    label = labels(records_list)
    for svc in rows.services:
        if svc["organization_id"] and svc["organization_id"] not in known_orgs:
            errors.append(f"{label.get(svc['id'], svc['id'])}: field 'organization_id': "
                          f"unknown organization {svc['organization_id']} (include the "
                          "organization object)")
    for loc in rows.locations.values():
        if loc["organization_id"] not in known_orgs:
            # Kept as given (served from the extras), not as a link to nothing.
            if loc["organization_id"] is not None and "hsds_extra" in loc:
                extra = extras.loads(loc["hsds_extra"])
                extra["organization_id"] = loc["organization_id"]
                loc["hsds_extra"] = extras.dumps(extra)
            loc["organization_id"] = None
    if errors:
        raise ImportError_(errors)
    return rows


def _places_known(rows: Rows) -> list[str]:
    """A service_at_location naming its location by id alone needs it stored or imported."""
    wanted = {lid for _, lid in rows.places_by_id if lid not in rows.locations}
    if not wanted:
        return []
    stored = _existing(Location, sorted(wanted))
    return [f"{where}: field 'location_id': unknown location {lid} (include the location "
            "object)" for where, lid in rows.places_by_id
            if lid not in rows.locations and lid not in stored]


def _one_row_per_place(rows: Rows) -> None:
    """A service_at_location given twice (in its own record and in its service's) is
    written once: the later one."""
    if len({s["id"] for s in rows.sals}) < len(rows.sals):
        rows.sals = list({s["id"]: s for s in rows.sals}.values())


def _existing(model: Any, ids: list[str]) -> set[str]:
    """Which of these ids the model's table holds."""
    found: set[str] = set()
    # One statement whatever the ids (an expanding parameter): compiled once, not per chunk.
    stmt = select(model.id).where(model.id.in_(bindparam("ids", expanding=True)))
    for i in range(0, len(ids), 500):
        found.update(db.session.scalars(stmt, {"ids": ids[i:i + 500]}))
    return found


def _upsert(model: Any, rows: list[dict[str, Any]], existing: set[str] | None = None) -> None:
    if not rows:
        return
    if existing is None:
        existing = _existing(model, [r["id"] for r in rows])
    new = [r for r in rows if r["id"] not in existing]
    old = [r for r in rows if r["id"] in existing]
    if any("hsds_extra" in r for r in new):  # one shape for the batch (a stub has none)
        for r in new:
            r.setdefault("hsds_extra", None)
    if new:
        bulk.insert_rows(model.__table__, new)
    if old:
        db.session.execute(update(model), old)


def write_rows(rows: Rows, *, bump_revision: bool = True) -> int:
    """Write one validated import inside the caller's transaction; returns services written.

    Every service written over gets a new revision, so an editor's form opened before the
    import cannot silently overwrite it (optimistic locking); the editor bumps its
    own."""
    before = write_tables(rows, bump_revision=bump_revision)
    sids = [s["id"] for s in rows.services]
    indexer.reindex(sids, sources(rows, _stored), stored=before)
    db.session.expire_all()  # written with Core: objects loaded before would be stale
    return len(sids)


def parts(rows: Rows) -> list[tuple[Any, list[dict[str, Any]]]]:
    """(table, rows) of a service's parts, which are only ever inserted (after deleting the
    old ones of a service written over)."""
    return [(Phone.__table__, rows.phones), (Schedule.__table__, rows.schedules),
            (Language.__table__, rows.languages),
            (ServiceTranslation.__table__, rows.translations),
            (ServiceAtLocation.__table__, rows.sals), (service_terms, rows.links)]


def write_tables(rows: Rows, *, bump_revision: bool = True) -> set[str]:
    """The directory tables of these rows (replacing the services' phones, schedules and
    other parts), without their search data; returns the services that were stored before
    (only theirs have parts to replace: a new one's are just inserted)."""
    sids = [s["id"] for s in rows.services]
    before = _existing(Service, sids)
    old = [sid for sid in sids if sid in before]
    for i in range(0, len(old), 500):
        chunk = old[i:i + 500]
        _carry_extras(rows, chunk)
        for model in (Phone, Schedule, Language, ServiceTranslation, ServiceAtLocation):
            db.session.execute(delete(model).where(model.service_id.in_(chunk)))
        db.session.execute(delete(service_terms).where(service_terms.c.service_id.in_(chunk)))
    _fill_missing_extras(rows)
    stubs = {tid for tid, t in rows.taxonomies.items() if t.pop("_stub", False)}
    if stubs:  # a taxonomy a term only names never overwrites one stored
        for tid in _existing(Taxonomy, sorted(stubs)):
            del rows.taxonomies[tid]
    _upsert(Taxonomy, list(rows.taxonomies.values()))
    _upsert(TaxonomyTerm, list(rows.terms.values()))
    _upsert(Organization, list(rows.organizations.values()))
    _upsert(Location, list(rows.locations.values()))
    _upsert(Service, rows.services, before)
    for table, batch in parts(rows):
        bulk.insert(table, batch, rows.ready)
    if bump_revision:
        for i in range(0, len(old), 500):
            db.session.execute(update(Service).where(Service.id.in_(old[i:i + 500]))
                               .values(revision=Service.revision + 1))
    return before


EXTRA_PARTS: tuple[Any, ...] = (Phone, Schedule, Language, ServiceAtLocation)


def _carry_extras(rows: Rows, services: list[str]) -> None:
    """Parts written without extras (an editor's save, which sees only what its form shows)
    keep the stored extras of the part with the same id."""
    for model, batch in zip(EXTRA_PARTS, (rows.phones, rows.schedules, rows.languages,
                                          rows.sals), strict=True):
        wanted = [r for r in batch if "hsds_extra" not in r and r["service_id"] in services]
        if not wanted:
            continue
        stored = {(sid, pid): extra for sid, pid, extra in db.session.execute(
            select(model.service_id, model.id, model.hsds_extra)
            .where(model.service_id.in_(services), model.hsds_extra.is_not(None)))}
        for r in wanted:
            r["hsds_extra"] = stored.get((r["service_id"], r["id"]))


def _fill_missing_extras(rows: Rows) -> None:
    """Inserted parts all name the column (a batch of rows takes one shape)."""
    for batch in (rows.phones, rows.schedules, rows.languages, rows.sals):
        if any("hsds_extra" in r for r in batch):
            for r in batch:
                r.setdefault("hsds_extra", None)


# key column, value columns, wanted keys -> key -> values (the stored rows' or a given map's)
Lookup = Callable[[Any, tuple[Any, ...], set[Any]], dict[Any, tuple[Any, ...]]]


def sources(rows: Rows, stored: Lookup) -> indexer.Sources:
    """What the search data of these services is derived from, as just written (the same
    tuples indexer.read_sources would read back). Organisations, terms and places the rows
    only refer to (the editor keeps places its form does not show) come from stored."""
    org_name = {oid: (o["name"],) for oid, o in rows.organizations.items()}
    org_name.update(stored(Organization.id, (Organization.name,),
                           {s["organization_id"] for s in rows.services} - set(org_name)))
    term_of = {tid: (t["taxonomy_name"], t["code"]) for tid, t in rows.terms.items()}
    term_of.update(stored(TaxonomyTerm.id, (TaxonomyTerm.taxonomy_name, TaxonomyTerm.code),
                          {link["term_id"] for link in rows.links} - set(term_of)))
    place_of = {lid: (loc["city"], loc["region"]) for lid, loc in rows.locations.items()}
    place_of.update(stored(Location.id, (Location.city, Location.region),
                           {sal["location_id"] for sal in rows.sals} - set(place_of)))
    return indexer.Sources(
        [(s["id"], s["name"], s["alternate_name"], s["description"],
          s["eligibility_description"], org_name.get(s["organization_id"], (None,))[0])
         for s in rows.services],
        [(t["service_id"], t["name"], t["description"], t["eligibility_description"])
         for t in rows.translations],
        [(sal["service_id"], *place_of[sal["location_id"]]) for sal in rows.sals
         if sal["location_id"] in place_of],
        [(link["service_id"], *term_of[link["term_id"]]) for link in rows.links],
        [(s["service_id"], s["tz_name"], s["tz_offset"], s["byday"], s["opens_at"],
          s["closes_at"]) for s in rows.schedules],
    )


def _stored(key: Any, columns: tuple[Any, ...], wanted: set[Any]) -> dict[Any, tuple[Any, ...]]:
    """key -> columns of the stored rows whose key is in wanted."""
    ids = sorted(w for w in wanted if w is not None)
    found: dict[Any, tuple[Any, ...]] = {}
    for i in range(0, len(ids), 500):
        for row in db.session.execute(select(key, *columns).where(key.in_(ids[i:i + 500]))):
            found[row[0]] = tuple(row[1:])
    return found


def import_path(path: Path, schema_dir: str,
                progress: Callable[[int], None] | None = None) -> int:
    """Import a file or folder all-or-nothing; returns how many services were written."""
    return import_records(read_records(path), schema_dir, progress=progress).services


@dataclass
class Outcome:
    """What an import did (or, in a dry run, would do): services written, what it could not
    keep as given (warnings, by field path) and what it kept but does not use (notices)."""

    services: int
    warnings: list[str]
    notices: list[str] = field(default_factory=list)


STRICT = ("--strict: nothing is imported while a value would not be kept as given; "
          "the import would change or not keep:")


def import_records(records: list[Record], schema_dir: str, *, dry_run: bool = False,
                   progress: Callable[[int], None] | None = None,
                   strict: bool = False) -> Outcome:
    """Validate these records and write them all in one transaction, or nothing (dry_run:
    validate only; strict: nothing either when any value would be changed or not kept). A
    large import of services runs on every core (exchange/parallel.py)."""
    from webapp.exchange import parallel  # it builds on this module

    if parallel.takes(records):
        if strict:
            checked = parallel.run(records, schema_dir, dry_run=True)
            if checked.warnings:
                raise ImportError_([STRICT, *checked.warnings])
        return parallel.run(records, schema_dir, dry_run=dry_run, progress=progress)
    with bulk.paused_gc():
        rows = build_rows(records, schema_dir, progress)
        if strict and rows.warnings:
            db.session.rollback()
            raise ImportError_([STRICT, *rows.warnings])
        if dry_run:
            db.session.rollback()
            return Outcome(len(rows.services), rows.warnings, rows.notices)
        return Outcome(commit_rows(rows), rows.warnings, rows.notices)


def commit_rows(rows: Rows) -> int:
    """Write validated rows (and Haven's taxonomies) in one transaction, or nothing."""
    try:
        ensure_taxonomies()
        count = write_rows(rows)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return count


def ensure_taxonomies() -> None:
    """Create Haven's two taxonomies and their terms if they are missing."""
    rows = Rows()
    for tax in hsds.haven_taxonomies():
        rows.taxonomies[tax["id"]] = {k: tax[k] for k in ("id", "name", "description", "version")}
    with force_locale("en"):  # stored names are the English source labels
        for t in taxonomy.ALL_TERMS:
            rows.terms[t.id] = {"id": t.id, "taxonomy_id": taxonomy.taxonomy_id(t.taxonomy),
                                "taxonomy_name": t.taxonomy, "code": t.code,
                                "name": str(t.label), "description": t.description}
    _upsert(Taxonomy, list(rows.taxonomies.values()))
    _upsert(TaxonomyTerm, list(rows.terms.values()))


__all__ = ["ImportError_", "Outcome", "Record", "Rows", "build_rows", "commit_rows",
           "ensure_taxonomies", "import_path", "import_records", "read_records", "write_rows"]
