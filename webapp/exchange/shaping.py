"""HSDS records shaped into the rows of each table (an import's first half, the same on one
core and on every core: exchange/parallel.py), ids as they are stored.

What no column holds goes, verbatim, into the row's hsds_extra (exchange/extras.py); what
cannot be kept as given is noted by its field path (Rows.warnings), never dropped silently.
Places (locations, addresses, service_at_locations) are shaped in exchange/places.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from webapp import bulk, clock
from webapp.directory import hours
from webapp.exchange import extras, semantics
from webapp.exchange.extras import GIVEN, REF, index, key
from webapp.exchange.sources import Record

# The properties each object's columns (or its own rows) hold; the rest are its extras.
SERVICE = frozenset({
    "id", "organization_id", "name", "alternate_name", "description", "url", "email", "status",
    "interpretation_services", "application_process", "fees_description",
    "eligibility_description", "minimum_age", "maximum_age", "alert", "assured_date",
    "assurer_email", "last_modified", "phones", "schedules", "languages",
    "service_at_locations", "organization", "attributes", "haven_translations",
    "haven_country", "haven_example_listing", "haven_source", "haven_rank", "haven_assurer",
    "haven_space"})
ORGANIZATION = frozenset({"id", "name", "description", "website", "email", "locations",
                          "services"})
PHONE = frozenset({"id", "service_id", "number", "extension", "type", "description"})
SCHEDULE = frozenset({"id", "service_id", "service_at_location_id", "freq", "byday",
                      "opens_at", "closes_at", "timezone", "valid_from", "valid_to",
                      "description", "haven_timezone"})
# A service's own schedule keeps a place it names as given: its row is the service's.
SERVICE_SCHEDULE = SCHEDULE - {"service_at_location_id"}
LANGUAGE = frozenset({"id", "service_id", "code", "name", "note"})
ATTRIBUTE = frozenset({"taxonomy_term", "taxonomy_term_id"})


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
    # What could not be kept as given, by field path (--strict refuses the import for any)
    warnings: list[str] = field(default_factory=list)
    # Kept as given but not used as the reader may expect (a point out of range)
    notices: list[str] = field(default_factory=list)
    # (label of the place, location id) of service_at_locations that name their location
    # by id alone: the import checks it is stored or imported too
    places_by_id: list[tuple[str, str]] = field(default_factory=list)
    # (kind, id) -> (record label, path, object) of the last copy of an organisation,
    # location, term or taxonomy given (several records may each carry one): the last wins
    given: dict[tuple[str, str], tuple[str, str, Any]] = field(default_factory=dict)
    # the same for the first copy of each (what an import on several cores compares with
    # the last copy of the chunk before)
    first_given: dict[tuple[str, str], tuple[str, str, Any]] = field(default_factory=dict)
    # table name -> its rows made ready for the driver, in place of the list above (an
    # import's worker processes prepare phones, schedules and the other parts: see parallel)
    ready: dict[str, bulk.Prepared] = field(default_factory=dict)
    # the label of the record being shaped, when the caller does not pass one to collect
    # (an import's worker processes set it)
    record_label: str | None = None


def parse_time(value: Any) -> dt.datetime | None:
    """An HSDS date-time as stored (naive UTC, whole seconds), or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def stamp(value: dt.datetime) -> str:
    """A stored date-time as HSDS writes it (hsds.stamp)."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def stored_id(value: Any) -> Any:
    """An id as it is stored: a uuid in lower case (PostgreSQL's uuid type answers in lower
    case whatever it was given, so both backends keep ids one way); None stays None."""
    return value.lower() if isinstance(value, str) else value


def org_parts(org: dict[str, Any], notes: extras.Notes | None = None,
              path: str = "organization") -> tuple[dict[str, Any], dict[str, Any]]:
    """The organization row of an HSDS organization object, and its extras (its locations
    stand there as references to their rows)."""
    extra = extras.split(org, ORGANIZATION, path, notes)
    places = org.get("locations")
    if isinstance(places, list):
        extra["locations"] = [
            {REF: "location", "id": stored_id(p["id"])}
            if isinstance(p, dict) and isinstance(p.get("id"), str)
            else extras.lower_ids(p, index(key(path, "locations"), i), notes)
            for i, p in enumerate(places)]
    row = {"id": org["id"].lower(), "name": org["name"],
           "description": org.get("description", ""), "website": org.get("website"),
           "email": org.get("email")}
    return row, extra


def org_row(org: dict[str, Any]) -> dict[str, Any]:
    """The organization row (with its extras) of an HSDS organization object."""
    row, extra = org_parts(org)
    row["hsds_extra"] = extras.dumps(extra)
    return row


@dataclass
class _Served:
    """A service being shaped: its row and its schedules so far."""

    row: dict[str, Any]
    schedule_ids: set[str] = field(default_factory=set)
    schedules: list[dict[str, Any]] = field(default_factory=list)


class Shaper:
    """Turns the objects of one record into rows, noting what it cannot keep as given."""

    def __init__(self, rows: Rows, known_terms: dict[str, str], *, keep_extras: bool = False,
                 streets: set[str] | None = None, label: str = "") -> None:
        self.rows = rows
        self.label = label
        self.known_terms = known_terms
        self.keep = keep_extras  # a partial record (the editor's): stored extras stay
        self.streets = streets or set()
        self.notes = extras.Notes()
        self.errs: list[str] = []
        self.served: dict[str, _Served] = {}

    def with_extras(self, row: dict[str, Any], extra: dict[str, Any], path: str) -> dict[str, Any]:
        """row with its extras (what repeats a confidential street left out)."""
        if not self.keep:
            row["hsds_extra"] = extras.dumps(
                extras.scrubbed(extra, self.streets, path, self.notes))
        return row

    def again(self, kind: str, rid: str, obj: dict[str, Any], path: str) -> None:
        """Note each value of an earlier copy of this record that this later one, which is
        kept, gives otherwise (the same location nested in two services, say)."""
        before = self.rows.given.get((kind, rid))
        self.rows.given[(kind, rid)] = (self.label, path, obj)
        if before is None:
            self.rows.first_given[(kind, rid)] = (self.label, path, obj)
            return
        self.rows.warnings += given_again(kind, before, (self.label, path, obj))

    def ident(self, obj: dict[str, Any], path: str, name: str = "id") -> Any:
        """obj[name] as stored (a uuid in lower case), a change of case noted."""
        raw = obj.get(name)
        if isinstance(raw, str) and raw != raw.lower():
            self.notes.changed(key(path, name), raw, raw.lower())
        return stored_id(raw)

    # services -----------------------------------------------------------------------

    def service(self, rec: dict[str, Any], path: str, org_id: str | None = None) -> str:
        """Shape one service object (and its organisation, parts and places)."""
        from webapp.exchange import places  # it builds on this module

        sid = self.ident(rec, path)
        org = rec.get("organization")
        if isinstance(org, dict):
            self.organization(org, key(path, "organization"), nested=True)
        org_id = (self.ident(rec, path, "organization_id")
                  or (stored_id(org.get("id")) if isinstance(org, dict) else None) or org_id)
        source = rec.get("haven_source") or {}
        extra = extras.split(rec, SERVICE, path, self.notes)
        modified = parse_time(rec.get("last_modified"))
        given = rec.get("last_modified")
        if modified is None:
            if given is not None:
                self.notes.changed(key(path, "last_modified"), given, "the time of the import")
            modified = clock.now()
        elif given != stamp(modified):
            extra[GIVEN] = {"last_modified": given}
        if "haven_space" in rec:
            self.notes.dropped(key(path, "haven_space"), "a shelter's space is kept up to date "
                               "by its members in Haven, never imported")
        self._date(rec, "assured_date", path)
        row = {
            "id": sid, "organization_id": org_id, "name": rec["name"],
            "alternate_name": rec.get("alternate_name"),
            "description": rec.get("description", ""), "url": rec.get("url"),
            "email": rec.get("email"), "status": rec["status"],
            "interpretation_services": rec.get("interpretation_services"),
            "application_process": rec.get("application_process"),
            "fees_description": rec.get("fees_description"),
            "eligibility_description": rec.get("eligibility_description"),
            "minimum_age": rec.get("minimum_age"), "maximum_age": rec.get("maximum_age"),
            "alert": rec.get("alert"), "assured_date": semantics.date_of(rec.get("assured_date")),
            "assurer": rec.get("haven_assurer"), "assurer_email": rec.get("assurer_email"),
            "last_modified": modified, "source_language": "en",
            "country": rec.get("haven_country"), "is_demo": bool(rec.get("haven_example_listing")),
            "source_url": source.get("url"), "source_quote": source.get("quote"),
            "rank_hint": int(rec.get("haven_rank") or 0),
            "free": extras.is_free(rec.get("cost_options"), rec.get("fees_description")),
            "always_open": False, "timezone": None,
        }
        served = self.served[sid] = _Served(row)
        self.rows.services.append(row)
        for i, s in enumerate(rec.get("schedules") or []):
            self.schedule(s, index(key(path, "schedules"), i), served, None)
        self._phones(rec, sid, path)
        self._languages(rec, sid, path)
        self._translations(rec, sid, path)
        attributes = self._attributes(rec, sid, path)
        if attributes:
            extra["attributes"] = attributes
        for i, sal in enumerate(rec.get("service_at_locations") or []):
            places.service_at_location(self, sal, index(key(path, "service_at_locations"), i),
                                       served)
        self.with_extras(row, extra, path)
        return sid

    def _date(self, obj: dict[str, Any], name: str, path: str) -> None:
        given = obj.get(name)
        kept = semantics.date_of(given)
        if kept is not None and given != kept.isoformat():
            self.notes.changed(key(path, name), given, kept.isoformat())

    def schedule(self, s: dict[str, Any], path: str, served: _Served,
                 sal_id: str | None) -> None:
        """One schedule of a service (sal_id: its hours at one of its places)."""
        sched_id = self.ident(s, path)
        if sched_id in served.schedule_ids:
            self.notes.dropped(path, "another schedule of the service has the same id")
            return
        served.schedule_ids.add(sched_id)
        row = {"id": sched_id, "service_id": served.row["id"], "position": len(served.schedules),
               "freq": s.get("freq"), "byday": s.get("byday"), "opens_at": s.get("opens_at"),
               "closes_at": s.get("closes_at"), "tz_offset": s.get("timezone"),
               "tz_name": s.get("haven_timezone"), "valid_from": s.get("valid_from"),
               "valid_to": s.get("valid_to"), "description": s.get("description"),
               "service_at_location_id": sal_id}
        served.schedules.append(row)
        extra = extras.split(s, SCHEDULE if sal_id else SERVICE_SCHEDULE, path, self.notes)
        self.rows.schedules.append(self.with_extras(row, extra, path))

    def _phones(self, rec: dict[str, Any], sid: str, path: str) -> None:
        first: dict[str, int] = {}
        for i, p in enumerate(rec.get("phones") or []):
            where = index(key(path, "phones"), i)
            pid = self.ident(p, where)
            if pid in first:
                self.notes.dropped(where, f"phones[{first[pid]}] has the same id")
                continue
            first[pid] = i
            codes = ",".join(str(lang.get("code")) for lang in p.get("languages") or []
                             if isinstance(lang, dict) and lang.get("code"))
            kind = p.get("type") or "voice"
            extra = extras.split(p, PHONE, where, self.notes)
            if kind != kind.lower():
                extra[GIVEN] = {"type": kind}
            row = {"id": pid, "service_id": sid, "position": len(first) - 1,
                   "number": p["number"], "extension": p.get("extension"),
                   "type": kind.lower(), "description": p.get("description"),
                   "language_codes": codes}
            self.rows.phones.append(self.with_extras(row, extra, where))

    def _languages(self, rec: dict[str, Any], sid: str, path: str) -> None:
        first: dict[str, int] = {}
        for i, lang in enumerate(rec.get("languages") or []):
            where = index(key(path, "languages"), i)
            if not (lang.get("code") or lang.get("name")):
                self.notes.dropped(where, "a language needs a code or a name")
                continue
            lid = self.ident(lang, where)
            if lid in first:
                self.notes.dropped(where, f"languages[{first[lid]}] has the same id")
                continue
            first[lid] = i
            code = str(lang.get("code") or lang.get("name"))
            extra = extras.split(lang, LANGUAGE, where, self.notes)
            if lang.get("code") and code != code.lower():
                extra[GIVEN] = {"code": code}
            row = {"id": lid, "service_id": sid, "position": i, "code": code.lower(),
                   "name": lang.get("name"), "note": lang.get("note")}
            self.rows.languages.append(self.with_extras(row, extra, where))

    def _translations(self, rec: dict[str, Any], sid: str, path: str) -> None:
        for locale, tr in (rec.get("haven_translations") or {}).items():
            self._date(tr, "reviewed_on", key(key(path, "haven_translations"), locale))
            self.rows.translations.append({
                "service_id": sid, "locale": locale, "name": tr.get("name"),
                "description": tr.get("description"),
                "eligibility_description": tr.get("eligibility_description"),
                "reviewed_on": semantics.date_of(tr.get("reviewed_on")), "reviewed_by": None})

    def _attributes(self, rec: dict[str, Any], sid: str, path: str) -> list[Any]:
        """Link the service to its attributes' terms; returns the attributes as its extras
        keep them (each linked one a reference to its term)."""
        from webapp.exchange import terms  # it builds on this module

        kept: list[Any] = []
        linked: set[str] = set()
        for i, attr in enumerate(rec.get("attributes") or []):
            where = index(key(path, "attributes"), i)
            term, given_id = attr.get("taxonomy_term"), self.ident(attr, where,
                                                                   "taxonomy_term_id")
            item = extras.split(attr, ATTRIBUTE, where, self.notes)
            if isinstance(term, dict):
                term_id = terms.term(self, term, key(where, "taxonomy_term"))
                if given_id and given_id != term_id:
                    self.notes.changed(key(where, "taxonomy_term_id"), given_id, term_id)
            elif given_id in self.known_terms or given_id in self.rows.terms:
                term_id = given_id
            elif given_id:
                self.errs.append(f"field 'attributes/{i}/taxonomy_term_id': unknown taxonomy "
                                 f"term {attr['taxonomy_term_id']} (include the taxonomy_term "
                                 "object)")
                continue
            else:
                kept.append(item)  # an attribute of no term: served as given
                continue
            if term_id not in linked:
                linked.add(term_id)
                self.rows.links.append({"service_id": sid, "term_id": term_id})
            kept.append({REF: "attribute", "term": term_id, **item})
        return kept

    # organisations ----------------------------------------------------------------------

    def organization(self, org: dict[str, Any], path: str, *, nested: bool) -> str:
        """Shape an organization object: its row, its locations, and (a record of its own,
        not one nested in a service) its services."""
        from webapp.exchange import places  # it builds on this module

        self.ident(org, path)
        row, extra = org_parts(org, self.notes, path)
        oid = row["id"]
        for i, loc in enumerate(org.get("locations") or []):
            if isinstance(loc, dict):
                places.location(self, loc, index(key(path, "locations"), i), oid)
        if nested:
            if org.get("services"):
                self.notes.dropped(key(path, "services"), "the services of an organisation "
                                   "nested in a service are not read: import the organisation")
        else:
            for i, svc in enumerate(org.get("services") or []):
                if isinstance(svc, dict):
                    self.service(svc, index(key(path, "services"), i), oid)
        self.again("organization", oid, org, path)
        self.rows.organizations[oid] = self.with_extras(row, extra, path)
        return str(oid)

    def finish(self) -> None:
        """What each service's schedules decide: open around the clock, its time zone."""
        for served in self.served.values():
            all_slots: list[hours.Slot] = []
            for s in served.schedules:
                all_slots.extend(hours.slots(s["byday"], s["opens_at"], s["closes_at"]))
                served.row["timezone"] = served.row["timezone"] or hours.zone_key(
                    s["tz_name"], s["tz_offset"])
            served.row["always_open"] = bool(all_slots) and hours.covers_whole_week(all_slots)


def collect(rec: dict[str, Any], rows: Rows, known_terms: dict[str, str], *,
            kind: str = "service", keep_extras: bool = False,
            where: str | None = None) -> list[str]:
    """Turn one validated HSDS record of this kind into rows; returns any reference errors.
    What it cannot keep as given goes to rows.warnings, each line starting with where."""
    from webapp.exchange import places, terms  # they build on this module

    label = where or rows.record_label or f"record (id {rec.get('id')})"
    shaper = Shaper(rows, known_terms, keep_extras=keep_extras,
                    streets=extras.confidential_streets(rec), label=label)
    if kind == "organization":
        shaper.organization(rec, "", nested=False)
    elif kind == "service_at_location":
        places.service_at_location_record(shaper, rec)
    elif kind == "taxonomy":
        terms.taxonomy(shaper, rec, "")
    elif kind == "taxonomy_term":
        terms.term(shaper, rec, "")
    else:
        shaper.service(rec, "")
    shaper.finish()
    rows.warnings.extend(f"{label}: {line}" for line in shaper.notes.changes)
    rows.notices.extend(f"{label}: {line}" for line in shaper.notes.notices)
    return shaper.errs


def duplicates(records: list[Record]) -> dict[int, str]:
    """Record position -> label of the first record of the same kind with the same (stored)
    id, for every later one."""
    first: dict[tuple[str, str], int] = {}
    out: dict[int, str] = {}
    for i, rec in enumerate(records):
        sid = stored_id(rec.data.get("id")) if isinstance(rec.data, dict) else None
        if not isinstance(sid, str):
            continue
        if (rec.kind, sid) in first:
            out[i] = records[first[(rec.kind, sid)]].label()
        else:
            first[(rec.kind, sid)] = i
    return out


def labels(records: list[Record]) -> dict[str, str]:
    """Stored service id -> its record's label, for messages about a service's rows."""
    return {stored_id(r.data.get("id")): r.label() for r in records if isinstance(r.data, dict)}


def given_again(kind: str, before: tuple[str, str, Any],
                later: tuple[str, str, Any]) -> list[str]:
    """Each value of an earlier copy (record label, path, object) of a record that a later
    copy, which is kept, gives otherwise; [] when the two are the same."""
    label, where, old = before
    later_label, path, obj = later
    if old == obj:
        return []
    out = []
    new = extras.leaves(obj)
    for leaf, value in extras.leaves(old).items():
        if leaf not in new or new[leaf] != value:
            kept = f"→ {extras.shown(new[leaf])}" if leaf in new else "(not given there)"
            here = path or "(record)"
            if label != later_label:
                here = f"{later_label}: {here}"
            out.append(f"{label}: {key(where, leaf) if leaf else where or '(record)'}: changed "
                       f"{extras.shown(value)} {kept}: the same {kind} is given again at "
                       f"{here}, which is kept")
    return out
