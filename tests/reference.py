"""Where the tests find the reference data: reference/ in the repository (see its README)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from webapp.exchange import hsds

REFERENCE = Path(__file__).resolve().parent.parent / "reference"
HSDS_30 = REFERENCE / "hsds-3.0"
HSDS_31 = REFERENCE / "hsds-3.1"
HSDS_SCHEMAS = HSDS_30 / "schema"  # what webapp/config.py's HSDS_SCHEMA_DIR defaults to
HOTLINES_CSV = REFERENCE / "hotlines.csv"


def valid_31(kind: str, record: dict[str, Any]) -> None:
    """Assert a record of this kind ("service", "organization", ...) validates against the
    HSDS 3.1 schemas in reference/."""
    errors = hsds.schema_errors(str(HSDS_31 / "schema"), kind, record)
    assert not errors, (kind, record.get("id"), errors[:3])
