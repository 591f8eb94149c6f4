"""Store a reader's report and let staff close it. The listing itself never changes here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from webapp import clock
from webapp.extensions import db
from webapp.models import ListingReport, Service
from webapp.models.reports import KINDS, OUTCOMES


class UnknownReport(LookupError):
    """No open report has this id."""


def create_report(service_id: str, kind: str, note: str, locale: str) -> ListingReport:
    """Keep the report with the day only (no time, no address, no agent)."""
    if kind not in KINDS:
        raise ValueError(kind)
    report = ListingReport(service_id=service_id, kind=kind, note=note.strip(), locale=locale,
                           reported_on=dt.datetime.now(dt.UTC).date(), status="open")
    db.session.add(report)
    db.session.commit()
    return report


@dataclass
class QueueRow:
    """One open report with the listing it is about."""

    report: ListingReport
    service_name: str
    is_demo: bool
    earlier: int  # other open reports on the same listing


def open_reports(limit: int = 200) -> list[QueueRow]:
    """Open reports, listings with the most reports first, then oldest first."""
    counts = dict(db.session.execute(
        select(ListingReport.service_id, func.count()).where(ListingReport.status == "open")
        .group_by(ListingReport.service_id)).all())
    rows = db.session.execute(
        select(ListingReport, Service.name, Service.is_demo)
        .join(Service, Service.id == ListingReport.service_id)
        .where(ListingReport.status == "open")
        .order_by(ListingReport.reported_on, ListingReport.id).limit(limit)).all()
    out = [QueueRow(r, name, demo, counts.get(r.service_id, 1) - 1) for r, name, demo in rows]
    out.sort(key=lambda row: -row.earlier)  # stable: oldest first within the same count
    return out


def open_count() -> int:
    """How many reports wait for staff."""
    return int(db.session.scalar(select(func.count()).select_from(ListingReport)
                                 .where(ListingReport.status == "open")) or 0)


def close_report(report_id: int, outcome: str, staff_id: int) -> ListingReport:
    """Mark a report fixed (the listing was corrected) or dismissed (it was right)."""
    if outcome not in OUTCOMES:
        raise ValueError(outcome)
    report = db.session.get(ListingReport, report_id)
    if report is None or report.status != "open":
        raise UnknownReport(report_id)
    report.status = outcome
    report.handled_by = staff_id
    report.handled_at = clock.now()
    db.session.commit()
    return report
