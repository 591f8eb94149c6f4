"""Opening hours as a person relies on them: "open now" must be true exactly when the door is.

Properties over every time of day (typed in ASCII, Arabic-Indic, Persian, Devanagari or
full-width digits), every fixed offset and random OpenStreetMap schedules, plus the edges
where an off-by-one sends someone to a closed door: the closing minute, midnight, 23:59,
overnight rows and the week's wrap from Sunday to Monday.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.directory import hours
from webapp.directory.hours import HoursError, Slot

settings.register_profile("hours", deadline=None, max_examples=60)
PROFILE = settings.get_profile("hours")

DIGIT_ZEROS = {"ascii": 0x30, "arabic-indic": 0x0660, "persian": 0x06F0, "devanagari": 0x0966,
               "full-width": 0xFF10}
OSM = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
UTC = dt.UTC


def in_script(text: str, zero: int) -> str:
    """ASCII digits rewritten in the script whose zero is this code point."""
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)


def to_ascii(text: str) -> str:
    """Any script's digits back to ASCII (whether or not the module already did)."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


# parse_minutes ----------------------------------------------------------------------------


@PROFILE
@given(st.integers(0, 23), st.integers(0, 59), st.sampled_from(sorted(DIGIT_ZEROS.values())),
       st.sampled_from(["", ":00", ":59", ":30.250", "Z", "+05:30", "-0800", ":00+01:00"]))
def test_every_time_of_day_in_every_script(h: int, m: int, zero: int, tail: str) -> None:
    """'HH:MM' with optional seconds, fraction and offset is minutes after midnight."""
    for text in (f"{h:02d}:{m:02d}{tail}", f"{h}:{m:02d}{tail}"):
        typed = in_script(text, zero)
        assert hours.parse_minutes(typed) == h * 60 + m
        assert hours.parse_minutes(f"  {typed} ") == h * 60 + m
        closing = 1440 if (h, m) == (23, 59) else h * 60 + m
        assert hours.parse_minutes(typed, closing=True) == closing


@pytest.mark.parametrize(("text", "closing", "minutes"), [
    ("00:00", False, 0),
    ("00:00", True, 0),
    ("24:00", False, 1440),
    ("24:00", True, 1440),
    ("23:59", False, 1439),
    ("23:59", True, 1440),  # "until midnight"
    ("23:58", True, 1438),
    ("9:05", False, 545),
])
def test_minutes_at_the_edges(text: str, closing: bool, minutes: int) -> None:
    """Midnight at both ends of a day, and 23:59 as a closing time only."""
    assert hours.parse_minutes(text, closing=closing) == minutes


@pytest.mark.parametrize("text", ["24:01", "25:00", "12:60", "99:99", "", "noon", "9", "9:5",
                                  "123:00", "09:00:00:00", "09-00", "09:00 pm"])
def test_not_a_time_of_day(text: str) -> None:
    """Impossible or malformed times are refused, naming the value."""
    with pytest.raises(HoursError, match=r"^not a time of day: ") as info:
        hours.parse_minutes(text)
    assert repr(text) in str(info.value)


# zones ------------------------------------------------------------------------------------


@PROFILE
@given(st.integers(-12 * 60, 14 * 60))
def test_fixed_offsets_round_trip_through_their_key(minutes: int) -> None:
    """zone_key of a fixed offset names it in minutes; zone reads the same offset back."""
    key = hours.zone_key(None, minutes / 60)
    assert key == f"UTC{minutes:+d}"
    assert hours.zone(key, None).utcoffset(None) == dt.timedelta(minutes=minutes)
    assert hours.zone(None, minutes / 60).utcoffset(None) == dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(("name", "offset", "key", "utcoffset"), [
    (None, None, "UTC+0", dt.timedelta(0)),
    (None, 5.5, "UTC+330", dt.timedelta(hours=5, minutes=30)),
    (None, -3, "UTC-180", dt.timedelta(hours=-3)),
    ("UTC-300", None, "UTC-300", dt.timedelta(hours=-5)),
    ("UTC+60", 9, "UTC+60", dt.timedelta(hours=1)),  # a name wins over the offset
    ("UTC", None, "UTC", dt.timedelta(0)),  # the IANA zone, not a fixed offset
])
def test_zone_and_key(name: str | None, offset: float | None, key: str,
                      utcoffset: dt.timedelta) -> None:
    """Fixed offsets and the bare 'UTC' zone."""
    assert hours.zone_key(name, offset) == key
    instant = dt.datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert hours.zone(name, offset).utcoffset(instant) == utcoffset


def test_iana_zone_follows_daylight_saving() -> None:
    """A named zone is the IANA zone itself: -8 h in January, -7 h in July."""
    tz = hours.zone("America/Los_Angeles", 3)
    assert isinstance(tz, ZoneInfo) and tz.key == "America/Los_Angeles"
    assert tz.utcoffset(dt.datetime(2026, 1, 15, 12)) == dt.timedelta(hours=-8)
    assert tz.utcoffset(dt.datetime(2026, 7, 15, 12)) == dt.timedelta(hours=-7)
    assert hours.zone_key("America/Los_Angeles", 3) == "America/Los_Angeles"


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "../etc/passwd", "/abs"])
def test_unknown_zone_is_refused_by_name(name: str) -> None:
    """An unknown or malformed zone name is an HoursError naming it (not a bare crash)."""
    with pytest.raises(HoursError, match=r"^unknown time zone: ") as info:
        hours.zone(name, None)
    assert repr(name) in str(info.value)
    with pytest.raises(HoursError):
        hours.zone_key(name, None)


# slots and open-now ------------------------------------------------------------------------


@pytest.mark.parametrize(("byday", "opens", "closes", "expected"), [
    (None, None, "17:00", ()),
    ("MO", "09:00", None, ()),
    ("MO", "", "17:00", ()),
    ("MO", "09:00", "17:00", (Slot(0, 540, 1020),)),
    (" mo , ,su ", "09:00", "17:00", (Slot(0, 540, 1020), Slot(6, 540, 1020))),
    ("SU", "22:00", "06:00", (Slot(6, 1320, 1440), Slot(0, 0, 360))),  # the week wraps
    ("FR", "09:00", "23:59", (Slot(4, 540, 1440),)),
    ("FR", "09:00", "00:00", (Slot(4, 540, 1440),)),  # until midnight, nothing after
    ("TU", "00:00", "00:00", (Slot(1, 0, 1440),)),  # open all day
    ("TU", "09:00", "09:00", (Slot(1, 540, 1440), Slot(2, 0, 540))),  # round the clock
    ("WE", "09:00", "09:01", (Slot(2, 540, 541),)),
])
def test_slots(byday: str | None, opens: str | None, closes: str | None,
               expected: tuple[Slot, ...]) -> None:
    """Schedule rows to weekly slots, overnight rows spilling into the next day."""
    assert hours.slots(byday, opens, closes) == expected


def test_slots_default_to_every_day() -> None:
    """A row without days is every day of the week, Monday first."""
    assert hours.slots(None, "08:00", "12:00") == tuple(Slot(d, 480, 720) for d in range(7))
    assert hours.slots("", "08:00", "12:00") == tuple(Slot(d, 480, 720) for d in range(7))


@pytest.mark.parametrize("byday", ["XX", "MO,FUN", "MONDAY"])
def test_slots_refuse_unknown_days(byday: str) -> None:
    """A day that is not an iCalendar weekday is refused by name."""
    with pytest.raises(HoursError, match=r"^not a weekday: "):
        hours.slots(byday, "09:00", "17:00")


@PROFILE
@given(st.integers(0, 6), st.integers(0, 1439), st.integers(1, 1440))
def test_open_exactly_from_opening_to_the_minute_before_closing(day: int, opens: int,
                                                                 length: int) -> None:
    """Open at the opening minute and the last minute; closed at the closing minute."""
    closes = min(1440, opens + length)
    slot = [Slot(day, opens, closes)]
    monday = dt.datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
    at = monday + dt.timedelta(days=day)
    assert hours.local_position(UTC, at + dt.timedelta(minutes=opens)) == (day, opens)
    assert hours.is_open(slot, UTC, at + dt.timedelta(minutes=opens))
    assert hours.is_open(slot, UTC, at + dt.timedelta(minutes=closes - 1))
    assert not hours.is_open(slot, UTC, at + dt.timedelta(minutes=closes))
    if opens:
        assert not hours.is_open(slot, UTC, at + dt.timedelta(minutes=opens - 1))
    assert not hours.is_open(slot, UTC, at + dt.timedelta(days=1, minutes=opens))


def test_open_now_is_read_in_the_service_zone() -> None:
    """17:30 UTC on a Monday is 09:30 in Fresno (winter): open 09:00-17:00 there."""
    tz = hours.zone("America/Los_Angeles", None)
    slot = hours.slots("MO", "09:00", "17:00")
    now = dt.datetime(2026, 1, 5, 17, 30, tzinfo=UTC)
    assert hours.local_position(tz, now) == (0, 570)
    assert hours.is_open(slot, tz, now)
    assert not hours.is_open(slot, UTC, dt.datetime(2026, 1, 5, 8, 30, tzinfo=UTC))
    # 02:00 UTC on Tuesday is still Monday 18:00 in Fresno: closed there.
    assert hours.local_position(tz, dt.datetime(2026, 1, 6, 2, tzinfo=UTC)) == (0, 1080)
    assert not hours.is_open(slot, tz, dt.datetime(2026, 1, 6, 2, tzinfo=UTC))


@st.composite
def day_cover(draw: st.DrawFn) -> list[tuple[int, int]]:
    """Intervals that cover a whole day, touching or overlapping, in any order."""
    cuts = sorted(set(draw(st.lists(st.integers(1, 1439), max_size=5))))
    edges = [0, *cuts, 1440]
    spans = [(a, b) for a, b in zip(edges, edges[1:], strict=False)]
    overlap = draw(st.integers(0, 30))
    spans = [(max(0, a - overlap), b) for a, b in spans]
    return draw(st.permutations(spans))


@PROFILE
@given(st.lists(day_cover(), min_size=7, max_size=7), st.data())
def test_whole_week_only_without_a_closed_minute(week: list[list[tuple[int, int]]],
                                                 data: st.DataObject) -> None:
    """24/7 exactly when every minute of every day is inside a slot."""
    full = [Slot(d, a, b) for d, spans in enumerate(week) for a, b in spans]
    assert hours.covers_whole_week(full)
    assert hours.covers_whole_week(reversed(full))
    # Take one minute away: shorten the one slot holding it, or cut it out of the day.
    day = data.draw(st.integers(0, 6))
    minute = data.draw(st.integers(0, 1439))
    holed: list[Slot] = []
    for s in full:
        if s.weekday == day and s.opens <= minute < s.closes:
            if s.opens < minute:
                holed.append(Slot(day, s.opens, minute))
            if minute + 1 < s.closes:
                holed.append(Slot(day, minute + 1, s.closes))
        else:
            holed.append(s)
    assert hours.covers_whole_week(holed) is False


def test_whole_week_edges() -> None:
    """Touching slots cover; a missing day, a late start or an early end do not."""
    assert hours.covers_whole_week([Slot(d, 0, 1440) for d in range(7)])
    assert hours.covers_whole_week(
        [Slot(d, a, b) for d in range(7) for a, b in ((0, 600), (600, 1440))])
    assert False is hours.covers_whole_week([Slot(d, 0, 1440) for d in range(6)])
    assert False is hours.covers_whole_week([])
    assert False is hours.covers_whole_week([Slot(d, 0, 1439) for d in range(7)])
    assert False is hours.covers_whole_week([Slot(d, 1, 1440) for d in range(7)])
    assert False is hours.covers_whole_week(
        [Slot(d, a, b) for d in range(7) for a, b in ((0, 600), (601, 1440))])


@PROFILE
@given(st.integers(0, 1440))
def test_format_minutes_reads_back(minutes: int) -> None:
    """HH:MM, zero-padded, and parse_minutes reads it back (24:00 for the end of a day)."""
    text = hours.format_minutes(minutes)
    assert len(text) == 5 and text[2] == ":"
    assert hours.parse_minutes(text) == minutes


def test_format_minutes_examples() -> None:
    """Three readings a person sees on a listing."""
    assert hours.format_minutes(0) == "00:00"
    assert hours.format_minutes(545) == "09:05"
    assert hours.format_minutes(1440) == "24:00"


# OpenStreetMap opening_hours ---------------------------------------------------------------

TIMES = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)] + ["24:00"]


@st.composite
def weeks(draw: st.DrawFn) -> dict[int, list[tuple[str, str]]]:
    """A week of opening ranges (some days closed), as the editor stores them."""
    week: dict[int, list[tuple[str, str]]] = {}
    for d in range(7):
        n = draw(st.integers(0, 2))
        picks = sorted(draw(st.lists(st.sampled_from(TIMES[:-1]), min_size=2 * n,
                                     max_size=2 * n, unique=True)))
        week[d] = [(picks[2 * i], picks[2 * i + 1]) for i in range(n)]
    return week


@PROFILE
@given(weeks())
def test_opening_hours_round_trip(week: dict[int, list[tuple[str, str]]]) -> None:
    """format_opening_hours writes what parse_opening_hours reads back, day for day."""
    text = hours.format_opening_hours(week)
    assert hours.parse_opening_hours(text) == week
    assert hours.parse_opening_hours(text.replace(" ", "  ").replace(";", " ; ")) == week


@PROFILE
@given(weeks(), st.sampled_from(sorted(DIGIT_ZEROS.values())))
def test_opening_hours_typed_in_any_script(week: dict[int, list[tuple[str, str]]],
                                           zero: int) -> None:
    """Times typed in Arabic-Indic, Persian, Devanagari or full-width digits read the same."""
    typed = hours.parse_opening_hours(in_script(hours.format_opening_hours(week), zero))
    assert {d: [(to_ascii(o), to_ascii(c)) for o, c in spans]
            for d, spans in typed.items()} == week


@pytest.mark.parametrize(("text", "expected"), [
    ("", {d: [] for d in range(7)}),
    ("  ", {d: [] for d in range(7)}),
    ("24/7", {d: [("00:00", "24:00")] for d in range(7)}),
    ("Mo 09:00-17:00;;", {0: [("09:00", "17:00")], **{d: [] for d in range(1, 7)}}),
    ("Sa-Mo 9:00-12:00", {5: [("09:00", "12:00")], 6: [("09:00", "12:00")],
                          0: [("09:00", "12:00")], 1: [], 2: [], 3: [], 4: []}),
    ("Mo-Su 08:00-20:00; We closed", {**{d: [("08:00", "20:00")] for d in range(7)}, 2: []}),
    ("Mo-Fr 09:00-17:00; We 10:00-12:00",  # a later rule replaces an earlier one
     {0: [("09:00", "17:00")], 1: [("09:00", "17:00")], 2: [("10:00", "12:00")],
      3: [("09:00", "17:00")], 4: [("09:00", "17:00")], 5: [], 6: []}),
    ("Mo 22:00-23:59", {0: [("22:00", "23:59")], **{d: [] for d in range(1, 7)}}),
    ("Th OFF", {d: [] for d in range(7)}),
    ("9:00-17:00", {d: [("09:00", "17:00")] for d in range(7)}),  # no days: every day
    ("; Mo 09:00-17:00; ; Tu 10:00-12:00",  # empty rules are skipped, not the end
     {0: [("09:00", "17:00")], 1: [("10:00", "12:00")], **{d: [] for d in range(2, 7)}}),
])
def test_parse_opening_hours(text: str, expected: dict[int, list[tuple[str, str]]]) -> None:
    """The forms the editor accepts, read day by day."""
    assert hours.parse_opening_hours(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("Mo-We-Fr 09:00-17:00", r"^not a day or day range: 'Mo-We-Fr' \(use Mo Tu We Th Fr Sa Su"),
    ("Xx 09:00-17:00", r"^not a day or day range: 'Xx' \(use Mo Tu We Th Fr Sa Su, e\.g\. Mo-Fr"),
    ("Mo,Zz 09:00-17:00", r"^not a day or day range: 'Zz'"),
    ("Mo 9-17", r"^not a time range: '9-17' \(write 09:00-17:00\)$"),
    ("Mo 09:00-17:00,", r"^not a time range: 'Mo 09:00-17:00,' \(write 09:00-17:00\)$"),
    ("Mo 09:00-24:30", r"^not a time of day: '24:30'$"),
    ("Mo 25:00-26:00", r"^not a time of day: '25:00'$"),
])
def test_opening_hours_refused_with_a_reason(text: str, message: str) -> None:
    """Staff see which part of what they typed was not understood, and how to write it."""
    with pytest.raises(HoursError, match=message):
        hours.parse_opening_hours(text)


@pytest.mark.parametrize(("week", "text"), [
    ({d: [("00:00", "24:00")] for d in range(7)}, "24/7"),
    ({d: [("00:00", "24:00")] for d in range(6)}, "Mo-Sa 00:00-24:00"),
    ({0: [("09:00", "17:00")], 1: [("09:00", "17:00")]}, "Mo,Tu 09:00-17:00"),
    ({0: [("09:00", "17:00")], 2: [("09:00", "17:00")]}, "Mo,We 09:00-17:00"),
    ({**{d: [("09:00", "17:00")] for d in range(5)}, 5: [("10:00", "14:00")], 6: []},
     "Mo-Fr 09:00-17:00; Sa 10:00-14:00"),
    ({0: [("09:00", "12:00"), ("13:00", "17:00")], 1: [("09:00", "12:00"), ("13:00", "17:00")],
      2: [("09:00", "12:00"), ("13:00", "17:00")], 4: [("09:00", "12:00"), ("13:00", "17:00")],
      6: [("09:00", "12:00"), ("13:00", "17:00")]},
     "Mo-We,Fr,Su 09:00-12:00,13:00-17:00"),
    ({3: [("08:00", "10:00")]}, "Th 08:00-10:00"),
    ({}, ""),
])
def test_format_opening_hours(week: dict[int, list[tuple[str, str]]], text: str) -> None:
    """Days with the same times are grouped, two adjacent days by a comma, runs by a dash."""
    assert hours.format_opening_hours(week) == text
