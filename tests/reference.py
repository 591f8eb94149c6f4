"""Where the tests find the reference data: reference/ in the repository (see its README)."""

from __future__ import annotations

from pathlib import Path

REFERENCE = Path(__file__).resolve().parent.parent / "reference"
HSDS_30 = REFERENCE / "hsds-3.0"
HSDS_31 = REFERENCE / "hsds-3.1"
HSDS_SCHEMAS = HSDS_30 / "schema"  # what webapp/config.py's HSDS_SCHEMA_DIR defaults to
HOTLINES_CSV = REFERENCE / "hotlines.csv"
