"""Spreadsheet import (.csv, .xlsx): one row per service, for organisations that keep their
directory in Excel or Google Sheets.

The column headers are a contract other tools rely on: exactly COLUMNS, in any order. A row
becomes an HSDS service and then goes through the same validation as any HSDS import. Errors
name the row (and the file line) and the column. A service is known again by its
organisation, name and city, so importing the same sheet twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webapp.directory import hours, taxonomy
from webapp.directory.presenters import mail_address, web_link
from webapp.exchange import sheet_limits
from webapp.exchange.hsds import derived_id, stamp
from webapp.exchange.sources import ImportError_, Record

COLUMNS = ("organization", "name", "categories", "populations", "description", "phone", "sms",
           "whatsapp", "languages", "address", "city", "region", "postal_code", "country",
           "latitude", "longitude", "timezone", "confidential", "hours", "free", "email",
           "website")
EXAMPLE_ROW = {
    "organization": "Example Network", "name": "Example Legal Clinic",
    "categories": "legal-aid;immigration", "populations": "foreign-nationals",
    "description": "Free lawyers for people who were trafficked or exploited.",
    "phone": "(555) 555-0100", "sms": "", "whatsapp": "", "languages": "en;es",
    "address": "100 Example Street", "city": "Fresno", "region": "CA", "postal_code": "00000",
    "country": "US", "latitude": "36.7378", "longitude": "-119.7871",
    "timezone": "America/Los_Angeles", "confidential": "no",
    "hours": "Mo-Fr 09:00-17:00; Sa 10:00-14:00", "free": "yes",
    "email": "clinic@example.org", "website": "https://example.org/clinic",
}
MAX_ROWS = 20_000
LIST_COLUMNS = ("categories", "populations", "phone", "sms", "whatsapp", "languages")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_PHONE = re.compile(r"^\+?[\d\s().\-/]{3,40}$")
_CODES = {name: {t.code for t in taxonomy.ALL_TERMS if t.taxonomy == name}
          for name in (taxonomy.CATEGORIES, taxonomy.POPULATIONS)}


@dataclass
class SheetRow:
    """One data row: its number (1 = the first row under the headers) and its cells."""

    number: int
    cells: dict[str, str]

    def where(self, column: str | None = None) -> str:
        """'row 3 (file line 4), column 'latitude'' for messages."""
        spot = f"row {self.number} (file line {self.number + 1})"
        return f"{spot}, column '{column}'" if column else spot


@dataclass
class SheetRecord(Record):
    """An HSDS record built from a sheet row; errors point at the row, not a record index."""

    row: SheetRow | None = None

    def label(self) -> str:
        """'sheet.csv: row 3 (file line 4)'."""
        return f"{self.source}: {self.row.where() if self.row else f'row {self.index}'}"


@dataclass
class Parsed:
    """Every row of a sheet, as HSDS records, plus every problem found."""

    records: list[SheetRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a postal code or number Excel stored as a number
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value).strip()


def _table(path: Path) -> list[list[str]]:
    budget = sheet_limits.Budget(path.name)
    if path.suffix.lower() != ".xlsx":
        return sheet_limits.csv_rows(path, budget)
    sheet_limits.scan_xlsx(path, budget)  # refuses an oversized workbook before openpyxl
    from openpyxl import load_workbook  # only the spreadsheet import needs it

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise ImportError_([f"{path.name}: not a readable .xlsx workbook ({exc})"]) from exc
    try:
        out = []
        for row in book.worksheets[0].iter_rows(values_only=True, max_row=MAX_ROWS + 2):
            out.append([_cell(v) for v in row])
            budget.clock()
        return out
    finally:
        book.close()


def read_sheet(path: Path) -> list[SheetRow]:
    """The data rows of a .csv or .xlsx file, after checking the headers by name."""
    if not path.is_file():
        raise ImportError_([f"{path}: no such file"])
    table = _table(path)
    if not table or not any(table[0]):
        raise ImportError_([f"{path.name}: the first row must hold the column headers"])
    headers = [h.strip().lower() for h in table[0]]
    while headers and not headers[-1]:
        headers.pop()
    problems = []
    unknown = [h or "(blank)" for h in headers if h not in COLUMNS]
    if unknown:
        problems.append(f"{path.name}: unknown column(s): {', '.join(unknown)}")
    missing = [c for c in COLUMNS if c not in headers]
    if missing:
        problems.append(f"{path.name}: missing column(s): {', '.join(missing)}")
    twice = sorted({h for h in headers if headers.count(h) > 1})
    if twice:
        problems.append(f"{path.name}: column(s) given twice: {', '.join(twice)}")
    if len(table) - 1 > MAX_ROWS:
        problems.append(f"{path.name}: more than {MAX_ROWS} rows; split the sheet")
    if problems:
        raise ImportError_([*problems, "the columns are: " + ", ".join(COLUMNS)])
    rows = []
    for number, values in enumerate(table[1:], start=1):
        if not any(v for v in values):
            continue  # a blank line between blocks is not an error
        if any(v for v in values[len(headers):]):
            raise ImportError_([f"{path.name}: row {number} (file line {number + 1}) has "
                                "values beyond the last column header"])
        cells = {h: (values[i] if i < len(values) else "") for i, h in enumerate(headers)}
        rows.append(SheetRow(number, cells))
    return rows


def _list(text: str) -> list[str]:
    return [p.strip() for p in text.split(";") if p.strip()]


def _yes_no(row: SheetRow, column: str, errors: list[str]) -> bool | None:
    value = row.cells[column].strip().lower()
    if value in ("yes", "no"):
        return value == "yes"
    if value:
        errors.append(f"{row.where(column)}: write yes or no, not {row.cells[column]!r}")
    return None


def decimal(text: str) -> float | None:
    """A number as a sheet may write it, with a decimal point or a decimal comma."""
    text = text.strip()
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _coordinate(row: SheetRow, column: str, limit: float, errors: list[str]) -> float | None:
    if not row.cells[column].strip():
        return None
    value = decimal(row.cells[column])
    if value is None or not -limit <= value <= limit:  # also false for nan
        errors.append(f"{row.where(column)}: {row.cells[column]!r} is not a number between "
                      f"-{limit:g} and {limit:g}")
        return None
    return value


def service_key(organization: str, name: str, city: str) -> str:
    """The stable id of a sheet's service: the same organisation, name and city, the same id."""
    return derived_id("sheet", organization.strip().casefold(), name.strip().casefold(),
                      city.strip().casefold())


def _schedules(row: SheetRow, sid: str, tz: str, errors: list[str]) -> list[dict[str, Any]]:
    try:
        week = hours.parse_opening_hours(row.cells["hours"])
    except hours.HoursError as exc:
        errors.append(f"{row.where('hours')}: {exc}")
        return []
    if any(week.values()) and not tz:
        errors.append(f"{row.where('timezone')}: needed when hours are given "
                      "(e.g. America/Los_Angeles)")
    by_range: dict[tuple[str, str], list[int]] = {}
    for day, ranges in week.items():
        for span in ranges:
            by_range.setdefault(span, []).append(day)
    out = []
    for i, ((opens, closes), days) in enumerate(sorted(by_range.items())):
        out.append({"id": derived_id(sid, "schedule", str(i)), "freq": "WEEKLY",
                    "byday": ",".join(hours.DAYS[d] for d in sorted(days)),
                    "opens_at": opens, "closes_at": "23:59" if closes == "24:00" else closes,
                    "haven_timezone": tz})
    return out


def _terms(row: SheetRow, column: str, tax: str, sid: str,
           errors: list[str]) -> list[dict[str, Any]]:
    out = []
    for code in _list(row.cells[column]):
        term = taxonomy.BY_CODE.get((tax, code.lower()))
        if term is None:
            errors.append(f"{row.where(column)}: unknown code {code!r}; use "
                          + ", ".join(sorted(_CODES[tax])))
            continue
        out.append({"id": derived_id(sid, "attr", term.id), "taxonomy_term_id": term.id,
                    "link_type": "service",
                    "taxonomy_term": {"id": term.id, "code": term.code, "name": term.code,
                                      "description": term.description, "taxonomy": tax,
                                      "taxonomy_id": taxonomy.taxonomy_id(tax)}})
    return out


def row_to_service(row: SheetRow, errors: list[str], sid: str | None = None) -> dict[str, Any]:
    """An HSDS 3.0 service object from one row; problems are appended to errors.

    A sheet's service is known by its organisation, name and city; the editor passes the id of
    the listing it edits instead, so renaming a listing keeps it the same listing."""
    c = row.cells
    for column in ("organization", "name", "country"):
        if not c[column]:
            errors.append(f"{row.where(column)}: must not be empty")
    if not _list(c["categories"]):
        errors.append(f"{row.where('categories')}: at least one category, e.g. legal-aid")
    sid = sid or service_key(c["organization"], c["name"], c["city"])
    org_id = derived_id("sheet-org", c["organization"].strip().casefold())
    country = c["country"].upper()
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        errors.append(f"{row.where('country')}: a two-letter country code such as US or GB")
    tz = c["timezone"]
    if tz:
        try:
            hours.zone_key(tz, None)
        except hours.HoursError:
            errors.append(f"{row.where('timezone')}: unknown time zone {tz!r} "
                          "(an IANA name such as Europe/London)")
            tz = ""
    svc: dict[str, Any] = {
        "id": sid, "organization_id": org_id,
        "organization": {"id": org_id, "name": c["organization"], "description": ""},
        "name": c["name"], "description": c["description"], "status": "active",
        "haven_country": country or None,
        "last_modified": stamp(dt.datetime.now(dt.UTC)),
    }
    phones = []
    for column, kind in (("phone", "voice"), ("sms", "sms"), ("whatsapp", "whatsapp")):
        for i, number in enumerate(_list(c[column])):
            if not _PHONE.match(number) or sum(ch.isdigit() for ch in number) < 3:
                errors.append(f"{row.where(column)}: {number!r} is not a phone number")
            phones.append({"id": derived_id(sid, "phone", kind, str(i)), "number": number,
                           "type": kind})
    svc["phones"] = phones
    langs = []
    for code in _list(c["languages"]):
        if not _LANG.match(code.lower()):
            errors.append(f"{row.where('languages')}: {code!r} is not a language code "
                          "such as en, es or zh-Hans")
        langs.append({"id": derived_id(sid, "language", code.lower()), "code": code.lower()})
    svc["languages"] = langs
    svc["attributes"] = (_terms(row, "categories", taxonomy.CATEGORIES, sid, errors)
                         + _terms(row, "populations", taxonomy.POPULATIONS, sid, errors))
    svc["schedules"] = _schedules(row, sid, tz, errors)
    free = _yes_no(row, "free", errors)
    svc["cost_options"] = ([{"id": derived_id(sid, "cost"), "option": "Free", "amount": 0}]
                           if free else [])
    if c["email"]:
        if mail_address(c["email"]) is None:
            errors.append(f"{row.where('email')}: {c['email']!r} is not an e-mail address")
        svc["email"] = c["email"]
    if c["website"]:
        if web_link(c["website"]) is None:
            errors.append(f"{row.where('website')}: {c['website']!r} must start with "
                          "https:// or http://")
        svc["url"] = c["website"]
    confidential = _yes_no(row, "confidential", errors) or False
    lat = _coordinate(row, "latitude", 90, errors)
    lng = _coordinate(row, "longitude", 180, errors)
    if bool(c["latitude"]) != bool(c["longitude"]):
        errors.append(f"{row.where('longitude' if c['latitude'] else 'latitude')}: latitude "
                      "and longitude go together")
    place = [c[k] for k in ("address", "city", "region", "postal_code")]
    if any(place) or lat is not None:
        if not c["city"]:
            errors.append(f"{row.where('city')}: needed with an address or a point")
        loc_id = derived_id(sid, "location")
        location: dict[str, Any] = {
            "id": loc_id, "location_type": "physical", "confidential": confidential,
            "addresses": [{"id": derived_id(loc_id, "address"), "address_1": c["address"],
                           "city": c["city"], "state_province": c["region"],
                           "postal_code": c["postal_code"], "country": country or "ZZ",
                           "address_type": "physical"}],
        }
        if lat is not None and lng is not None:
            location["latitude"], location["longitude"] = lat, lng
        svc["service_at_locations"] = [{"id": derived_id(sid, "sal"), "location": location}]
    elif confidential:
        errors.append(f"{row.where('confidential')}: a confidential place needs its city")
    return svc


def parse(path: Path) -> Parsed:
    """Every row as an HSDS record, or every problem, naming row and column."""
    out = Parsed()
    seen: dict[str, int] = {}
    for row in read_sheet(path):
        errors: list[str] = []
        svc = row_to_service(row, errors)
        if svc["id"] in seen and row.cells["name"]:
            errors.append(f"{row.where('name')}: the same organisation, name and city as row "
                          f"{seen[svc['id']]}")
        seen.setdefault(svc["id"], row.number)
        out.errors.extend(errors)
        if errors:
            out.bad_rows.add(row.number)
        out.records.append(SheetRecord(path.name, row.number, svc, row=row))
    return out


def template_csv() -> str:
    """The downloadable template: the headers and one example row."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(EXAMPLE_ROW)
    return buf.getvalue()
