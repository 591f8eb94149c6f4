"""What a spreadsheet import would do, row by row (new / changed / unchanged / errors), and
doing it all or nothing. Shared by the CLI (`--dry-run`) and the staff upload."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from webapp.directory import hours, taxonomy
from webapp.exchange import importer, sheets
from webapp.extensions import db
from webapp.models import Schedule, Service

LISTS = ("categories", "populations", "languages")
PHONES = {"phone": "voice", "sms": "sms", "whatsapp": "whatsapp"}


@dataclass
class RowPlan:
    """One row's fate."""

    number: int
    name: str
    status: str  # new, changed, unchanged, error
    changed: list[str] = field(default_factory=list)  # column names, never values


@dataclass
class Plan:
    """A whole sheet's fate; `errors` empty means it can be written."""

    rows: list[RowPlan] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    records: list[sheets.SheetRecord] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many rows have this status."""
        return sum(1 for r in self.rows if r.status == status)


Week = dict[int, list[tuple[str, str]]]


def _normal(week: Week) -> Week:
    """Each day's spans sorted, once each, with "until midnight" always written 24:00."""
    return {d: sorted({(o, "24:00" if c == "23:59" else c) for o, c in week.get(d, [])})
            for d in range(7)}


def _stored_week(schedules: list[Schedule]) -> Week:
    week: Week = {d: [] for d in range(7)}
    for s in schedules:
        if not s.opens_at or not s.closes_at:
            continue
        for day in (s.byday or ",".join(hours.DAYS)).split(","):
            if day.strip().upper() in hours.DAYS:
                week[hours.DAYS.index(day.strip().upper())].append(
                    (s.opens_at[:5].zfill(5), s.closes_at))
    return _normal(week)


def canonical(cells: dict[str, str]) -> dict[str, Any]:
    """Cells in a form where equal meaning compares equal (order, case, 23:59 vs 24:00)."""
    out: dict[str, Any] = {k: (v or "").strip() for k, v in cells.items()}
    for col in LISTS:
        out[col] = sorted({x.lower() for x in sheets._list(out[col])})
    for col in PHONES:
        out[col] = sorted("".join(ch for ch in x if ch.isdigit() or ch == "+")
                          for x in sheets._list(out[col]))
    out["country"] = out["country"].upper()
    for col in ("confidential", "free"):
        out[col] = out[col].lower() == "yes"
    for col in ("latitude", "longitude"):
        value = sheets.decimal(out[col]) if out[col] else None
        out[col] = None if value is None else round(value, 5)
    try:
        out["hours"] = _normal(hours.parse_opening_hours(out["hours"]))
    except hours.HoursError:
        pass  # the row is refused anyway; keep the text
    if isinstance(out["hours"], dict) and not any(out["hours"].values()):
        out["timezone"] = ""  # a zone without hours means nothing
    return out


def service_cells(svc: Service) -> dict[str, str]:
    """A stored service as sheet cells, for comparison only: it includes a confidential
    street, so it is never shown or exported."""
    loc = svc.locations[0].location if svc.locations else None
    terms = {name: ";".join(t.code for t in svc.terms if t.taxonomy_name == name)
             for name in (taxonomy.CATEGORIES, taxonomy.POPULATIONS)}
    tz = next((s.tz_name for s in svc.schedules if s.tz_name), None) or svc.timezone or ""
    return {
        "organization": svc.organization.name if svc.organization else "",
        "name": svc.name, "categories": terms[taxonomy.CATEGORIES],
        "populations": terms[taxonomy.POPULATIONS], "description": svc.description or "",
        **{col: ";".join(p.number for p in svc.phones if p.type == kind)
           for col, kind in PHONES.items()},
        "languages": ";".join(lang.code for lang in svc.languages),
        "address": (loc.address_1 or "") if loc else "", "city": (loc.city or "") if loc else "",
        "region": (loc.region or "") if loc else "",
        "postal_code": (loc.postal_code or "") if loc else "",
        "country": svc.country or "",
        "latitude": "" if loc is None or loc.latitude is None else str(loc.latitude),
        "longitude": "" if loc is None or loc.longitude is None else str(loc.longitude),
        "timezone": tz, "confidential": "yes" if loc and loc.confidential else "no",
        "hours": hours.format_opening_hours(_stored_week(svc.schedules)),
        "free": "yes" if svc.free else "no", "email": svc.email or "",
        "website": svc.url or "",
    }


def plan(path: Path) -> Plan:
    """Read and check a sheet, and compare each row with what is stored. Writes nothing."""
    parsed = sheets.parse(path)
    out = Plan(errors=list(parsed.errors))
    ids = [r.data["id"] for r in parsed.records]
    stored: dict[str, Service] = {}
    for i in range(0, len(ids), 500):
        for svc in db.session.scalars(select(Service).where(Service.id.in_(ids[i:i + 500]))):
            stored[svc.id] = svc
    for rec in parsed.records:
        assert rec.row is not None
        name = rec.row.cells["name"]
        if rec.row.number in parsed.bad_rows:
            out.rows.append(RowPlan(rec.row.number, name, "error"))
            continue
        old = stored.get(rec.data["id"])
        if old is None or old.status != "active":
            out.rows.append(RowPlan(rec.row.number, name, "new" if old is None else "changed",
                                    [] if old is None else ["status"]))
            out.records.append(rec)
            continue
        before, after = canonical(service_cells(old)), canonical(rec.row.cells)
        diff = [c for c in sheets.COLUMNS if before[c] != after[c]]
        out.rows.append(RowPlan(rec.row.number, name, "changed" if diff else "unchanged", diff))
        if diff:
            out.records.append(rec)
    return out


def validate(p: Plan, schema_dir: str) -> importer.Rows | None:
    """Run the HSDS import's own checks on the rows that would be written."""
    if p.errors:
        return None
    for rec in p.records:
        rec.keep_extras = True  # a row says only what the sheet's columns hold
    try:
        return importer.build_rows(p.records, schema_dir)
    except importer.ImportError_ as exc:
        p.errors.extend(exc.errors)
        for r in p.rows:
            if any(f"row {r.number} (" in e for e in exc.errors):
                r.status = "error"
        return None
