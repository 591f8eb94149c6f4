"""Shelter space and HSDS 3.1's service capacities, to and from each other.

Haven keeps a shelter's space as a word (available, limited, full; unknown after 48 hours):
a count of places tells more about a shelter than a person looking for one needs, so it is
shown only where the member that runs the shelter opted in. HSDS 3.1 counts: a
service_capacity requires a number `available` of some `unit`.

From HSDS: capacities counting places (a unit named or identified as a bed or a place) give
a service's space status (space/services.py reads it): none available is full; at most
LIMITED_COUNT, or at most LIMITED_SHARE of the maximum, is limited; more is available. The
status is dated by the capacities' `updated`, so it ages like any other; a status set here
later wins. The capacities themselves are kept verbatim with the service (and exported).

A count staff give with a status gives the status by the same rule (status_for) when they
press no status.

To HSDS: a public answer never carries an imported count of places (served). On 3.1, a
shelter whose member opted in and whose status is fresh gets one capacity with the number its
staff gave (in beds or places); otherwise a shelter that is full now gets one capacity of 0
places, which says no more than the word; limited and available without a public count stay
in haven_space alone. 3.0 has no capacities: haven_space stays a word there.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from webapp.exchange import shaping
from webapp.exchange.render import derived_id

if TYPE_CHECKING:  # space/services.py reads this module: no import back at run time
    from webapp.space.services import SpaceView

# Unit names and identifiers that count places in a shelter, as compared (lower case, single
# spaces, no plural s).
PLACE_UNITS = frozenset({"bed", "place", "shelter bed", "shelter place", "bed space",
                         "bedspace", "bed place"})
LIMITED_COUNT = 2  # this many places left or fewer: limited, whatever the maximum
LIMITED_SHARE = 0.25  # a quarter of the maximum left or less: limited
# A capacity dated further ahead than this gives no status: a source's wrong clock must not
# outrank every status set here afterwards.
CLOCK_SKEW = dt.timedelta(minutes=5)

HAVEN_UNIT = {"id": derived_id("unit", "place"), "name": "Place", "identifier": "place"}
BED_UNIT = {"id": derived_id("unit", "bed"), "name": "Bed", "identifier": "bed"}


def _unit_word(value: Any) -> str:
    word = re.sub(r"\s+", " ", str(value or "")).strip().lower()
    return word[:-1] if word.endswith("s") else word


def counts_places(capacity: Any) -> bool:
    """Whether a service_capacity counts places in a shelter (its unit's name or identifier
    is a bed or a place, in any case, singular or plural)."""
    if not isinstance(capacity, dict):
        return False
    unit = capacity.get("unit")
    if not isinstance(unit, dict):
        return False
    return bool({_unit_word(unit.get("name")), _unit_word(unit.get("identifier"))}
                & PLACE_UNITS)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def status_of(capacities: Any, now: dt.datetime) -> tuple[str, dt.datetime] | None:
    """The space status these capacities give and when it was true (naive UTC), or None
    when none of them counts places with a number and a date (see the module's rule)."""
    left = 0.0
    most: float | None = 0.0
    newest: dt.datetime | None = None
    for cap in capacities if isinstance(capacities, list) else []:
        available = _number(cap.get("available")) if counts_places(cap) else None
        when = shaping.parse_time(cap.get("updated")) if available is not None else None
        if available is None or when is None or when > now + CLOCK_SKEW:
            continue
        left += max(available, 0.0)
        maximum = _number(cap.get("maximum"))
        most = most + maximum if most is not None and maximum is not None else None
        newest = when if newest is None else max(newest, when)
    if newest is None:
        return None
    return status_for(left, most), newest


def status_for(left: float, most: float | None = None) -> str:
    """The status a number of free places gives (of `most` in all, when known): none is full,
    at most LIMITED_COUNT or LIMITED_SHARE of the maximum is limited, more is available."""
    if left <= 0:
        return "full"
    if left <= LIMITED_COUNT or (most and left <= most * LIMITED_SHARE):
        return "limited"
    return "available"


def full_capacity(service_id: str, updated: dt.datetime) -> dict[str, Any]:
    """The HSDS 3.1 service_capacity of a shelter that is full: 0 places, since when."""
    return {"id": derived_id("capacity", service_id), "service_id": service_id,
            "unit": dict(HAVEN_UNIT), "unit_id": HAVEN_UNIT["id"], "available": 0,
            "description": "Full: no places available now.",
            "updated": shaping.stamp(updated)}


def count_capacity(service_id: str, free: int, unit: str, updated: dt.datetime
                   ) -> dict[str, Any]:
    """The HSDS 3.1 service_capacity of a shelter whose member shows its count: `free` beds
    or places (unit "beds" or "places"), since when."""
    kind = BED_UNIT if unit == "beds" else HAVEN_UNIT
    return {"id": derived_id("capacity", service_id), "service_id": service_id,
            "unit": dict(kind), "unit_id": kind["id"], "available": free,
            "updated": shaping.stamp(updated)}


def served(record: dict[str, Any], view: SpaceView | None, version: str) -> dict[str, Any]:
    """A service as render.py made it, as a public answer in this HSDS version serves it:
    without any imported capacity counting places (its count stays here; the status says the
    word), and on 3.1 with the count its member chose to show (view.count, fresh only) or
    else a full shelter's capacity of 0 places. Other capacities (kilograms of food, hours of
    advice) are served as given."""
    given = record.get("capacities")
    if not isinstance(given, list):
        kept: Any = given  # not HSDS capacities: an extra of a 3.0 source, as given
    else:
        kept = [c for c in given if not counts_places(c)]
        if given and not kept:
            kept = None
    if version == "3.1" and view is not None and view.count is not None:
        kept = [*(kept if isinstance(kept, list) else []),
                count_capacity(record["id"], view.count, view.unit, view.updated)]
    elif version == "3.1" and view is not None and view.status == "full":
        kept = [*(kept if isinstance(kept, list) else []),
                full_capacity(record["id"], view.updated)]
    if kept is None:
        record.pop("capacities", None)
    else:
        record["capacities"] = kept
    return record
