"""Monitoring and evaluation for the coalition: referrals by the partner's
kind and their outcome and by week, space requests by week (sent, accepted, unmet) and the
median time from a request to an accepted place, overall and by week. Nothing per person:
counts from 1 to 4 show as "<5", in the page and in the CSV, and a median needs at least 5
accepted requests behind it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from dataclasses import dataclass, field

from sqlalchemy import select

from webapp import clock
from webapp.extensions import db
from webapp.models import Member, Referral, SpaceOutcome, SpaceRequest
from webapp.models.coalition import MEMBER_KINDS, REFERRAL_STATUSES
from webapp.space import matching
from webapp.staff.figures import SMALL, WEEKS, shown


@dataclass
class Week:
    """One week's referrals and space requests."""

    start: dt.date
    referrals: int = 0
    sent: int = 0
    accepted: int = 0
    unmet: int = 0
    waits: list[int] = field(default_factory=list)

    @property
    def median_minutes(self) -> float | None:
        """The week's median wait, only over 5 or more accepted requests."""
        return statistics.median(self.waits) if len(self.waits) >= SMALL else None


@dataclass
class Figures:
    """Everything the page and the CSV show, before suppression."""

    referrals: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> status -> n
    weeks: list[Week] = field(default_factory=list)
    waits: list[int] = field(default_factory=list)  # minutes from request to accepted place

    @property
    def median_minutes(self) -> float | None:
        """The median wait, only over 5 or more accepted requests."""
        return statistics.median(self.waits) if len(self.waits) >= SMALL else None

    @property
    def unmet(self) -> int:
        """Requests no shelter accepted in time, over the weeks shown."""
        return sum(w.unmet for w in self.weeks)


def compute(at: dt.datetime | None = None) -> Figures:
    """Count referrals and space requests (live ones and the outcomes of purged ones)."""
    at = at or clock.now()
    out = Figures()
    kinds: dict[int, str] = {mid: kind for mid, kind in db.session.execute(
        select(Member.id, Member.kind))}
    this_week = matching.week_of(at)
    out.weeks = [Week(this_week - dt.timedelta(weeks=i)) for i in range(WEEKS - 1, -1, -1)]
    by_start = {w.start: w for w in out.weeks}
    for kind in MEMBER_KINDS:
        out.referrals[kind] = dict.fromkeys(REFERRAL_STATUSES, 0)
    for to_member, status, created in db.session.execute(
            select(Referral.to_member_id, Referral.status, Referral.created_at)):
        by_status = out.referrals.get(kinds.get(to_member, ""))
        if by_status is not None and status in by_status:
            by_status[status] += 1
        if (bucket := by_start.get(matching.week_of(created))) is not None:
            bucket.referrals += 1

    def count(week: dt.date, accepted: bool, unmet: bool, wait: int | None) -> None:
        w = by_start.get(week)
        if w is None:
            return
        w.sent += 1
        w.accepted += int(accepted)
        w.unmet += int(unmet)
        if wait is not None:
            out.waits.append(wait)
            w.waits.append(wait)

    for req in db.session.scalars(select(SpaceRequest)):
        state = matching.state(req, at)
        count(matching.week_of(req.created_at), req.accepted_at is not None, state == "unmet",
              matching.minutes_to_accept(req))
    for week, accepted, wait in db.session.execute(select(
            SpaceOutcome.week, SpaceOutcome.accepted, SpaceOutcome.minutes_to_accept)):
        count(week, accepted, not accepted, wait)
    return out


def csv_text(figures: Figures) -> str:
    """The figures as CSV for funders, small counts suppressed like on the page: rows of
    section (referrals, space_requests), group (a partner kind, a week's Monday, or all),
    measure and value."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "group", "measure", "value"])
    for kind, by_status in figures.referrals.items():
        for status, n in by_status.items():
            w.writerow(["referrals", kind, status, shown(n)])
    for week in figures.weeks:
        w.writerow(["referrals", week.start.isoformat(), "sent", shown(week.referrals)])
        for measure, n in (("sent", week.sent), ("accepted", week.accepted),
                           ("unmet", week.unmet)):
            w.writerow(["space_requests", week.start.isoformat(), measure, shown(n)])
        median = week.median_minutes
        w.writerow(["space_requests", week.start.isoformat(), "median_minutes_to_accept",
                    "" if median is None else f"{median:g}"])
    median = figures.median_minutes
    w.writerow(["space_requests", "all", "median_minutes_to_accept",
                "" if median is None else f"{median:g}"])
    w.writerow(["space_requests", "all", "unmet", shown(figures.unmet)])
    return buf.getvalue()
