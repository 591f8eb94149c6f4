"""Write the directory as an HSDS CSV datapackage (`services export DIR --format csv`): one
CSV file per HSDS table and a datapackage.json describing each (its fields and their types),
which `services import DIR` reads back to the same records.

Every record is rendered as the API serves it (hsds.py: what Haven models, then what its
source gave that Haven does not), validated, and its nested objects written back as the rows
of their tables (exchange/csvtables.py says which), each row once however many records
repeat it. A confidential location's street is in no file: its location comes as the API
serves it (no address, the coarse point), and any cell repeating such a street has it taken
out.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from webapp import collector
from webapp.directory.queries import load_services
from webapp.exchange import extras, hsds
from webapp.exchange.csvpackage import DESCRIPTOR, JSON_CELLS
from webapp.exchange.csvtables import (
    COLUMNS_31,
    FILES,
    KEPT_WITH,
    SINGLES,
    UNLINKED,
    children,
    linked,
)
from webapp.exchange.services import EXPORT_BATCH, ExportError
from webapp.extensions import db
from webapp.models import Location, Organization, Service, Taxonomy, TaxonomyTerm

_CHILDREN = children()
_NAME = re.compile(r"[a-z0-9_]+")


class Tables:
    """Rows by table and id, built from nested HSDS objects."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, dict[str, Any]]] = {}

    def add(self, table: str, obj: dict[str, Any],
            holder: tuple[str, Any] | None = None) -> None:
        """obj as a row of table, and each object nested in it as a row of its own table;
        holder: (column, id) naming the object obj was nested in."""
        row: dict[str, Any] = {}
        for name, value in obj.items():
            if name == UNLINKED and isinstance(value, dict):
                for other, items in value.items():
                    for item in items if isinstance(items, list) else []:
                        if isinstance(item, dict) and isinstance(other, str):
                            self.add(other, item, (KEPT_WITH, obj.get("id")))
                continue
            child = _CHILDREN.get((table, name)) or linked(name)
            if child is not None and isinstance(value, list) and all(
                    isinstance(item, dict) for item in value):
                for item in value:  # an empty list is no rows
                    self.add(child[0], item, (child[1], obj.get("id")))
                continue
            single = SINGLES.get((table, name))
            if single is not None and isinstance(value, dict):
                column, other = single
                self.add(other, value)
                if column not in obj and "id" in value:
                    row[column] = value["id"]
                continue
            row[name] = value
        if holder is not None and holder[1] is not None:
            row.setdefault(holder[0], holder[1])
        self._keep(table, row)

    def _keep(self, table: str, row: dict[str, Any]) -> None:
        rows = self.rows.setdefault(table, {})
        rid = row.get("id")
        if not isinstance(rid, str):
            rows[f"\0{len(rows)}"] = row  # HSDS requires an id; kept as given all the same
            return
        have = rows.get(rid)
        if have is None:
            rows[rid] = row
            return
        for name, value in row.items():  # the same row met again: what it adds
            have.setdefault(name, value)


def export_csv(folder: Path, schema_dir: str) -> tuple[int, Path]:
    """Write every service, organisation, taxonomy and term, validated, as an HSDS CSV
    datapackage in folder (made if missing); returns how many services and the descriptor
    written. ExportError (nothing written) when a record does not validate."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file: a CSV datapackage is written to a folder")
    tables = Tables()
    ids = db.session.scalars(select(Service.id).order_by(Service.id)).all()
    for i in range(0, len(ids), EXPORT_BATCH):
        with collector.paused():  # see collector.py: no collection inside the ORM's work
            for svc in load_services(list(ids[i:i + EXPORT_BATCH])):
                doc = _valid(schema_dir, "service", svc.id, hsds.service_json(svc))
                doc.pop("organization", None)  # written once, from organizations below
                tables.add("service", doc)
    for org in db.session.scalars(select(Organization).order_by(Organization.id)):
        tables.add("organization", _valid(schema_dir, "organization", org.id,
                                          hsds.organization_json(org, whole=True)))
    for tax in db.session.scalars(select(Taxonomy).order_by(Taxonomy.id)):
        tables.add("taxonomy", _valid(schema_dir, "taxonomy", tax.id, hsds.taxonomy_json(tax)))
    for term in db.session.scalars(select(TaxonomyTerm).order_by(TaxonomyTerm.id)):
        tables.add("taxonomy_term", _valid(schema_dir, "taxonomy_term", term.id,
                                           hsds.term_json(term)))
    _withhold(tables)
    folder.mkdir(parents=True, exist_ok=True)
    write(folder, tables, schema_dir)
    return len(ids), folder / DESCRIPTOR


def _valid(schema_dir: str, kind: str, rid: str, doc: dict[str, Any]) -> dict[str, Any]:
    errors = hsds.schema_errors(schema_dir, kind, doc)
    if errors:
        raise ExportError(f"{kind.replace('_', ' ')} {rid} does not validate: {errors[0]}")
    return doc


def _withhold(tables: Tables) -> None:
    """No confidential location's address row, and its street out of every cell."""
    hidden = {lid: str(street or "").strip().casefold() for lid, street in db.session.execute(
        select(Location.id, Location.address_1).where(Location.confidential.is_(True)))}
    streets = {s for s in hidden.values() if len(s) >= extras.STREET_MIN}
    addresses = tables.rows.get("address", {})
    for key in [k for k, r in addresses.items() if r.get("location_id") in hidden]:
        del addresses[key]
    if streets:
        for rows in tables.rows.values():
            for key, row in rows.items():
                rows[key] = extras.without_streets(row, streets)


# writing ----------------------------------------------------------------------------------

def write(folder: Path, tables: Tables, schema_dir: str) -> None:
    """Each table as CSV and the descriptor listing them; all written, then all renamed into
    place (never a half-written package)."""
    names = list(FILES)  # every HSDS table, with its header when it has no rows
    names += [t for t in tables.rows if t not in names and _NAME.fullmatch(t)]
    resources = []
    for table in names:
        rows = list(tables.rows.get(table, {}).values())
        fields = _fields(table, rows, schema_dir)
        file = FILES.get(table, f"{table}.csv")
        with (folder / (file + ".part")).open("w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh, lineterminator="\r\n")
            out.writerow([f["name"] for f in fields])
            for row in rows:
                out.writerow([_cell(row.get(f["name"]), f) for f in fields])
        schema: dict[str, Any] = {"fields": fields}
        ids = [r.get("id") for r in rows]
        if all(isinstance(i, str) and i for i in ids) and len(set(ids)) == len(ids):
            schema["primaryKey"] = "id"
        resources.append({"name": table, "path": file, "profile": "tabular-data-resource",
                          "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                          "schema": schema})
    descriptor = {
        "profile": "tabular-data-package", "name": "haven-directory",
        "title": "Human Services Data Specification (HSDS) tables exported by Haven",
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": resources,
    }
    (folder / (DESCRIPTOR + ".part")).write_text(
        json.dumps(descriptor, ensure_ascii=False, indent=1), encoding="utf-8")
    for name in [FILES.get(t, f"{t}.csv") for t in names] + [DESCRIPTOR]:
        (folder / (name + ".part")).replace(folder / name)


def _properties(table: str, schema_dir: str) -> tuple[dict[str, Any], set[str]]:
    """The JSON schema's properties of a table (what HSDS gives a column) and its required."""
    path = Path(schema_dir) / f"{table}.json"
    if not path.is_file():
        return {}, set()
    doc = json.loads(path.read_text("utf-8"))
    return doc.get("properties") or {}, set(doc.get("required") or [])


_DATE_TYPES = {"date": (r"\d{4}-\d{2}-\d{2}", "date"), "time": (r"\d{2}:\d{2}(:\d{2})?", "time"),
               "date-time": (r"\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?", "datetime")}


def _fields(table: str, rows: list[dict[str, Any]], schema_dir: str) -> list[dict[str, Any]]:
    """The table's columns: HSDS's own (in its order, each with HSDS's type), then every
    other one its rows have, typed by their values."""
    props, required = _properties(table, schema_dir)
    names = [n for n, p in props.items()
             if p.get("type") not in ("array", "object") and "$ref" not in p]
    names = names or list(COLUMNS_31.get(table, ()))
    seen = set(names)
    for row in rows:
        for name in row:
            if name not in seen:
                seen.add(name)
                names.append(name)
    out = []
    for name in names:
        values = [row[name] for row in rows if row.get(name) is not None]
        spec: dict[str, Any] = {"name": name, **_typed(values, props.get(name) or {})}
        if name in required and spec["type"] == "string":
            spec["constraints"] = {"required": True}
        out.append(spec)
    return out


def _typed(values: list[Any], prop: dict[str, Any]) -> dict[str, Any]:
    """The Table Schema type that writes these values back as they are."""
    kinds = {_kind(v) for v in values}
    if not kinds:
        given = prop.get("type")
        kinds = {given if given in ("number", "integer", "boolean") else "string"}
    if kinds <= {"integer", "number"}:
        return {"type": "number" if "number" in kinds or prop.get("type") == "number"
                else "integer"}
    if len(kinds) > 1:
        return {"type": "any", JSON_CELLS: True}  # each cell JSON, so each keeps its type
    kind = kinds.pop()
    if kind == "string" and prop.get("format") in _DATE_TYPES:
        pattern, name = _DATE_TYPES[prop["format"]]
        if all(re.fullmatch(pattern, v) for v in values):
            return {"type": name}
    return {"type": kind}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


def _cell(value: Any, spec: dict[str, Any]) -> str:
    """A value as its cell holds it (None: empty)."""
    if value is None:
        return ""
    if spec.get(JSON_CELLS) or isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # 100, as a sheet writes it (Haven keeps some numbers as floats)
    if isinstance(value, int | float):
        return json.dumps(value)
    return str(value)
