"""HSDS service records shaped into the rows of each table (an import's first half, the
same on one core and on every core: exchange/parallel.py), ids as they are stored."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from webapp import bulk, clock
from webapp.directory import geo, hours, taxonomy
from webapp.exchange import semantics
from webapp.exchange.sources import Record

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
    return clock.now()


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
        term, given_id = attr.get("taxonomy_term"), stored_id(attr.get("taxonomy_term_id"))
        if isinstance(term, dict):
            trow, tax_row = _term_row(term)
            rows.terms[trow["id"]] = trow
            if tax_row:
                rows.taxonomies.setdefault(tax_row["id"], tax_row)
            term_id = trow["id"]
        elif given_id in known_terms:
            term_id = given_id
        elif given_id:
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


def duplicates(records: list[Record]) -> dict[int, str]:
    """Record position -> label of the first record with the same (stored) id, for every
    later one."""
    first: dict[str, int] = {}
    out: dict[int, str] = {}
    for i, rec in enumerate(records):
        sid = stored_id(rec.data.get("id")) if isinstance(rec.data, dict) else None
        if not isinstance(sid, str):
            continue
        if sid in first:
            out[i] = records[first[sid]].label()
        else:
            first[sid] = i
    return out


def labels(records: list[Record]) -> dict[str, str]:
    """Stored service id -> its record's label, for messages about a service's rows."""
    return {stored_id(r.data.get("id")): r.label() for r in records if isinstance(r.data, dict)}
