"""Import HSDS 3.0 services: validate everything first, then write all of it or nothing."""

# read_records, Record and ImportError_ live in sources.py; re-exported for callers.

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import force_locale
from sqlalchemy import bindparam, delete, select, update

from webapp import bulk
from webapp.directory import geo, hours, taxonomy
from webapp.exchange import hsds, semantics
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

_FREE_WORDS = re.compile(r"\b(free|gratis|gratuit|gratuito|no cost)\b", re.IGNORECASE)


@dataclass
class Rows:
    """Everything one import writes, table by table."""

    organizations: dict[str, dict[str, Any]] = field(default_factory=dict)
    taxonomies: dict[str, dict[str, Any]] = field(default_factory=dict)
    terms: dict[str, dict[str, Any]] = field(default_factory=dict)
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: list[dict[str, Any]] = field(default_factory=list)
    phones: list[dict[str, Any]] = field(default_factory=list)
    schedules: list[dict[str, Any]] = field(default_factory=list)
    languages: list[dict[str, Any]] = field(default_factory=list)
    translations: list[dict[str, Any]] = field(default_factory=list)
    sals: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # table name -> its rows made ready for the driver, in place of the list above (an
    # import's worker processes prepare phones, schedules and the other parts: see parallel)
    ready: dict[str, bulk.Prepared] = field(default_factory=dict)


def _ts(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo:
                parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
            return parsed.replace(microsecond=0)
        except ValueError:
            pass
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def stored_id(value: Any) -> Any:
    """An id as it is stored: a uuid in lower case (PostgreSQL's uuid type answers in lower
    case whatever it was given, so both backends keep ids one way); None stays None."""
    return value.lower() if isinstance(value, str) else value


def _unique_by_id(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the first of several objects sharing an id (HSDS files repeat nested objects)."""
    by_id: dict[str, dict[str, Any]] = {}
    for item in items:
        by_id.setdefault(item["id"].lower(), item)
    return list(by_id.values())


def _term_row(term: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    tax_name = str(term.get("taxonomy") or "")
    tax_row = None
    tax_id = stored_id(term.get("taxonomy_id"))
    if tax_name and not tax_id:
        tax_id = taxonomy.taxonomy_id(tax_name)
    if tax_id:
        tax_row = {"id": tax_id, "name": tax_name or tax_id, "description": tax_name or ""}
    row = {"id": term["id"].lower(), "taxonomy_id": tax_id, "taxonomy_name": tax_name,
           "code": str(term.get("code") or term.get("name") or ""), "name": term.get("name", ""),
           "description": term.get("description", "")}
    if (tax_name, row["code"]) in taxonomy.BY_CODE:
        # Haven's own terms keep Haven's stable ids whatever the file calls them.
        row["id"] = taxonomy.BY_CODE[(tax_name, row["code"])].id
    return row, tax_row


def org_row(org: dict[str, Any]) -> dict[str, Any]:
    """The organization row of a service's nested organization object."""
    return {"id": org["id"].lower(), "name": org["name"], "description": org.get("description", ""),
            "website": org.get("website"), "email": org.get("email")}


def collect(rec: dict[str, Any], rows: Rows, known_terms: dict[str, str]) -> list[str]:
    """Turn one validated service object into rows; returns any reference errors."""
    errs: list[str] = []
    sid = rec["id"].lower()
    org = rec.get("organization")
    if isinstance(org, dict):
        rows.organizations[org["id"].lower()] = org_row(org)
    org_id = stored_id(rec.get("organization_id") or (org or {}).get("id"))
    source = rec.get("haven_source") or {}
    costs = rec.get("cost_options") or []
    free = any(c.get("amount") == 0 or _FREE_WORDS.search(str(c.get("option") or ""))
               for c in costs) or bool(_FREE_WORDS.search(str(rec.get("fees_description") or "")))
    # The same schedule may be listed on the service and on its service_at_location.
    scheds = _unique_by_id([*(rec.get("schedules") or []),
                            *(x for sal in rec.get("service_at_locations") or []
                              for x in sal.get("schedules") or [])])
    svc_row = {
        "id": sid, "organization_id": org_id, "name": rec["name"],
        "alternate_name": rec.get("alternate_name"), "description": rec.get("description", ""),
        "url": rec.get("url"), "email": rec.get("email"), "status": rec["status"],
        "interpretation_services": rec.get("interpretation_services"),
        "application_process": rec.get("application_process"),
        "fees_description": rec.get("fees_description"),
        "eligibility_description": rec.get("eligibility_description"),
        "minimum_age": rec.get("minimum_age"), "maximum_age": rec.get("maximum_age"),
        "alert": rec.get("alert"), "assured_date": semantics.date_of(rec.get("assured_date")),
        "assurer": rec.get("haven_assurer"), "assurer_email": rec.get("assurer_email"),
        "last_modified": _ts(rec.get("last_modified")),
        "source_language": "en", "country": rec.get("haven_country"),
        "is_demo": bool(rec.get("haven_example_listing")),
        "source_url": source.get("url"), "source_quote": source.get("quote"),
        "rank_hint": int(rec.get("haven_rank") or 0), "free": free,
        "always_open": False, "timezone": None,
    }
    all_slots: list[hours.Slot] = []
    for pos, s in enumerate(scheds):
        tz_name = s.get("haven_timezone")
        rows.schedules.append({
            "id": s["id"].lower(), "service_id": sid, "position": pos, "freq": s.get("freq"),
            "byday": s.get("byday"), "opens_at": s.get("opens_at"),
            "closes_at": s.get("closes_at"), "tz_offset": s.get("timezone"),
            "tz_name": tz_name, "valid_from": s.get("valid_from"), "valid_to": s.get("valid_to"),
            "description": s.get("description"),
        })
        all_slots.extend(hours.slots(s.get("byday"), s.get("opens_at"), s.get("closes_at")))
        svc_row["timezone"] = svc_row["timezone"] or hours.zone_key(tz_name, s.get("timezone"))
    svc_row["always_open"] = bool(all_slots) and hours.covers_whole_week(all_slots)
    rows.services.append(svc_row)
    for pos, p in enumerate(_unique_by_id(rec.get("phones") or [])):
        codes = ",".join(str(lang.get("code")) for lang in p.get("languages") or []
                         if lang.get("code"))
        rows.phones.append({"id": p["id"].lower(), "service_id": sid, "position": pos,
                            "number": p["number"], "extension": p.get("extension"),
                            "type": (p.get("type") or "voice").lower(),
                            "description": p.get("description"), "language_codes": codes})
    for pos, lang in enumerate(rec.get("languages") or []):
        if lang.get("code") or lang.get("name"):
            rows.languages.append({"id": lang["id"].lower(), "service_id": sid, "position": pos,
                                   "code": str(lang.get("code") or lang.get("name")).lower(),
                                   "name": lang.get("name"), "note": lang.get("note")})
    for loc_key, tr in (rec.get("haven_translations") or {}).items():
        rows.translations.append({"service_id": sid, "locale": loc_key, "name": tr.get("name"),
                                  "description": tr.get("description"),
                                  "eligibility_description": tr.get("eligibility_description"),
                                  "reviewed_on": semantics.date_of(tr.get("reviewed_on")),
                                  "reviewed_by": None})
    seen_terms: set[str] = set()
    for i, attr in enumerate(rec.get("attributes") or []):
        term = attr.get("taxonomy_term")
        if isinstance(term, dict):
            trow, tax_row = _term_row(term)
            rows.terms[trow["id"]] = trow
            if tax_row:
                rows.taxonomies.setdefault(tax_row["id"], tax_row)
            term_id = trow["id"]
        elif stored_id(attr.get("taxonomy_term_id")) in known_terms:
            term_id = attr["taxonomy_term_id"].lower()
        elif attr.get("taxonomy_term_id"):
            errs.append(f"field 'attributes/{i}/taxonomy_term_id': unknown taxonomy term "
                        f"{attr['taxonomy_term_id']} (include the taxonomy_term object)")
            continue
        else:
            continue
        if term_id not in seen_terms:
            seen_terms.add(term_id)
            rows.links.append({"service_id": sid, "term_id": term_id})
    for sal in rec.get("service_at_locations") or []:
        loc = sal.get("location")
        if not isinstance(loc, dict):
            continue
        addrs = loc.get("addresses") or []
        addr = next((a for a in addrs if a.get("address_type") == "physical"),
                    addrs[0] if addrs else {})
        area = loc.get("haven_area") or {}
        lat, lng = loc.get("latitude"), loc.get("longitude")
        if lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
            # The official HSDS example carries 100/101: keep the record, drop the point.
            rows.warnings.append(f"location {loc['id']}: latitude/longitude out of range; "
                                 "imported without a point")
            lat = lng = None
        conf = bool(loc.get("confidential"))
        plat, plng = lat, lng
        if conf and lat is not None and lng is not None:
            plat, plng = geo.coarse_point(lat, lng)
        loc_id = loc["id"].lower()
        rows.locations[loc_id] = {
            "id": loc_id, "organization_id": stored_id(loc.get("organization_id")),
            "location_type": loc.get("location_type", "physical"), "name": loc.get("name"),
            "description": loc.get("description"), "confidential": conf,
            "latitude": lat, "longitude": lng, "public_latitude": plat, "public_longitude": plng,
            "address_id": stored_id(addr.get("id")), "address_1": addr.get("address_1"),
            "address_2": addr.get("address_2"), "postal_code": addr.get("postal_code"),
            "city": addr.get("city") or area.get("city"),
            "region": addr.get("state_province") or addr.get("region") or area.get("region"),
            "country": (addr.get("country") or area.get("country") or "")[:2].upper() or None,
        }
        rows.sals.append({"id": sal["id"].lower(), "service_id": sid, "location_id": loc_id,
                          "description": sal.get("description")})
    return errs


def check(rec: Record, schema_dir: str) -> list[str]:
    """What is wrong with one record by itself (schema, then meaning); [] when nothing."""
    if not isinstance(rec.data, dict):
        return ["is not a JSON object (expected an HSDS service)"]
    return hsds.schema_errors(schema_dir, "service", rec.data) or semantics.check(rec.data)


def build_rows(records: Iterable[Record], schema_dir: str,
               progress: Callable[[int], None] | None = None) -> Rows:
    """Validate every record; raise ImportError_ listing every problem, or return rows."""
    errors: list[str] = []
    rows = Rows()
    seen: dict[str, str] = {}
    records_list = list(records)
    known_terms = {t.id: t.code for t in taxonomy.ALL_TERMS}
    known_terms.update({tid: "" for tid in db.session.scalars(select(TaxonomyTerm.id))})
    known_orgs = set(db.session.scalars(select(Organization.id)))
    for rec in records_list:
        problems = check(rec, schema_dir)
        if isinstance(rec.data, dict):
            sid = stored_id(rec.data.get("id"))
            if isinstance(sid, str) and sid in seen:
                problems.append(f"field 'id': duplicate of {seen[sid]}")
            elif isinstance(sid, str):
                seen[sid] = rec.label()
            if not problems:
                problems = collect(rec.data, rows, known_terms)
        errors.extend(f"{rec.label()}: {p}" for p in problems)
        if progress:
            progress(1)
    # References to organizations that neither the batch nor the database has: a service's
    # is an error; a location's (unused by Haven) is dropped so the link stays consistent.
    known_orgs |= set(rows.organizations)
    labels = {stored_id(r.data.get("id")): r.label() for r in records_list
              if isinstance(r.data, dict)}
    for svc in rows.services:
        if svc["organization_id"] and svc["organization_id"] not in known_orgs:
            errors.append(f"{labels.get(svc['id'], svc['id'])}: field 'organization_id': "
                          f"unknown organization {svc['organization_id']} (include the "
                          "organization object)")
    for loc in rows.locations.values():
        if loc["organization_id"] not in known_orgs:
            loc["organization_id"] = None
    if errors:
        raise ImportError_(errors)
    return rows


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
    if new:
        bulk.insert_rows(model.__table__, new)
    if old:
        db.session.execute(update(model), old)


def write_rows(rows: Rows, *, bump_revision: bool = True) -> int:
    """Write one validated import inside the caller's transaction; returns services written.

    Every service written over gets a new revision, so an editor's form opened before the
    import cannot silently overwrite it (see #9: optimistic locking); the editor bumps its
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
        for model in (Phone, Schedule, Language, ServiceTranslation, ServiceAtLocation):
            db.session.execute(delete(model).where(model.service_id.in_(chunk)))
        db.session.execute(delete(service_terms).where(service_terms.c.service_id.in_(chunk)))
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
    """What an import did (or, in a dry run, would do)."""

    services: int
    warnings: list[str]


def import_records(records: list[Record], schema_dir: str, *, dry_run: bool = False,
                   progress: Callable[[int], None] | None = None) -> Outcome:
    """Validate these records and write them all in one transaction, or nothing (dry_run:
    validate only). A large import runs on every core (exchange/parallel.py)."""
    from webapp.exchange import parallel  # it builds on this module

    if parallel.worth_it(len(records)):
        return parallel.run(records, schema_dir, dry_run=dry_run, progress=progress)
    with bulk.paused_gc():
        rows = build_rows(records, schema_dir, progress)
        if dry_run:
            db.session.rollback()
            return Outcome(len(rows.services), rows.warnings)
        return Outcome(commit_rows(rows), rows.warnings)


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
