"""Read an HSDS CSV datapackage (3.0 or 3.1) into HSDS JSON records, through its
datapackage.json: every resource it lists is read, each cell typed as its field says
(number, integer, boolean, object, array; the rest text), and the rows are nested into
organisation, service, taxonomy and taxonomy_term records the way HSDS JSON nests them
(exchange/csvtables.py says where each table's rows go). A column or table Haven does not
model stays in the records as given, so the importer keeps it with them (exchange/extras.py).

A folder without a usable descriptor is read by its HSDS file names, and the reader says so.
What it cannot keep (a cell beyond the header, a column named twice, a second row with an id
its table already has, a file the descriptor does not list) it names as a warning; a cell
that does not fit its field's type is an error.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webapp.exchange.csvtables import (
    FILES,
    HOMES,
    KEPT_WITH,
    LINKS,
    NUMBERS,
    ROOTS,
    TABLE_OF_FILE,
    UNLINKED,
)

DESCRIPTOR = "datapackage.json"
JSON_CELLS = "haven:json"  # a field property: each cell is JSON (a column of mixed types)
_INTEGER = re.compile(r"[+-]?\d+")
_TRUE = ("true", "True", "TRUE", "1")
_FALSE = ("false", "False", "FALSE", "0")


class CsvError(ValueError):
    """Cells or files that cannot be read; each message names the file, line and field."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Package:
    """The records of a package (kind, file, position in it, record) and what reading it
    could not keep (warnings) or wants said (notices)."""

    records: list[tuple[str, str, int, dict[str, Any]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


@dataclass
class _Table:
    """One resource: its HSDS table, file, fields (by name) and dialect."""

    name: str
    path: Path
    fields: dict[str, dict[str, Any]]
    missing: tuple[str, ...] = ("",)
    delimiter: str = ","
    encoding: str = "utf-8-sig"


def is_datapackage(folder: Path) -> bool:
    """A folder is a tabular datapackage when it has a datapackage.json or services.csv."""
    return (folder / DESCRIPTOR).is_file() or (folder / "services.csv").is_file()


def is_descriptor(path: Path) -> bool:
    """Whether a JSON file is a datapackage descriptor (by its name)."""
    return path.name == DESCRIPTOR


def read(folder: Path) -> Package:
    """The HSDS records of the datapackage in folder; CsvError when a cell or a listed file
    cannot be read (every one named)."""
    out = Package()
    errors: list[str] = []
    tables = _described(folder, out, errors)
    rows: dict[str, list[Row]] = {}
    for table in tables:
        rows.setdefault(table.name, []).extend(_rows(table, errors, out.warnings))
    if errors:
        raise CsvError([_within(folder, e) for e in errors])
    _Nest(rows, out).run()
    out.warnings = [_within(folder, w) for w in out.warnings]
    out.notices = [_within(folder, n) for n in out.notices]
    return out


def _within(folder: Path, message: str) -> str:
    """A message about a file of the package, starting with the file's path."""
    return message if message.startswith(str(folder)) else f"{folder}/{message}"


# the descriptor ---------------------------------------------------------------------------

def _descriptor(folder: Path) -> tuple[dict[str, Any] | None, str]:
    """The descriptor, or None and why there is none to use."""
    path = folder / DESCRIPTOR
    if not path.is_file():
        return None, "no datapackage.json"
    raw = path.read_bytes()
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        shown = raw[:60].decode("utf-8", "replace").strip()
        return None, f"datapackage.json is not JSON (it holds {shown!r})"
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        return None, "datapackage.json lists no resources"
    return doc, ""


def _described(folder: Path, out: Package, errors: list[str]) -> list[_Table]:
    """The tables the descriptor lists, else every CSV file by its name (said in a note)."""
    doc, why = _descriptor(folder)
    if doc is None:
        out.notices.append(f"{folder}: {why}: the tables are read by their HSDS file names "
                           "(services.csv, phones.csv …), their types as HSDS gives them")
        return [_Table(TABLE_OF_FILE.get(p.name, p.stem), p, _fallback_fields(p))
                for p in sorted(folder.glob("*.csv"))]
    tables: list[_Table] = []
    for i, res in enumerate(doc["resources"]):
        where = f"{folder / DESCRIPTOR}: resources[{i}]"
        if not isinstance(res, dict):
            errors.append(f"{where}: not an object")
            continue
        paths = res.get("path")
        paths = paths if isinstance(paths, list) else [paths]
        if res.get("path") is None and "data" in res:
            out.warnings.append(f"{where}: not kept: data given inline in the descriptor is "
                                "not read (give it as a CSV file)")
            continue
        schema = _schema(folder, res.get("schema"), where, errors)
        fields = {f["name"]: f for f in schema.get("fields") or []
                  if isinstance(f, dict) and isinstance(f.get("name"), str)}
        missing = schema.get("missingValues", [""])
        dialect = res["dialect"] if isinstance(res.get("dialect"), dict) else {}
        encoding = str(res.get("encoding") or "utf-8")
        for p in paths:
            path = _inside(folder, p, where, errors)
            if path is None:
                continue
            name = str(res.get("name") or path.stem)
            if name not in FILES:
                name = TABLE_OF_FILE.get(path.name, name)
            tables.append(_Table(
                name, path, fields,
                tuple(str(m) for m in missing) if isinstance(missing, list) else ("",),
                str(dialect.get("delimiter") or ","),
                "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8")
                else encoding))
    listed = {t.path for t in tables}
    for path in sorted(folder.glob("*.csv")):
        if path.resolve() not in listed:
            out.warnings.append(f"{path}: not kept: datapackage.json does not list it, so it "
                                "is not read")
    return tables


def _schema(folder: Path, schema: Any, where: str, errors: list[str]) -> dict[str, Any]:
    """A resource's table schema, given in place or as the path of a JSON file."""
    if isinstance(schema, str):
        path = _inside(folder, schema, where, errors)
        if path is None:
            return {}
        try:
            schema = json.loads(path.read_text("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            errors.append(f"{path}: not a JSON table schema: {exc}")
            return {}
    return schema if isinstance(schema, dict) else {}


def _inside(folder: Path, given: Any, where: str, errors: list[str]) -> Path | None:
    """The file a descriptor names, which must be in the package's folder."""
    if not isinstance(given, str) or not given:
        errors.append(f"{where}: field 'path': {given!r} is not a file name")
        return None
    if "://" in given:
        errors.append(f"{where}: field 'path': {given} is not in the folder (fetch it first)")
        return None
    path = (folder / given).resolve()
    if not path.is_relative_to(folder.resolve()):
        errors.append(f"{where}: field 'path': {given} is outside the package's folder")
        return None
    if not path.is_file():
        errors.append(f"{where}: field 'path': {given}: no such file in {folder}")
        return None
    return path


def _fallback_fields(path: Path) -> dict[str, dict[str, Any]]:
    table = TABLE_OF_FILE.get(path.name, path.stem)
    return {name: {"name": name, "type": "number"} for t, name in NUMBERS if t == table}


# the cells --------------------------------------------------------------------------------

Row = tuple[str, dict[str, Any]]  # ("file: line N", the row's cells by column)


def _rows(table: _Table, errors: list[str], warnings: list[str]) -> list[Row]:
    """("file: line N", row) for each row of one table, its cells typed."""
    name = table.path.name
    try:
        with table.path.open(encoding=table.encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=table.delimiter)
            header = next(reader, None)
            if header is None:
                return []
            columns: dict[str, int] = {}
            for i, col in enumerate(header):
                if col in columns:
                    warnings.append(f"{name}: column '{col}' (number {i + 1}): not kept: a "
                                    "column of that name comes before it")
                elif col:
                    columns[col] = i
            # per column: its converter (None: the text as it is) and whether it is required
            plan = [(col, i, _converter(table.fields.get(col, {})),
                     _required_text(table.fields.get(col, {}))) for col, i in columns.items()]
            missing = set(table.missing)
            width = len(header)
            out: list[Row] = []
            line = reader.line_num
            for cells in reader:
                where, line = f"{name}: line {line + 1}", reader.line_num
                if not any(cells):
                    continue
                if len(cells) > width and any(cells[width:]):
                    warnings.append(f"{where}: not kept: {sum(1 for c in cells[width:] if c)} "
                                    "cell(s) beyond the header, which names no column for them")
                elif len(cells) < width:
                    cells += [""] * (width - len(cells))
                row: dict[str, Any] = {}
                for col, i, convert, required in plan:
                    value = cells[i]
                    if value in missing:
                        if required:
                            row[col] = ""  # the record's schema requires it: empty, not absent
                    elif convert is None:
                        row[col] = value
                    else:
                        try:
                            row[col] = convert(value)
                        except ValueError:
                            errors.append(f"{where}: field '{col}': {value!r} is not "
                                          f"{_kind(table.fields.get(col, {}))}")
                out.append((where, row))
            return out
    except (UnicodeDecodeError, LookupError) as exc:
        errors.append(f"{name}: cannot be read as {table.encoding}: {exc}")
        return []
    except csv.Error as exc:
        errors.append(f"{name}: not CSV: {exc}")
        return []


def _converter(spec: dict[str, Any]) -> Callable[[str], Any] | None:
    """What turns a cell of this field into its value; None for text kept as it is."""
    if spec.get("type", "string") in ("string", "date", "time", "datetime", "any") and \
            not spec.get(JSON_CELLS):
        return None
    return lambda value: typed(value, spec)


def _required_text(spec: dict[str, Any]) -> bool:
    required = (spec.get("constraints") or {}).get("required") is True
    return required and spec.get("type", "string") == "string"


def _kind(spec: dict[str, Any]) -> str:
    kind = "JSON" if spec.get(JSON_CELLS) else str(spec.get("type"))
    return "an " + kind if kind[0] in "aeiou" else "a " + kind


def typed(value: str, spec: dict[str, Any]) -> Any:
    """A cell as the JSON value its field's type says; ValueError when it does not fit."""
    kind = spec.get("type", "string")
    if spec.get(JSON_CELLS):
        return json.loads(value)
    if kind in ("number", "integer", "year"):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
        if kind != "number":
            raise ValueError(value)
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(value)  # JSON has no NaN or infinity
        return number
    if kind == "boolean":
        if value in spec.get("trueValues", _TRUE):
            return True
        if value in spec.get("falseValues", _FALSE):
            return False
        raise ValueError(value)
    if kind in ("object", "array"):
        found = json.loads(value)
        if not isinstance(found, dict if kind == "object" else list):
            raise ValueError(value)
        return found
    return value


# the nesting ------------------------------------------------------------------------------

def _key(value: Any) -> str | None:
    """An id as rows are matched by it (the importer keeps ids in lower case)."""
    return value.lower() if isinstance(value, str) and value else None


class _Nest:
    """Puts each row where HSDS JSON nests it; the rest go to the package's first record."""

    def __init__(self, rows: dict[str, list[Row]], out: Package) -> None:
        self.rows = rows
        self.out = out
        self.objs: dict[str, dict[str, dict[str, Any]]] = {}
        self.where: dict[int, str] = {}
        self.unlinked: dict[str, list[dict[str, Any]]] = {}
        self.placed: set[int] = set()
        self.kept_with: dict[int, str | None] = {}
        self.linkable: dict[str, list[str]] = {}  # tables a row of a LINKS table may name

    def run(self) -> None:
        """Index every row by its id, nest each, and list the records."""
        for table, rows in self.rows.items():
            ids = self.objs.setdefault(table, {})
            for where, row in rows:
                self.where[id(row)] = where
                if KEPT_WITH in row:  # Haven's own package: where it kept the row
                    self.kept_with[id(row)] = _key(row.pop(KEPT_WITH))
                rid = _key(row.get("id"))
                if rid is None:
                    continue
                if rid in ids and table not in ROOTS:
                    # the importer names a root given twice; a part is matched by its id
                    self.out.warnings.append(f"{where} (id {row['id']}): not kept: "
                                             f"{self.where[id(ids[rid])]} has the same id")
                    row["$dropped"] = True
                    continue
                ids.setdefault(rid, row)
        for table, rows in self.rows.items():
            if table in ROOTS or table in ("location", "unit"):
                continue
            for _where, row in rows:
                if not row.pop("$dropped", False):
                    self._home(table, row)
        self._locations()
        self._units()
        self._records()

    def _put(self, holder: dict[str, Any], prop: str, row: dict[str, Any]) -> bool:
        items = holder.setdefault(prop, [])
        if not isinstance(items, list):
            return False  # a column of that name holds something else: kept unlinked
        items.append(row)
        self.placed.add(id(row))
        return True

    def _home(self, table: str, row: dict[str, Any]) -> None:
        if table in LINKS:
            column, kinds, prop = LINKS[table]
            target = self._linked(table, row.get(column), [row.get(k) for k in kinds])
            if target is not None and target is not row and self._put(target, prop, row):
                return
        for column, parent, prop in HOMES.get(table, ()):
            holder = self.objs.get(parent, {}).get(_key(row.get(column)) or "")
            if holder is not None and self._put(holder, prop, row):
                return
        self.unlinked.setdefault(table, []).append(row)

    def _linked(self, table: str, rid: Any, kinds: list[Any]) -> dict[str, Any] | None:
        """The row an attribute or metadata row names (by its table when it says which;
        never another attribute or metadata row, so nothing nests in itself)."""
        key = _key(rid)
        if key is None:
            return None
        allowed = self.linkable.get(table)
        if allowed is None:
            allowed = self.linkable[table] = [
                t for t in self.objs if t not in LINKS or (t == "attribute" and
                                                           table == "metadata")]
        named = [t for t in allowed if t in kinds or f"{t}s" in kinds]
        for t in named + allowed:
            if key in self.objs[t]:
                return self.objs[t][key]
        return None

    def _locations(self) -> None:
        """A location nests in its organisation, else in the first place (in the order of
        the services) that names it; the other places name it by location_id."""
        locs = self.objs.get("location", {})
        for _where, loc in self.rows.get("location", []):
            if loc.pop("$dropped", False):
                continue
            org = self.objs.get("organization", {}).get(_key(loc.get("organization_id")) or "")
            if org is not None:
                self._put(org, "locations", loc)
        services = [s for _w, s in self.rows.get("service", [])]
        sals = [p for s in services for p in s.get("service_at_locations") or []]
        sals += [p for p in self.unlinked.get("service_at_location", [])]
        for sal in sals:
            named = locs.get(_key(sal.get("location_id")) or "")
            if named is not None and id(named) not in self.placed and "location" not in sal:
                sal["location"] = named
                self.placed.add(id(named))
        for _where, loc in self.rows.get("location", []):
            if id(loc) not in self.placed and locs.get(_key(loc.get("id")) or "") is loc:
                self.unlinked.setdefault("location", []).append(loc)

    def _units(self) -> None:
        """A unit nests in every capacity naming it (3.1 gives the object there)."""
        units = self.objs.get("unit", {})
        used: set[int] = set()
        for _where, cap in self.rows.get("service_capacity", []):
            unit = units.get(_key(cap.get("unit_id")) or "")
            if unit is not None and "unit" not in cap:
                cap["unit"] = unit
                used.add(id(unit))
        for _where, unit in self.rows.get("unit", []):
            if id(unit) not in used and not unit.pop("$dropped", False):
                self.unlinked.setdefault("unit", []).append(unit)

    def _records(self) -> None:
        for kind in ROOTS:
            for i, (where, row) in enumerate(self.rows.get(kind, [])):
                self.out.records.append((kind, where.split(":")[0], i + 1, row))
        first = self._holder()
        groups: dict[tuple[int, str], tuple[tuple[str, dict[str, Any]] | None, list[Any]]] = {}
        for table, rows in self.unlinked.items():
            for row in rows:
                holder = self._named(self.kept_with.get(id(row))) or first
                key = (id(holder[1]) if holder else 0, table)
                groups.setdefault(key, (holder, []))[1].append(row)
        for (_holder, table), (holder, rows) in groups.items():
            lines = ", ".join(self.where.get(id(r), "?").split(": ")[-1] for r in rows[:5])
            more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
            file = self.where.get(id(rows[0]), table).split(":")[0]
            if holder is None:
                self.out.warnings.append(
                    f"{file}: {lines}{more}: not kept: they name no record of the package, "
                    "and it has no organisation or service to keep them with")
                continue
            kind, rec = holder
            rec.setdefault(UNLINKED, {}).setdefault(table, []).extend(rows)
            self.out.notices.append(
                f"{file}: {lines}{more}: {'names' if len(rows) == 1 else 'each name'} no "
                f"record of the package: kept as given with {kind} {rec.get('id')} "
                f"({UNLINKED}.{table})")

    def _named(self, rid: str | None) -> tuple[str, dict[str, Any]] | None:
        """The organisation or service of the package with this id, if any."""
        for kind in ("organization", "service"):
            found = self.objs.get(kind, {}).get(rid or "")
            if found is not None:
                return kind, found
        return None

    def _holder(self) -> tuple[str, dict[str, Any]] | None:
        """The package's first organisation by id, else its first service: the same one
        whatever order the rows come in, so a package written back keeps them there."""
        for kind in ("organization", "service"):
            found = [r for _w, r in self.rows.get(kind, []) if isinstance(r.get("id"), str)]
            if found:
                return kind, min(found, key=lambda r: str(r["id"]).lower())
        return None
