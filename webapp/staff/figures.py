"""Monitoring & evaluation: counts by week, kind and status; median time to first response.

Computed from the columns stored in clear (kinds, status, hours), so no unlock is needed. Any
count from 1 to 4 shows as "<5" so a small number cannot point at one tipster.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from flask_babel import format_date
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Tip
from webapp.models.tips import KINDS, STATUSES
from webapp.tips.labels import kind_label, status_label

WEEKS = 12
SMALL = 5


def shown(n: int) -> str:
    """A count as shown: '<5' for 1 to 4."""
    return "<5" if 0 < n < SMALL else str(n)


@dataclass
class Bar:
    """One bar of a chart: label, the count shown, and its drawn height (small counts: 0)."""

    label: str
    count: int
    text: str
    height: float


def bars(items: list[tuple[str, int]], max_height: float = 120.0) -> list[Bar]:
    """Bars scaled to the largest count; suppressed counts are drawn as an outline only."""
    top = max([n for _l, n in items if n >= SMALL] or [1])
    return [Bar(label, n, shown(n), (n / top) * max_height if n >= SMALL else 0.0)
            for label, n in items]


def compute(now: dt.datetime | None = None, member_id: int = 1) -> dict[str, object]:
    """Everything the stats page shows, for one member organisation's tips."""
    now = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None)
    rows = db.session.execute(select(Tip.created_hour, Tip.kinds, Tip.status,
                                     Tip.first_response_hour)
                              .where(Tip.member_id == member_id)).all()
    start = (now - dt.timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0,
                                                             microsecond=0)
    week_starts = [start - dt.timedelta(weeks=i) for i in range(WEEKS - 1, -1, -1)]
    per_week = dict.fromkeys(week_starts, 0)
    per_kind = dict.fromkeys(KINDS, 0)
    per_status = dict.fromkeys(STATUSES, 0)
    waits: list[float] = []
    for created, kinds, status, first in rows:
        monday = (created - dt.timedelta(days=created.weekday())).replace(hour=0)
        if monday in per_week:
            per_week[monday] += 1
        for k in (kinds or "").split(","):
            if k in per_kind:
                per_kind[k] += 1
        if status in per_status:
            per_status[status] += 1
        if first is not None:
            waits.append((first - created).total_seconds() / 3600)
    median = statistics.median(waits) if len(waits) >= SMALL else None
    return {
        "total": shown(len(rows)),
        "weeks": bars([(format_date(w, "d MMM"), n) for w, n in per_week.items()]),
        "kinds": bars([(kind_label(k), n) for k, n in per_kind.items()]),
        "statuses": bars([(status_label(s), n) for s, n in per_status.items()]),
        "median_hours": median,
        "responded": shown(len(waits)),
    }
