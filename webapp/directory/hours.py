"""Opening hours: HSDS schedules to weekly slots, open-now in the service's own time zone."""

from __future__ import annotations

import datetime as dt
import functools
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


@functools.lru_cache(maxsize=4096)  # directories repeat a few dozen schedules endlessly
def slots(byday: str | None, opens_at: str | None, closes_at: str | None) -> tuple[Slot, ...]:
    """Weekly slots for one schedule row; an overnight row spills into the next day."""
    if not opens_at or not closes_at:
        return ()
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
    return tuple(out)


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


_OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_OSM_RANGE = re.compile(r"^(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")


def _osm_days(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        ends = part.strip().split("-")
        if len(ends) > 2 or any(e.strip() not in _OSM_DAYS for e in ends):
            raise HoursError(f"not a day or day range: {part.strip()!r} (use Mo Tu We Th Fr "
                             "Sa Su, e.g. Mo-Fr or Mo,We)")
        first = _OSM_DAYS.index(ends[0].strip())
        last = _OSM_DAYS.index(ends[-1].strip())
        days.extend((first + i) % 7 for i in range((last - first) % 7 + 1))
    return days


def parse_opening_hours(text: str) -> dict[int, list[tuple[str, str]]]:
    """The common OpenStreetMap opening_hours forms: weekday -> [(opens, closes)].

    '24/7'; 'Mo-Fr 09:00-17:00; Sa 10:00-14:00'; 'Mo,We 09:00-12:00,13:00-17:00';
    '09:00-17:00' (every day); 'Su off'. A later rule replaces an earlier one for its days,
    as in OpenStreetMap. Anything else (public holidays, months) is refused by name.
    """
    week: dict[int, list[tuple[str, str]]] = {d: [] for d in range(7)}
    text = text.strip()
    if not text:
        return week
    if text == "24/7":
        return {d: [("00:00", "24:00")] for d in range(7)}
    for rule in (r.strip() for r in text.split(";")):
        if not rule:
            continue
        head, _, rest = rule.partition(" ")
        if head[:1].isdigit():
            days, times = list(range(7)), rule
        else:
            days, times = _osm_days(head), rest.strip()
        if times.lower() in ("off", "closed"):
            ranges: list[tuple[str, str]] = []
        else:
            ranges = []
            for span in times.split(","):
                m = _OSM_RANGE.match(span.strip())
                if not m:
                    raise HoursError(f"not a time range: {span.strip() or rule!r} (write "
                                     "09:00-17:00)")
                parse_minutes(m.group(1))
                parse_minutes(m.group(2), closing=True)
                ranges.append((m.group(1).zfill(5), m.group(2).zfill(5)))
        for d in days:
            week[d] = list(ranges)
    return week


def format_opening_hours(week: dict[int, list[tuple[str, str]]]) -> str:
    """The inverse of parse_opening_hours, days with the same times grouped ('Mo-Fr ...')."""
    if all(week.get(d) == [("00:00", "24:00")] for d in range(7)):
        return "24/7"
    groups: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for d in range(7):
        if week.get(d):
            groups.setdefault(tuple(week[d]), []).append(d)
    rules = []
    for ranges, days in groups.items():
        runs: list[list[int]] = []
        for d in days:
            if runs and runs[-1][-1] == d - 1:
                runs[-1].append(d)
            else:
                runs.append([d])
        sel = ",".join(_OSM_DAYS[r[0]] if len(r) == 1 else
                       f"{_OSM_DAYS[r[0]]}{',' if len(r) == 2 else '-'}{_OSM_DAYS[r[-1]]}"
                       for r in runs)
        rules.append(f"{sel} {','.join(f'{o}-{c}' for o, c in ranges)}")
    return "; ".join(rules)
