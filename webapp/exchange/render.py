"""Stored directory records as HSDS 3.0 JSON (hsds.py re-exports these for the API and the
export): the columns Haven models, then what the source gave that it does not model, where
it came from (exchange/extras.py), never a confidential place's address or exact point."""

from __future__ import annotations

import uuid
from typing import Any

from webapp.exchange import extras, shaping
from webapp.exchange.extras import LOCATING, REF, STREET_MIN
from webapp.extensions import db
from webapp.models import Location, Service, Taxonomy

_NS = uuid.UUID("0f9d3c55-7b0e-4b44-8d36-1b8f7e1f4a21")
ADDRESS_NORMS = {"country": lambda v: str(v)[:2].upper()}


def derived_id(*parts: str) -> str:
    """A stable UUID for a sub-record Haven creates (cost option, address, attribute)."""
    return str(uuid.uuid5(_NS, "/".join(parts)))


def stamp(value: Any) -> str:
    """A stored (naive UTC) date-time as HSDS writes it: 2026-11-23T12:00:00Z."""
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _iso_date(value: Any) -> str | None:
    return value.isoformat() if value else None


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    """Drop None values: HSDS types are not nullable."""
    return {k: v for k, v in d.items() if v is not None}


def _one_to_one(extra: dict[str, Any]) -> dict[str, Any]:
    """The extras a list item carries: single values, not the lists of a full record."""
    return {k: v for k, v in extra.items() if not isinstance(v, list)}


def taxonomy_json(tax: Any) -> dict[str, Any]:
    """An HSDS taxonomy object."""
    out = _clean({"id": tax.id, "name": tax.name, "description": tax.description or tax.name,
                  "uri": tax.uri, "version": tax.version})
    return extras.merge(out, extras.loads(tax.hsds_extra))


def term_json(term: Any) -> dict[str, Any]:
    """An HSDS taxonomy_term object (with what its source gave that Haven does not model)."""
    out = _clean({
        "id": term.id,
        "code": term.code,
        "name": term.name,
        "description": term.description or term.name,
        "taxonomy": term.taxonomy_name,
        "taxonomy_id": term.taxonomy_id,
        "parent_id": term.parent_id,
        "language": "en",
    })
    extra = extras.loads(term.hsds_extra)
    detail = extra.get("taxonomy_detail")
    if isinstance(detail, dict) and detail.get(REF) == "taxonomy":
        tax = db.session.get(Taxonomy, detail.get("id"))
        if tax is None:
            del extra["taxonomy_detail"]
        else:
            extra["taxonomy_detail"] = taxonomy_json(tax)
    return extras.merge(out, extra)


def _schedule_json(s: Any) -> dict[str, Any]:
    out = _clean({
        "id": s.id,
        "service_id": s.service_id,
        "service_at_location_id": s.service_at_location_id,
        "freq": s.freq,
        "byday": s.byday,
        "opens_at": s.opens_at,
        "closes_at": s.closes_at,
        "timezone": s.tz_offset,
        "valid_from": s.valid_from,
        "valid_to": s.valid_to,
        "description": s.description,
        "wkst": "MO" if s.freq else None,
        "haven_timezone": s.tz_name,
    })
    return extras.merge(out, extras.loads(s.hsds_extra))


def _address_json(loc: Any) -> dict[str, Any]:
    """The address a location's columns hold."""
    return _clean({
        "id": loc.address_id or derived_id("address", loc.id),
        "location_id": loc.id,
        "address_1": loc.address_1,
        "address_2": loc.address_2,
        "city": loc.city or "",
        "state_province": loc.region or "",
        "postal_code": loc.postal_code or "",
        "country": loc.country or "",
        "address_type": "physical",
    })


def location_json(loc: Any) -> dict[str, Any]:
    """An HSDS location. A confidential one has no address and only its coarse point."""
    out = _clean({
        "id": loc.id,
        "location_type": loc.location_type,
        "organization_id": loc.organization_id,
        "name": loc.name,
        "latitude": loc.public_latitude,
        "longitude": loc.public_longitude,
        "confidential": loc.confidential,
        "haven_area": _clean({"city": loc.city, "region": loc.region, "country": loc.country}),
    })
    extra = extras.loads(loc.hsds_extra)
    if loc.confidential:
        # never description, address or exact point, whatever the extras hold
        return extras.merge(out, {k: v for k, v in extra.items() if k not in LOCATING})
    if loc.description:
        out["description"] = loc.description
    given = extra.pop("addresses", None)
    if isinstance(given, list):
        addresses = []
        for item in given:
            if isinstance(item, dict) and item.get(REF) == "address":
                if loc.address_1:
                    rest = {k: v for k, v in item.items() if k != REF}
                    addresses.append(extras.merge(_address_json(loc), rest, ADDRESS_NORMS))
            else:
                addresses.append(item)
        if addresses:
            out["addresses"] = addresses
    elif loc.address_1:
        out["addresses"] = [_address_json(loc)]
    return extras.merge(out, extra)


def _codes(languages: Any) -> str:
    """The language codes a phone's languages list gives, as the phone row keeps them."""
    return ",".join(str(lang.get("code")) for lang in languages or []
                    if isinstance(lang, dict) and lang.get("code"))


def _phone_json(p: Any, service_id: str) -> dict[str, Any]:
    out = _clean({
        "id": p.id,
        "service_id": service_id,
        "number": p.number,
        "extension": p.extension,
        "type": p.type,
        "description": p.description,
        "languages": [
            {"id": derived_id("phone-language", p.id, code), "phone_id": p.id, "code": code}
            for code in p.language_codes.split(",") if code
        ] or None,
    })
    extra = extras.loads(p.hsds_extra)
    if "languages" in extra and _codes(extra["languages"]) != p.language_codes:
        del extra["languages"]  # changed since (an editor): the stored codes say
    return extras.merge(out, extra, {"type": lambda v: str(v).lower()})


def _language_json(lang: Any, service_id: str) -> dict[str, Any]:
    out = _clean({"id": lang.id, "service_id": service_id, "code": lang.code, "name": lang.name,
                  "note": lang.note})
    return extras.merge(out, extras.loads(lang.hsds_extra), {"code": lambda v: str(v).lower()})


def _attribute(service: Service, term: Any) -> dict[str, Any]:
    return {
        "id": derived_id("attribute", service.id, term.id),
        "link_id": service.id,
        "link_type": "service",
        "link_entity": "service",
        "taxonomy_term_id": term.id,
        "taxonomy_term": term_json(term),
    }


def _attributes(service: Service, given: Any) -> list[dict[str, Any]]:
    """The service's attributes: as its source gave them, for the terms it is still linked
    to, then one for each other linked term."""
    terms = {t.id: t for t in service.terms}
    out: list[dict[str, Any]] = []
    shown: set[str] = set()
    for item in given if isinstance(given, list) else []:
        if not (isinstance(item, dict) and item.get(REF) == "attribute"):
            out.append(item)
            continue
        term = terms.get(str(item.get("term")))
        if term is None:
            continue  # unlinked since (an editor)
        shown.add(term.id)
        rest = {k: v for k, v in item.items() if k not in (REF, "term")}
        out.append({**_attribute(service, term), **rest})
    out += [_attribute(service, t) for t in sorted(service.terms,
                                                   key=lambda t: (t.taxonomy_name, t.code))
            if t.id not in shown]
    return out


def _costs(service: Service, given: Any) -> list[dict[str, Any]] | None:
    """The cost options as given, while they still say what the stored free flag says (an
    editor may have changed it); else Haven's one "Free" option when free."""
    if given is not None and extras.is_free(given, service.fees_description) == service.free:
        return list(given)
    if service.free:
        return [{"id": derived_id("cost", service.id), "service_id": service.id,
                 "option": "Free", "amount": 0, "amount_description": "Free of charge"}]
    return None


def guarded(out: dict[str, Any], places: list[Any]) -> dict[str, Any]:
    """out without any text repeating the street of a confidential place among places: a
    last guard whatever a field holds (an import already leaves such text out)."""
    streets = {str(p.address_1).strip().casefold() for p in places
               if p is not None and p.confidential
               and len(str(p.address_1 or "").strip()) >= STREET_MIN}
    if not streets:
        return out
    kept: dict[str, Any] = extras.without_streets(out, streets)
    return kept


def service_json(service: Service, *, full: bool = True,
                 space: dict[str, Any] | None = None) -> dict[str, Any]:
    """A stored service as HSDS 3.0 JSON (full, or the one-to-one fields of service_list);
    space: the shelter space extension, as the API shows it now."""
    out: dict[str, Any] = _clean({
        "id": service.id,
        "organization_id": service.organization_id,
        "name": service.name,
        "alternate_name": service.alternate_name,
        "description": service.description,
        "url": service.url,
        "email": service.email,
        "status": service.status,
        "interpretation_services": service.interpretation_services,
        "application_process": service.application_process,
        "fees_description": service.fees_description,
        "eligibility_description": service.eligibility_description,
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
        "alert": service.alert,
        "assured_date": _iso_date(service.assured_date),
        "assurer_email": service.assurer_email,
        "haven_assurer": service.assurer,
        "last_modified": stamp(service.last_modified),
        "haven_country": service.country,
        "haven_example_listing": True if service.is_demo else None,
        "haven_rank": service.rank_hint or None,
    })
    if service.source_url:
        out["haven_source"] = _clean({"url": service.source_url, "quote": service.source_quote})
    if space is not None:
        out["haven_space"] = space
    extra = extras.loads(service.hsds_extra)
    norms = {"last_modified": lambda v: stamp(shaping.parse_time(v))}
    places = [sal.location for sal in service.locations]
    if not full:
        return guarded(extras.merge(out, _one_to_one(extra), norms), places)
    if service.organization:
        out["organization"] = organization_json(service.organization, whole=True)
    out["phones"] = [_phone_json(p, service.id) for p in service.phones]
    out["schedules"] = [_schedule_json(s) for s in service.schedules
                        if s.service_at_location_id is None]
    out["languages"] = [_language_json(lang, service.id) for lang in service.languages]
    costs = _costs(service, extra.pop("cost_options", None))
    if costs is not None:
        out["cost_options"] = costs
    out["attributes"] = _attributes(service, extra.pop("attributes", None))
    out["service_at_locations"] = [sal_json(sal, service=service) for sal in service.locations]
    if service.translations:
        out["haven_translations"] = {
            tr.locale: _clean({"name": tr.name, "description": tr.description,
                               "eligibility_description": tr.eligibility_description,
                               "reviewed_on": _iso_date(tr.reviewed_on)})
            for tr in sorted(service.translations, key=lambda t: t.locale)
        }
    return guarded(extras.merge(out, extra, norms), places)


def sal_json(sal: Any, *, full: bool = True, service: Service | None = None) -> dict[str, Any]:
    """A service_at_location with its (coarse when confidential) location; full: its own
    schedules, contacts and the rest its source gave. service: sal's service when the caller
    holds it (read through sal.service otherwise, a lazy load per place)."""
    out = _clean({"id": sal.id, "service_id": sal.service_id, "location_id": sal.location_id,
                  "description": None if sal.location.confidential else sal.description})
    extra = extras.loads(sal.hsds_extra)
    if full:
        own = [_schedule_json(s) for s in (service or sal.service).schedules
               if s.service_at_location_id == sal.id]
        if own:
            out["schedules"] = own
    else:
        extra = _one_to_one(extra)
    out = extras.merge(out, extra)
    out["location"] = location_json(sal.location)
    return out


def organization_json(org: Any, services: list[Service] | None = None, *,
                      full_service: bool = False, whole: bool | None = None) -> dict[str, Any]:
    """An HSDS organization: its one-to-one fields, and with services (fully nested or as
    list items) and its locations (confidential ones coarse) when given services; whole
    (the default with services): all its source gave, its own locations included."""
    out = _clean({"id": org.id, "name": org.name, "description": org.description or org.name,
                  "website": org.website, "email": org.email})
    extra = extras.loads(org.hsds_extra)
    if whole is None:
        whole = services is not None
    if not whole:
        return extras.merge(out, _one_to_one(extra))
    places: dict[str, Any] = {}
    listed = extra.pop("locations", None)
    shown: list[Any] = []
    for item in listed if isinstance(listed, list) else []:
        if isinstance(item, dict) and item.get(REF) == "location":
            loc = db.session.get(Location, item.get("id"))
            if loc is not None:
                places[loc.id] = loc
                shown.append(location_json(loc))
        else:
            shown.append(item)
    if services is not None:
        out["services"] = [service_json(s, full=full_service) for s in services]
        more: dict[str, Any] = {}
        for s in services:
            for sal in s.locations:
                if sal.location.id not in places:
                    more.setdefault(sal.location.id, sal.location)
        shown += [location_json(loc) for _, loc in sorted(more.items())]
        places.update(more)
    if shown or services is not None:
        out["locations"] = shown
    return guarded(extras.merge(out, extra), list(places.values()))


def service_at_location_json(sal: Any, *, full: bool = False) -> dict[str, Any]:
    """An HSDS service_at_location with its (coarse when confidential) location and its
    service: the list fields, or fully nested (phones, schedules, attributes) when full."""
    out = sal_json(sal, full=full)
    nested = service_json(sal.service, full=full)
    nested.pop("service_at_locations", None)  # this record is one of them
    out["service"] = nested
    return guarded(out, [sal.location])
