"""Spreadsheets in tests: three rows of a network's listings (one confidential), written as
.csv or .xlsx, and what a search then finds."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from flask import Flask
from openpyxl import Workbook

from webapp.exchange import sheets

ROWS = [
    {**sheets.EXAMPLE_ROW, "organization": "Quillwort Network", "name": "Quillwort Legal Clinic",
     "phone": "(555) 555-0111"},
    {**sheets.EXAMPLE_ROW, "organization": "Quillwort Network", "name": "Quillwort Counselling",
     "categories": "counselling", "populations": "", "phone": "(555) 555-0112",
     "languages": "en;fa", "address": "", "latitude": "", "longitude": "",
     "hours": "Mo-Fr 10:00-18:00", "free": "no", "email": "", "website": ""},
    {**sheets.EXAMPLE_ROW, "organization": "Quillwort Network", "name": "Quillwort Safe House",
     "categories": "shelter", "populations": "women", "phone": "(555) 555-0113",
     "address": "12 Hidden Lane", "confidential": "yes", "hours": "24/7", "email": "",
     "website": ""},
]


def write(tmp_path: Path, rows: list[dict[str, str]], kind: str = "csv",
          columns: tuple[str, ...] = sheets.COLUMNS) -> Path:
    """The rows as a .csv or .xlsx file, columns in the order given."""
    if kind == "csv":
        path = tmp_path / "sheet.csv"
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")
        return path
    path = tmp_path / "sheet.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row.get(c, "") for c in columns])
    book.save(path)
    return path


def found(app: Flask, query: str) -> str:
    """The HTML of the English search page for query."""
    return app.test_client().get(f"/en/search?q={query}").get_data(as_text=True)
