"""Where import records come from: a JSON file, a folder, or an HSDS CSV datapackage."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webapp import bulk
from webapp.exchange import csvpackage


class ImportError_(ValueError):
    """One or more records cannot be imported; nothing was written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Record:
    """One service object and where it came from (for error messages)."""

    source: str
    index: int
    data: Any

    def label(self) -> str:
        """'file: record N (id …, "name")' for error messages."""
        rid = self.data.get("id", "?") if isinstance(self.data, dict) else "?"
        name = self.data.get("name") if isinstance(self.data, dict) else None
        extra = f', "{name}"' if isinstance(name, str) else ""
        return f"{self.source}: record {self.index} (id {rid}{extra})"


def read_records(path: Path) -> list[Record]:
    """Service objects from a JSON file (one, a list, or an HSDS page), a folder, or CSV."""
    if path.is_dir():
        if csvpackage.is_datapackage(path):
            try:
                services = csvpackage.load_services(path)
            except csvpackage.CsvError as exc:
                raise ImportError_([f"{path}: {exc}"]) from exc
            return [Record(f"{path}/services.csv", i + 1, s) for i, s in enumerate(services)]
        out: list[Record] = []
        for child in sorted(path.iterdir()):
            if child.suffix == ".json" or (child.is_dir() and csvpackage.is_datapackage(child)):
                out.extend(read_records(child))
        if not out:
            raise ImportError_([f"{path}: no .json files or services.csv found"])
        return out
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
    return [Record(str(path), i + 1, item) for i, item in enumerate(items)]
