"""Preview and import an uploaded spreadsheet (the same checks as the CLI; see #9)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from webapp.exchange import importer, preview


def plan_bytes(data: bytes, filename: str,
               schema_dir: str) -> tuple[preview.Plan, importer.Rows | None]:
    """What importing this file would do; nothing is written."""
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("sheet" + suffix)
        path.write_bytes(data)
        try:
            plan = preview.plan(path)
        except importer.ImportError_ as exc:
            return preview.Plan(errors=[e.replace(path.name, filename) for e in exc.errors]), \
                None
        rows = preview.validate(plan, schema_dir)
    plan.errors = [e.replace(f"{path.name}: ", f"{filename}: ") for e in plan.errors]
    return plan, rows
