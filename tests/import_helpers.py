"""Helpers for import tests: copies of records under new ids, and every table an import
writes, to compare one import with another."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from webapp.extensions import db

NS = uuid.UUID("5b0a7f64-1d1e-4d8e-9a55-3f1c2e7d9b20")
# Everything an import writes, in a stable order (meta holds the index epoch: a random id).
TABLES = {
    "service": "id", "organization": "id", "location": "id", "phone": "service_id, id",
    "schedule": "service_id, id", "language": "service_id, id",
    "service_translation": "service_id, locale", "service_at_location": "id",
    "service_term": "service_id, term_id", "taxonomy": "id", "taxonomy_term": "id",
    "search_doc": "service_id",
    "search_vocab": "token",
}


def reid(obj: Any, n: int) -> Any:
    """A copy with new ids (taxonomy terms keep theirs: they are shared)."""
    if isinstance(obj, dict):
        return {k: (v if k == "taxonomy_term" else
                    str(uuid.uuid5(NS, f"{n}:{v}")) if k in ("id", "service_id", "location_id",
                                                             "organization_id")
                    and isinstance(v, str) else reid(v, n))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [reid(v, n) for v in obj]
    return obj


def tables() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table an import writes, in a stable order."""
    return {name: [tuple(r) for r in db.session.execute(
        text(f"SELECT * FROM {name} ORDER BY {order}"))]  # noqa: S608 (names above)
        for name, order in TABLES.items()}


def leaves(doc: Any, path: str = "") -> dict[str, Any]:
    """Every leaf value of a JSON document by its path (a.b[0].c); an empty list or object
    is a leaf. Two documents hold the same values when their leaves are equal."""
    if isinstance(doc, dict) and doc:
        out: dict[str, Any] = {}
        for k, v in doc.items():
            out.update(leaves(v, f"{path}.{k}" if path else k))
        return out
    if isinstance(doc, list) and doc:
        out = {}
        for i, v in enumerate(doc):
            out.update(leaves(v, f"{path}[{i}]"))
        return out
    return {path: doc}
