"""Opening hours: HSDS schedules to weekly slots, open-now in the service's own time zone."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


class HoursError(ValueError):
    """A schedule that cannot be understood (bad time, day or zone)."""


@dataclass(frozen=True)
class Slot:
    """An opening interval on one local weekday, in minutes from midnight."""

    weekday: int
    opens: int
    closes: int


def parse_minutes(value: str, *, closing: bool = False) -> int:
    """'09:30', '09:30:00' or '09:30-05:00' to minutes after local midnight."""
    m = _TIME.match(value.strip())
    if not m:
        raise HoursError(f"not a time of day: {value!r}")
    hours, minutes = int(m.group(1)), int(m.group(2))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise HoursError(f"not a time of day: {value!r}")
    total = hours * 60 + minutes
    if closing and total in (23 * 60 + 59,):
        return 1440  # "23:59" is how many datasets write "until midnight"
    return total


def zone(name: str | None, offset_hours: float | None) -> dt.tzinfo:
    """The IANA zone when known (follows daylight saving), else the fixed HSDS offset."""
    if name:
        if name.startswith("UTC") and len(name) > 3:
            return dt.timezone(dt.timedelta(minutes=int(name[3:])))
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise HoursError(f"unknown time zone: {name!r}") from exc
    return dt.timezone(dt.timedelta(hours=offset_hours or 0))


def zone_key(name: str | None, offset_hours: float | None) -> str:
    """A stable text key for a zone: the IANA name, or 'UTC+<minutes>' for a fixed offset."""
    if name:
        zone(name, None)  # validates
        return name
    return f"UTC{int(round((offset_hours or 0) * 60)):+d}"


def slots(byday: str | None, opens_at: str | None, closes_at: str | None) -> list[Slot]:
    """Weekly slots for one schedule row; an overnight row spills into the next day."""
    if not opens_at or not closes_at:
        return []
    days = [d.strip().upper() for d in (byday or ",".join(DAYS)).split(",") if d.strip()]
    for d in days:
        if d not in DAYS:
            raise HoursError(f"not a weekday: {d!r}")
    start = parse_minutes(opens_at)
    end = parse_minutes(closes_at, closing=True)
    out: list[Slot] = []
    for d in days:
        wd = DAYS.index(d)
        if end > start:
            out.append(Slot(wd, start, end))
        else:  # closes after midnight (or 00:00-00:00, open all day)
            out.append(Slot(wd, start, 1440))
            if end > 0:
                out.append(Slot((wd + 1) % 7, 0, end))
    return out


def covers_whole_week(all_slots: Iterable[Slot]) -> bool:
    """True when the slots leave no minute of the week closed (24/7)."""
    by_day: dict[int, list[tuple[int, int]]] = {d: [] for d in range(7)}
    for s in all_slots:
        by_day[s.weekday].append((s.opens, s.closes))
    for intervals in by_day.values():
        reach = 0
        for opens, closes in sorted(intervals):
            if opens > reach:
                break
            reach = max(reach, closes)
        if reach < 1440:
            return False
    return True


def local_position(tz: dt.tzinfo, now: dt.datetime) -> tuple[int, int]:
    """(weekday, minute of day) of an aware instant in a zone."""
    local = now.astimezone(tz)
    return local.weekday(), local.hour * 60 + local.minute


def is_open(all_slots: Iterable[Slot], tz: dt.tzinfo, now: dt.datetime) -> bool:
    """Whether any slot contains this instant, read in the service's zone."""
    weekday, minute = local_position(tz, now)
    return any(s.weekday == weekday and s.opens <= minute < s.closes for s in all_slots)


def format_minutes(minutes: int) -> str:
    """Minutes after midnight as HH:MM (24:00 for midnight at the end of a day)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
