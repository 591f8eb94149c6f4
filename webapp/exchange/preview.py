"""What a spreadsheet import would do, row by row (new / changed / unchanged / errors), and
doing it all or nothing. Shared by the CLI (`--dry-run`) and the staff upload (see #9)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from webapp.directory import hours, taxonomy
from webapp.exchange import importer, sheets
from webapp.extensions import db
from webapp.models import Service

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


def _week(items: list[tuple[str | None, str | None, str | None]]) -> dict[int, list[Any]]:
    week: dict[int, set[tuple[str, str]]] = {d: set() for d in range(7)}
    for byday, opens, closes in items:
        if not opens or not closes:
            continue
        close = "24:00" if closes in ("23:59", "24:00") else closes
        for day in (byday or ",".join(hours.DAYS)).split(","):
            if day.strip().upper() in hours.DAYS:
                week[hours.DAYS.index(day.strip().upper())].add((opens[:5].zfill(5), close))
    return {d: sorted(v) for d, v in week.items()}


def _number(text: str) -> float | None:
    text = text.strip().replace(",", ".") if "." not in text else text.strip()
    try:
        return round(float(text), 5)
    except ValueError:
        return None


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
        out[col] = _number(out[col]) if out[col] else None
    try:
        parsed = hours.parse_opening_hours(out["hours"])
        out["hours"] = _week([(hours.DAYS[d], o, c) for d, spans in parsed.items()
                              for o, c in spans])
    except hours.HoursError:
        pass
    if not any(out["hours"].values() if isinstance(out["hours"], dict) else [True]):
        out["timezone"] = ""  # a zone without hours means nothing
    return out


def service_cells(svc: Service) -> dict[str, str]:
    """A stored service as sheet cells, for comparison only: it includes a confidential
    street, so it is never shown or exported (see #9: the street never leaves)."""
    loc = svc.locations[0].location if svc.locations else None
    terms = {name: ";".join(t.code for t in svc.terms if t.taxonomy_name == name)
             for name in (taxonomy.CATEGORIES, taxonomy.POPULATIONS)}
    week = _week([(s.byday, s.opens_at, s.closes_at) for s in svc.schedules])
    spans = {d: [tuple(x) for x in v] for d, v in week.items()}
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
        "hours": hours.format_opening_hours(spans),  # type: ignore[arg-type]
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
    try:
        return importer.build_rows(p.records, schema_dir)
    except importer.ImportError_ as exc:
        p.errors.extend(exc.errors)
        for r in p.rows:
            if any(f"row {r.number} (" in e for e in exc.errors):
                r.status = "error"
        return None


def apply(rows: importer.Rows) -> int:
    """Write the new and changed rows in one transaction; returns how many."""
    try:
        importer.ensure_taxonomies()
        count = importer.write_rows(rows)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return count
