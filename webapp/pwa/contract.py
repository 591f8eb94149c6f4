"""What the offline bundle (bundle.py) and the phone's search (static/js/search.js) agree on.

Every bundle ships it as `contract`: the names of a record's fields in their order, the parts
of the fields that are lists themselves, the flag bits, and the numbers the server's search
ranks and limits with. The phone reads a record's fields by these names and ranks with these
numbers, so no position, ranking factor, freshness window or limit is written twice. The
numbers stay declared where the server's search uses them (search.py, vocab.py, text.py,
indexer.py, the space and presenter modules) and are read when a bundle is built, so a change
there reaches phones with the next bundle.
"""

from __future__ import annotations

from typing import Any

from webapp.directory import presenters
from webapp.models.coalition import SPACE_FRESH
from webapp.search import indexer, search, text, vocab

# A record is a list (names once per bundle, not once per service): these fields, this order.
FIELDS = (
    "id", "name", "description",
    "categories",  # positions in the bundle's `cat` codes
    "populations",  # positions in its `pop` codes
    "languages",  # codes of the languages spoken
    "flags",  # FLAGS bits
    "country", "city",
    "points",  # [latitude, longitude] of each public (coarse) point
    "phones",  # PARTS["phones"] of each
    "hours",  # PARTS["hours"]
    "tokens",  # flat pairs: a position in the bundle's `tok`, a weight class
    "verified",  # ISO date, or ""
    "eligibility",
    "space",  # PARTS["space"], or null: not a shelter reporting space
    "alert",
    "verified_text",  # the verified date as the online page writes it
    "places",  # PARTS["places"] of each location: never a street
    "source",  # the URL the listing was checked against, or ""
    "web",  # PARTS["web"]
    "tie",  # the place in the server's tie order (area files, which a phone merges; null in
            # the whole bundle, whose array is in that order)
    "shown_in",  # PARTS["shown_in"] when the words are not in the bundle's language, or null
)
PARTS = {
    "phones": ("type", "number", "href"),
    "hours": ("zone", "week"),
    "week": ("weekday", "opens", "closes"),  # each opening of hours' week; Monday is 0
    "space": ("status", "populations", "updated"),
    "places": ("town", "region", "confidential"),
    "web": ("url", "label", "email"),
    "shown_in": ("language", "partial"),  # partial: 1 when only the eligibility or alert is
}
FLAGS = {"free": 1, "always_open": 2, "demo": 4}
POSITION = {name: i for i, name in enumerate(FIELDS)}


def record(**values: Any) -> list[Any]:
    """A record as the bundle lists it: every field of FIELDS, named, and no other."""
    if len(values) != len(FIELDS):
        raise TypeError(f"a record has the fields {FIELDS}, not {tuple(values)}")
    return [values[name] for name in FIELDS]


def part(name: str, **values: Any) -> list[Any]:
    """One of PARTS[name] as the bundle lists it."""
    names = PARTS[name]
    if len(values) != len(names):
        raise TypeError(f"{name} has the parts {names}, not {tuple(values)}")
    return [values[n] for n in names]


def shipped() -> dict[str, Any]:
    """The contract as the bundle carries it, with the numbers the server searches with now."""
    return {
        "fields": list(FIELDS),
        "parts": {name: list(names) for name, names in PARTS.items()},
        "flags": dict(FLAGS),
        "ranking": {
            "exact": search.F_EXACT, "prefix": search.F_PREFIX,
            "typo1": search.F_TYPO1, "typo2": search.F_TYPO2,
            "weights": list(indexer.WEIGHTS),  # by weight class
            "prefix_min_chars": search.PREFIX_MIN_CHARS, "prefix_limit": vocab.PREFIX_LIMIT,
            "typo_limit": vocab.NEAR_LIMIT,
            "no_typo_upto": text.NO_TYPO_UPTO, "one_typo_upto": text.ONE_TYPO_UPTO,
        },
        "keys": {"name": indexer.NAME_PREFIX, "category": indexer.CAT_PREFIX,
                 "name_chars": indexer.EXACT_NAME_CHARS,
                 "lines": list(search.LINE_CATEGORIES)},  # a national line's categories
        "limits": {"per_page": search.DEFAULT_PER_PAGE, "max_per_page": search.MAX_PER_PAGE,
                   "radius_km": search.DEFAULT_RADIUS_KM, "max_radius_km": search.MAX_RADIUS_KM},
        "freshness": {"space_seconds": int(SPACE_FRESH.total_seconds()),
                      "verified_days": presenters.STALE_AFTER.days},
    }
