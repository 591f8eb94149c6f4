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

Everything else an imported record says, Haven keeps verbatim and serves again where it
came from (exchange/extras.py); render.py turns stored records into HSDS JSON.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from webapp.directory import taxonomy
from webapp.exchange import schema_check
from webapp.exchange.render import (
    derived_id,
    location_json,
    organization_json,
    service_at_location_json,
    service_json,
    stamp,
    taxonomy_json,
    term_json,
)

if TYPE_CHECKING:  # jsonschema and referencing load on first use (see _registry)
    import referencing
    from jsonschema import Draft202012Validator

HSDS_VERSION = "3.0"


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


def haven_taxonomies() -> list[dict[str, Any]]:
    """HSDS taxonomy objects for Haven's two taxonomies."""
    return [
        {"id": taxonomy.taxonomy_id(taxonomy.CATEGORIES), "name": taxonomy.CATEGORIES,
         "description": "Haven service categories", "version": "1"},
        {"id": taxonomy.taxonomy_id(taxonomy.POPULATIONS), "name": taxonomy.POPULATIONS,
         "description": "Populations a service is for", "version": "1"},
    ]


__all__ = ["HSDS_VERSION", "derived_id", "haven_taxonomies", "location_json",
           "openapi_document", "organization_json", "schema_errors", "service_at_location_json",
           "service_json", "stamp", "taxonomy_json", "term_json", "validator"]
