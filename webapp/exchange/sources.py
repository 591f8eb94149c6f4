"""Where import records come from: a JSON file, a folder, or an HSDS CSV datapackage; and
what kind of HSDS record each is (service, organization, service_at_location, taxonomy,
taxonomy_term), from its file's name (organization_full.json, taxonomy_term_list.json,
services.json …) or else from its properties."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webapp import bulk
from webapp.exchange import csvpackage


class ImportError_(ValueError):
    """One or more records cannot be imported; nothing was written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


# File names start with their kind (plural or not, _full, _list …); longest first.
_FILE_KINDS = (("service_at_location", "service_at_location"), ("service", "service"),
               ("organization", "organization"), ("taxonomy_term", "taxonomy_term"),
               ("taxonomies", "taxonomy"), ("taxonomy", "taxonomy"), ("location", "location"))
# Properties only an organization has (a service has status, which HSDS requires).
_ORGANIZATION_ONLY = frozenset({"website", "tax_status", "tax_id", "year_incorporated",
                                "legal_status", "logo", "parent_organization_id", "programs",
                                "organization_identifiers", "services", "locations",
                                "additional_websites"})
_TERM_ONLY = frozenset({"code", "parent_id", "taxonomy", "taxonomy_detail", "taxonomy_id",
                        "term_uri", "language"})
_TAXONOMY = frozenset({"id", "name", "description", "uri", "version", "metadata"})


def kind_of_file(path: Path) -> str | None:
    """The kind of HSDS record a file holds, when its name says."""
    stem = path.stem.lower()
    return next((kind for prefix, kind in _FILE_KINDS if stem.startswith(prefix)), None)


def kind_of_record(data: Any) -> str:
    """The kind of HSDS record an object is, from its properties (a service when nothing
    says otherwise: its schema then names what is missing)."""
    if not isinstance(data, dict) or "status" in data:
        return "service"
    keys = data.keys()
    if "service" in keys or "location" in keys or {"service_id", "location_id"} <= keys:
        return "service_at_location"
    if keys & _ORGANIZATION_ONLY:
        return "organization"
    if keys & _TERM_ONLY:
        return "taxonomy_term"
    if keys <= _TAXONOMY and keys & {"uri", "version"}:
        return "taxonomy"
    return "service"


@dataclass
class Record:
    """One HSDS record, its kind and where it came from (for error messages).

    keep_extras: the record says only part of what is stored (an editor's form, a
    spreadsheet row): what it does not model stays as stored, not emptied."""

    source: str
    index: int
    data: Any
    kind: str = "service"
    keep_extras: bool = False

    def label(self) -> str:
        """'file: record N (id …, "name")' for error messages."""
        rid = self.data.get("id", "?") if isinstance(self.data, dict) else "?"
        name = self.data.get("name") if isinstance(self.data, dict) else None
        extra = f', "{name}"' if isinstance(name, str) else ""
        return f"{self.source}: record {self.index} (id {rid}{extra})"


@dataclass
class Reading:
    """What reading the files said before any record is checked: values it could not keep
    (warnings: --strict refuses them) and notes (a package read without its descriptor, rows
    kept apart because they name no record)."""

    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def read_records(path: Path, reading: Reading | None = None) -> list[Record]:
    """Records from a JSON file (one, a list, or an HSDS page), a folder, or a CSV
    datapackage (its folder or its datapackage.json); what reading says goes to reading."""
    if reading is None:
        reading = Reading()
    if path.is_dir():
        if csvpackage.is_datapackage(path):
            return _package(path, reading)
        out: list[Record] = []
        for child in sorted(path.iterdir()):
            if child.suffix == ".json" or (child.is_dir() and csvpackage.is_datapackage(child)):
                out.extend(read_records(child, reading))
        if not out:
            raise ImportError_([f"{path}: no .json files or services.csv found"])
        return out
    if csvpackage.is_descriptor(path):
        return _package(path.parent, reading)
    if not path.is_file():
        raise ImportError_([f"{path}: no such file or folder"])
    try:
        # Bytes decoded at once: read_text's newline handling took longer than the parse
        # (100k services, 320 MB); the collector paused: a third off the parse.
        with bulk.paused_gc():
            doc = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportError_([f"{path}: not valid JSON: {exc}"]) from exc
    if isinstance(doc, dict) and isinstance(doc.get("contents"), list):
        doc = doc["contents"]
    items = doc if isinstance(doc, list) else [doc]
    named = kind_of_file(path)
    return [Record(str(path), i + 1, item, named or kind_of_record(item))
            for i, item in enumerate(items)]


def _package(folder: Path, reading: Reading) -> list[Record]:
    """The records of a CSV datapackage, each named by its file and row."""
    try:
        with bulk.paused_gc():  # millions of rows that live until the import ends
            package = csvpackage.read(folder)
    except csvpackage.CsvError as exc:
        raise ImportError_(exc.errors) from exc
    reading.warnings.extend(package.warnings)
    reading.notices.extend(package.notices)
    return [Record(str(folder / name), index, data, kind)
            for kind, name, index, data in package.records]
