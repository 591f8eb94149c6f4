"""Spreadsheet import (.csv and .xlsx) with --dry-run, row/column errors, all or nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from tests.sheet_helpers import ROWS, found, write
from webapp.directory import hours
from webapp.exchange import sheets
from webapp.extensions import db
from webapp.models import Service

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

def services(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Service)) or 0)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_dry_run_writes_nothing_then_import_is_searchable(app: Flask, runner: FlaskCliRunner,
                                                          tmp_path: Path, kind: str) -> None:
    path = write(tmp_path, ROWS, kind, columns=tuple(reversed(sheets.COLUMNS)))  # any order
    before = services(app)
    dry = runner.invoke(args=["services", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "3 new, 0 changed, 0 unchanged, 0 with errors; nothing was written" in dry.output
    assert services(app) == before
    assert "Quillwort Legal Clinic" not in found(app, "quillwort")
    done = runner.invoke(args=["services", "import", str(path)])
    assert done.exit_code == 0, done.output
    assert services(app) == before + 3
    page = found(app, "quillwort")
    for name in ("Quillwort Legal Clinic", "Quillwort Counselling", "Quillwort Safe House"):
        assert name in page
    assert "555-0111" in found(app, "quillwort+legal")
    # Importing the same sheet again changes nothing; one edited cell is one changed row.
    again = runner.invoke(args=["services", "import", str(path), "--dry-run"])
    assert "0 new, 0 changed, 3 unchanged" in again.output, again.output
    edited = [dict(r) for r in ROWS]
    edited[1]["phone"] = "(555) 555-0119"
    edited[1]["hours"] = "Mo-Fr 10:00-18:00; Sa 10:00-12:00"
    path = write(tmp_path, edited, kind)
    changed = runner.invoke(args=["services", "import", str(path)])
    assert "row 2 (file line 3)  changed    Quillwort Counselling: phone, hours" in changed.output
    assert "0 new, 1 changed, 2 unchanged" in changed.output
    assert "555-0119" in found(app, "quillwort+counselling")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_bad_latitude_on_row_3_changes_nothing(app: Flask, runner: FlaskCliRunner,
                                               tmp_path: Path, kind: str) -> None:
    rows = [dict(r) for r in ROWS]
    rows[2]["latitude"] = "136.5"
    before = services(app)
    result = runner.invoke(args=["services", "import", str(write(tmp_path, rows, kind))])
    assert result.exit_code != 0
    assert "row 3 (file line 4), column 'latitude'" in result.output
    assert "nothing was imported" in result.output
    assert services(app) == before
    assert "Quillwort" not in found(app, "quillwort")


@pytest.mark.parametrize(("column", "value", "message"), [
    ("categories", "legal-aid;sorcery", "unknown code 'sorcery'"),
    ("categories", "", "at least one category"),
    ("name", "", "must not be empty"),
    ("confidential", "maybe", "write yes or no"),
    ("free", "Y", "write yes or no"),
    ("longitude", "east", "is not a number between -180 and 180"),
    ("timezone", "Mars/Olympus", "unknown time zone"),
    ("hours", "Mo-Fr 9am-5pm", "not a time range"),
    ("hours", "Mo-Fx 09:00-17:00", "not a day or day range"),
    ("website", "javascript:alert(1)", "must start with https://"),
    ("email", "not-an-address", "is not an e-mail address"),
    ("languages", "en;English", "is not a language code"),
    ("phone", "call us", "is not a phone number"),
    ("country", "USA", "two-letter country code"),
])
def test_each_bad_cell_is_named(app: Flask, runner: FlaskCliRunner, tmp_path: Path,
                                column: str, value: str, message: str) -> None:
    rows = [dict(r) for r in ROWS]
    rows[1][column] = value
    before = services(app)
    result = runner.invoke(args=["services", "import", str(write(tmp_path, rows))])
    assert result.exit_code != 0
    assert f"row 2 (file line 3), column '{column}'" in result.output, result.output
    assert message in result.output
    assert services(app) == before


def test_headers_are_a_contract(runner: FlaskCliRunner, tmp_path: Path) -> None:
    extra = write(tmp_path, ROWS, columns=(*sheets.COLUMNS, "notes"))
    result = runner.invoke(args=["services", "import", str(extra)])
    assert result.exit_code != 0 and "unknown column(s): notes" in result.output
    short = write(tmp_path, ROWS, columns=tuple(c for c in sheets.COLUMNS if c != "hours"))
    result = runner.invoke(args=["services", "import", str(short)])
    assert result.exit_code != 0 and "missing column(s): hours" in result.output
    (tmp_path / "latin1.csv").write_bytes(",".join(sheets.COLUMNS).encode() + b"\nCaf\xe9\n")
    result = runner.invoke(args=["services", "import", str(tmp_path / "latin1.csv")])
    assert result.exit_code != 0 and "CSV UTF-8" in result.output
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    result = runner.invoke(args=["services", "import", str(tmp_path / "broken.xlsx")])
    assert result.exit_code != 0 and "not a readable .xlsx workbook" in result.output
    assert "Traceback" not in result.output


def test_semicolon_csv_and_the_template(app: Flask, runner: FlaskCliRunner,
                                        tmp_path: Path) -> None:
    """Excel in many locales saves with ';' and decimal commas; the template imports as is."""
    template = runner.invoke(args=["services", "template"])
    assert template.exit_code == 0
    lines = template.output.splitlines()
    assert lines[0] == ",".join(sheets.COLUMNS)
    (tmp_path / "template.csv").write_text(template.output, encoding="utf-8")
    dry = runner.invoke(args=["services", "import", str(tmp_path / "template.csv"), "--dry-run"])
    assert "1 new, 0 changed, 0 unchanged, 0 with errors" in dry.output, dry.output
    row = {**ROWS[0], "latitude": "36,7378", "longitude": "-119,7871",
           "categories": "legal-aid; immigration"}
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=sheets.COLUMNS, delimiter=";")
    writer.writeheader()
    writer.writerow(row)  # the list cell is quoted, as Excel does
    (tmp_path / "semi.csv").write_text(buf.getvalue(), encoding="utf-8-sig")
    result = runner.invoke(args=["services", "import", str(tmp_path / "semi.csv")])
    assert result.exit_code == 0, result.output
    assert "Quillwort Legal Clinic" in found(app, "quillwort")


@pytest.mark.parametrize(("text", "expect"), [
    ("24/7", {d: [("00:00", "24:00")] for d in range(7)}),
    ("Mo-Fr 09:00-17:00; Sa 10:00-14:00",
     {**{d: [("09:00", "17:00")] for d in range(5)}, 5: [("10:00", "14:00")], 6: []}),
    ("Mo,We 9:00-12:00,13:00-17:00",
     {0: [("09:00", "12:00"), ("13:00", "17:00")], 1: [], 2: [("09:00", "12:00"),
                                                           ("13:00", "17:00")],
      3: [], 4: [], 5: [], 6: []}),
    ("10:00-16:00; Su off", {**{d: [("10:00", "16:00")] for d in range(6)}, 6: []}),
    ("Fr-Mo 20:00-02:00", {4: [("20:00", "02:00")], 5: [("20:00", "02:00")],
                           6: [("20:00", "02:00")], 0: [("20:00", "02:00")],
                           1: [], 2: [], 3: []}),
])
def test_opening_hours(text: str, expect: dict[int, list[tuple[str, str]]]) -> None:
    week = hours.parse_opening_hours(text)
    assert week == expect
    assert hours.parse_opening_hours(hours.format_opening_hours(week)) == week


@pytest.mark.parametrize("text", ["PH off", "Mo-Fr", "Jan-Mar 09:00-17:00", "Mo 25:00-26:00"])
def test_opening_hours_refused(text: str) -> None:
    with pytest.raises(hours.HoursError):
        hours.parse_opening_hours(text)
