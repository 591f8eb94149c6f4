"""Read an HSDS 3.0 tabular (CSV) datapackage into nested service objects."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

# Columns whose HSDS type is a number; CSV gives every value as text.
_NUMBERS = {"latitude", "longitude", "extension", "minimum_age", "maximum_age", "timezone",
            "amount", "interval", "count", "year_incorporated"}


def is_datapackage(folder: Path) -> bool:
    """A folder is a tabular datapackage when it holds services.csv."""
    return (folder / "services.csv").is_file()


class CsvError(ValueError):
    """A CSV cell that does not fit its column's type."""


def _read(folder: Path, name: str) -> list[dict[str, Any]]:
    path = folder / name
    if not path.is_file():
        return []
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for line_no, row in enumerate(csv.DictReader(fh), start=2):
            clean: dict[str, Any] = {}
            for key, value in row.items():
                if key is None or value is None or value == "":
                    continue
                if key in _NUMBERS:
                    try:
                        clean[key] = float(value) if "." in value else int(value)
                    except ValueError as exc:
                        raise CsvError(f"{path.name}: line {line_no}: field '{key}': "
                                       f"{value!r} is not a number") from exc
                else:
                    clean[key] = value
            rows.append(clean)
    return rows


def _group(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if key in row:
            out[row[key]].append(row)
    return out


def load_services(folder: Path) -> list[dict[str, Any]]:
    """Nest the tables of one datapackage into a list of HSDS service objects."""
    orgs = {r["id"]: r for r in _read(folder, "organizations.csv")}
    terms = {r["id"]: r for r in _read(folder, "taxonomy_terms.csv")}
    taxonomies = {r["id"]: r for r in _read(folder, "taxonomies.csv")}
    locations = {r["id"]: r for r in _read(folder, "locations.csv")}
    addresses = _group(_read(folder, "addresses.csv"), "location_id")
    phones = _group(_read(folder, "phones.csv"), "service_id")
    schedules = _group(_read(folder, "schedules.csv"), "service_id")
    languages = _group(_read(folder, "languages.csv"), "service_id")
    costs = _group(_read(folder, "cost_options.csv"), "service_id")
    attributes = _group(_read(folder, "attributes.csv"), "link_id")
    sals = _group(_read(folder, "service_at_location.csv"), "service_id")
    services = []
    for svc in _read(folder, "services.csv"):
        sid = svc["id"]
        out = dict(svc)
        if svc.get("organization_id") in orgs:
            out["organization"] = orgs[svc["organization_id"]]
        out["phones"] = [_only(p, "id", "number", "extension", "type", "description")
                         for p in phones.get(sid, [])]
        out["schedules"] = schedules.get(sid, [])
        out["languages"] = languages.get(sid, [])
        out["cost_options"] = costs.get(sid, [])
        attrs = []
        for attr in attributes.get(sid, []):
            term = terms.get(attr.get("taxonomy_term_id", ""))
            if term is not None:
                term = dict(term)
                tax = taxonomies.get(term.get("taxonomy_id", ""))
                if tax is not None and "taxonomy" not in term:
                    term["taxonomy"] = tax["name"]
                attr = {**attr, "taxonomy_term": term}
            attrs.append(attr)
        out["attributes"] = attrs
        nested_sals = []
        for sal in sals.get(sid, []):
            sal = dict(sal)
            loc = locations.get(sal.get("location_id", ""))
            if loc is not None:
                sal["location"] = {**loc, "addresses": addresses.get(loc["id"], [])}
            nested_sals.append(sal)
        out["service_at_locations"] = nested_sals
        services.append(out)
    return services


def _only(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: row[k] for k in keys if k in row}
