"""HSDS 3.0: the schemas, validation, and turning stored services back into HSDS JSON.

Haven's extensions are plain extra properties (HSDS objects allow them), named haven_*
except the location flag "confidential", whose name the issue fixes:
- service.haven_translations  {locale: {name, description, eligibility_description}}
- service.haven_country       ISO 3166-1 alpha-2 code of the country the service is for
- service.haven_example_listing  true for fictional demo listings
- service.haven_source        {url, quote} where a real number was read (hotlines)
- service.haven_rank          a small integer that lifts national lines in listings
- service.haven_assurer       the organisation that last said the listing is still accurate
- service.haven_space         a shelter's space now: {status: available|limited|full|unknown,
                              populations: [...], updated: ISO time}; unknown after 48 hours
                              (assured_date; assurer_email is its e-mail when known)
- haven_translations/<locale>/reviewed_on  the day a person reviewed that translation (absent:
                              machine translated)
- schedule.haven_timezone     IANA zone name, so open-now follows daylight saving
- location.confidential       true for shelters and safe houses
- location.haven_area         {city, region, country} shown instead of a confidential address
"""

from __future__ import annotations

import functools
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from webapp.directory import taxonomy
from webapp.exchange import schema_check
from webapp.models import Service

if TYPE_CHECKING:  # jsonschema and referencing load on first use (see _registry)
    import referencing
    from jsonschema import Draft202012Validator

HSDS_VERSION = "3.0"
_NS = uuid.UUID("0f9d3c55-7b0e-4b44-8d36-1b8f7e1f4a21")


def derived_id(*parts: str) -> str:
    """A stable UUID for a sub-record Haven creates (cost option, address, attribute)."""
    return str(uuid.uuid5(_NS, "/".join(parts)))


@functools.cache
def _registry(schema_dir: str) -> tuple[referencing.Registry[Any], dict[str, Any]]:
    # Imported here, not at the top: about 10 MB in every worker, which only a record that
    # fails the compiled check needs (at most 250 MB per worker).
    import referencing
    import referencing.jsonschema

    root = Path(schema_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"HSDS schema folder not found: {root}")
    resources = []
    schemas: dict[str, Any] = {}
    for path in sorted(root.glob("*.json")):
        if path.name == "openapi.json":
            continue
        with path.open(encoding="utf-8") as fh:
            contents = json.load(fh)
        schemas[path.stem] = contents
        spec = referencing.jsonschema.DRAFT202012
        resources.append((path.name, spec.create_resource(contents)))
    return referencing.Registry().with_resources(resources), schemas


def validator(schema_dir: str, name: str) -> Draft202012Validator:
    """A Draft 2020-12 validator for one HSDS object schema (e.g. 'service')."""
    from jsonschema import Draft202012Validator  # see _registry

    registry, schemas = _registry(schema_dir)
    return Draft202012Validator(
        schemas[name], registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def schema_errors(schema_dir: str, name: str, record: Any) -> list[str]:
    """Every schema error in one record, each naming the field path. A record the compiled
    check passes is valid; any other goes through jsonschema for the messages."""
    fast = schema_check.compiled(schema_dir, name)
    if fast is not None and fast(record):
        return []
    out = []
    for err in sorted(validator(schema_dir, name).iter_errors(record), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.absolute_path) or "(record)"
        out.append(f"field '{where}': {err.message}")
    return out


def openapi_document(schema_dir: str) -> dict[str, Any]:
    """The HSDS OpenAPI document, as shipped with the schemas."""
    with (Path(schema_dir) / "openapi.json").open(encoding="utf-8") as fh:
        doc: dict[str, Any] = json.load(fh)
    return doc


def stamp(value: Any) -> str:
    """A stored (naive UTC) date-time as HSDS writes it: 2026-11-23T12:00:00Z."""
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _iso_date(value: Any) -> str | None:
    return value.isoformat() if value else None


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    """Drop None values: HSDS types are not nullable."""
    return {k: v for k, v in d.items() if v is not None}


def term_json(term: Any) -> dict[str, Any]:
    """An HSDS taxonomy_term object."""
    return _clean(
        {
            "id": term.id,
            "code": term.code,
            "name": term.name,
            "description": term.description or term.name,
            "taxonomy": term.taxonomy_name,
            "taxonomy_id": term.taxonomy_id,
            "language": "en",
        }
    )


def _schedule_json(s: Any) -> dict[str, Any]:
    return _clean(
        {
            "id": s.id,
            "service_id": s.service_id,
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
        }
    )


def location_json(loc: Any) -> dict[str, Any]:
    """An HSDS location. A confidential one has no address and only its coarse point."""
    out = _clean(
        {
            "id": loc.id,
            "location_type": loc.location_type,
            "organization_id": loc.organization_id,
            "name": loc.name,
            "latitude": loc.public_latitude,
            "longitude": loc.public_longitude,
            "confidential": loc.confidential,
            "haven_area": _clean({"city": loc.city, "region": loc.region, "country": loc.country}),
        }
    )
    if loc.confidential:
        return out  # never description, address or exact point
    if loc.description:
        out["description"] = loc.description
    if loc.address_1:
        out["addresses"] = [
            _clean(
                {
                    "id": loc.address_id or derived_id("address", loc.id),
                    "location_id": loc.id,
                    "address_1": loc.address_1,
                    "address_2": loc.address_2,
                    "city": loc.city or "",
                    "state_province": loc.region or "",
                    "postal_code": loc.postal_code or "",
                    "country": loc.country or "",
                    "address_type": "physical",
                }
            )
        ]
    return out


def service_json(service: Service, *, full: bool = True,
                 space: dict[str, Any] | None = None) -> dict[str, Any]:
    """A stored service as HSDS 3.0 JSON (full, or the one-to-one fields of service_list);
    space: the shelter space extension, as the API shows it now."""
    out: dict[str, Any] = _clean(
        {
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
        }
    )
    if service.source_url:
        out["haven_source"] = _clean({"url": service.source_url, "quote": service.source_quote})
    if space is not None:
        out["haven_space"] = space
    if not full:
        return out
    if service.organization:
        org = service.organization
        out["organization"] = _clean(
            {"id": org.id, "name": org.name, "description": org.description or org.name,
             "website": org.website, "email": org.email}
        )
    out["phones"] = [
        _clean(
            {
                "id": p.id,
                "service_id": service.id,
                "number": p.number,
                "extension": p.extension,
                "type": p.type,
                "description": p.description,
                "languages": [
                    {"id": derived_id("phone-language", p.id, code), "phone_id": p.id,
                     "code": code}
                    for code in p.language_codes.split(",") if code
                ] or None,
            }
        )
        for p in service.phones
    ]
    out["schedules"] = [_schedule_json(s) for s in service.schedules]
    out["languages"] = [
        _clean({"id": lang.id, "service_id": service.id, "code": lang.code, "name": lang.name,
                "note": lang.note})
        for lang in service.languages
    ]
    if service.free:
        out["cost_options"] = [
            {"id": derived_id("cost", service.id), "service_id": service.id, "option": "Free",
             "amount": 0, "amount_description": "Free of charge"}
        ]
    out["attributes"] = [
        {
            "id": derived_id("attribute", service.id, t.id),
            "link_id": service.id,
            "link_type": "service",
            "link_entity": "service",
            "taxonomy_term_id": t.id,
            "taxonomy_term": term_json(t),
        }
        for t in sorted(service.terms, key=lambda t: (t.taxonomy_name, t.code))
    ]
    out["service_at_locations"] = [
        _clean({"id": sal.id, "service_id": service.id, "location_id": sal.location_id,
                "description": None if sal.location.confidential else sal.description,
                "location": location_json(sal.location)})
        for sal in service.locations
    ]
    if service.translations:
        out["haven_translations"] = {
            tr.locale: _clean({"name": tr.name, "description": tr.description,
                               "eligibility_description": tr.eligibility_description,
                               "reviewed_on": _iso_date(tr.reviewed_on)})
            for tr in sorted(service.translations, key=lambda t: t.locale)
        }
    return out


def haven_taxonomies() -> list[dict[str, Any]]:
    """HSDS taxonomy objects for Haven's two taxonomies."""
    return [
        {"id": taxonomy.taxonomy_id(taxonomy.CATEGORIES), "name": taxonomy.CATEGORIES,
         "description": "Haven service categories", "version": "1"},
        {"id": taxonomy.taxonomy_id(taxonomy.POPULATIONS), "name": taxonomy.POPULATIONS,
         "description": "Populations a service is for", "version": "1"},
    ]



def taxonomy_json(tax: Any) -> dict[str, Any]:
    """An HSDS taxonomy object."""
    return _clean({"id": tax.id, "name": tax.name, "description": tax.description or tax.name,
                   "uri": tax.uri, "version": tax.version})


def organization_json(org: Any, services: list[Service] | None = None, *,
                      full_service: bool = False) -> dict[str, Any]:
    """An HSDS organization: its one-to-one fields, and with services (fully nested or as
    list items) and its locations (confidential ones coarse) when given services."""
    out = _clean({"id": org.id, "name": org.name, "description": org.description or org.name,
                  "website": org.website, "email": org.email})
    if services is None:
        return out
    out["services"] = [service_json(s, full=full_service) for s in services]
    places: dict[str, Any] = {}
    for s in services:
        for sal in s.locations:
            places.setdefault(sal.location.id, sal.location)
    out["locations"] = [location_json(loc) for _, loc in sorted(places.items())]
    return out


def service_at_location_json(sal: Any, *, full: bool = False) -> dict[str, Any]:
    """An HSDS service_at_location with its (coarse when confidential) location and its
    service: the list fields, or fully nested (phones, schedules, attributes) when full."""
    service = sal.service
    out = _clean({"id": sal.id, "service_id": service.id, "location_id": sal.location_id,
                  "description": None if sal.location.confidential else sal.description})
    nested = service_json(service, full=full)
    nested.pop("service_at_locations", None)  # this record is one of them
    out["service"] = nested
    out["location"] = location_json(sal.location)
    return out
