"""Places as people type them: "Fresno", "fresno, CA", "FRESNO California", "فريسنو",
"36.74,-119.78" or "٣٦٫٧٤،-١١٩٫٧٨", and postcodes. One reading for the search pages, the API,
text messages and (through the bundle) the phone's offline search.

Towns are the cities of the directory's public places; a town's names in other languages come
from `place-names.csv` beside the services data (city, country, locale, name).
"""

from __future__ import annotations

import csv
import functools
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select

from webapp import digits
from webapp.directory import geo
from webapp.extensions import db
from webapp.models import Location
from webapp.search import changelog
from webapp.search import text as textmod

ROOT = Path(__file__).resolve().parent.parent.parent

Point = tuple[float, float]
POSTCODE = re.compile(r"^\d{5}(?:-\d{4})?$")
LONGEST_NAME = 3  # words in the longest town name looked for ("san luis obispo")


def known_places(locale: str | None = None) -> dict[str, Point]:
    """Folded town names -> the centre of the town's public points: the names the directory
    stores, and their names in other languages (only `locale`'s, when one is given)."""
    return _places(changelog.version(), db.engine.url.render_as_string(hide_password=True),
                   current_app.config["HAVEN_DATA_DIR"], locale)


@functools.lru_cache(maxsize=32)
def _places(version: str, engine_key: str, data_dir: str, locale: str | None,
            ) -> dict[str, Point]:
    rows = db.session.execute(
        select(Location.city, func.avg(Location.public_latitude),
               func.avg(Location.public_longitude))
        .where(Location.city.is_not(None), Location.public_latitude.is_not(None))
        .group_by(Location.city)
    ).all()
    out = {fold(city): (float(lat), float(lng)) for city, lat, lng in rows if fold(city)}
    for city, lang, name in _other_names(data_dir):
        point = out.get(fold(city))
        if point is not None and (locale is None or lang == locale) and fold(name):
            out.setdefault(fold(name), point)
    return out


def names_of(city: str | None) -> tuple[str, ...]:
    """A town's names in other languages, for the search index: "مأوى فريسنو" typed as a
    search finds Fresno's listings as "shelter Fresno" does. Works outside a request too (the
    import's worker processes), reading HAVEN_DATA_DIR as the app's config does."""
    if not city:
        return ()
    data_dir = (current_app.config["HAVEN_DATA_DIR"] if has_app_context()
                else os.environ.get("HAVEN_DATA_DIR", str(ROOT / "services_data")))
    return _by_city(data_dir).get(fold(city), ())


@functools.lru_cache(maxsize=4)
def _by_city(data_dir: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for city, _lang, name in _other_names(data_dir):
        out.setdefault(fold(city), []).append(name)
    return {k: tuple(v) for k, v in out.items()}


@functools.lru_cache(maxsize=4)
def _other_names(data_dir: str) -> tuple[tuple[str, str, str], ...]:
    path = Path(data_dir) / "place-names.csv"
    if not path.is_file():
        return ()
    with path.open(encoding="utf-8", newline="") as f:
        return tuple((r["city"], r["locale"], r["name"]) for r in csv.DictReader(f)
                     if r.get("city") and r.get("locale") and r.get("name"))


def local_names(locale: str) -> dict[str, str]:
    """Folded town names -> the town's name in `locale`, where place-names.csv gives one."""
    data_dir = current_app.config["HAVEN_DATA_DIR"]
    return {fold(city): name for city, lang, name in _other_names(data_dir) if lang == locale}


def fold(name: str) -> str:
    """A town name as compared: case, accents, punctuation and the Arabic article folded."""
    return " ".join(textmod.tokens(name))


def find(words: Sequence[str], places: dict[str, Point]) -> tuple[int, int, Point] | None:
    """(start, size, point) of the longest run of words that names a known town or a
    postcode, the last such run first ("shelter fresno" -> the town at 1, 1 word)."""
    for size in range(LONGEST_NAME, 0, -1):
        for i in range(len(words) - size, -1, -1):
            chunk = words[i:i + size]
            point = places.get(fold(" ".join(chunk)))
            if point is None and size == 1 and POSTCODE.match(digits.to_ascii(chunk[0])):
                point = postcode_point(chunk[0])
            if point is not None:
                return i, size, point
    return None


def point_of(text: str) -> Point | None:
    """The point a `near` value names: coordinates in any digits, a town as typed (with a
    region or country after it, in any case, with or without accents, in another language
    where a name is known) or a postcode; None when it names nothing known."""
    plain = digits.to_ascii(text).strip()
    point = geo.parse_point(plain)
    if point is not None:
        return point
    words = re.split(r"[\s,;/]+", plain)
    found = find([w for w in words if w], known_places())
    return found[2] if found else None


def postcode_point(code: str) -> Point | None:
    """The centre of a postcode's public points, as typed (any digits, any spacing)."""
    return postcode_centre("".join(digits.to_ascii(code).split()).upper())


def postcode_column() -> Any:
    """A location's postcode as compared: upper case, no spaces."""
    return func.upper(func.replace(Location.postal_code, " ", ""))


def postcode_centre(code: str) -> Point | None:
    """The middle of the public places with this postcode (confidential ones never count);
    code as compared: upper case, no spaces."""
    lat, lng = db.session.execute(
        select(func.avg(Location.latitude), func.avg(Location.longitude))
        .where(postcode_column() == code, Location.confidential.is_(False),
               Location.latitude.is_not(None), Location.longitude.is_not(None))).one()
    return None if lat is None or lng is None else (float(lat), float(lng))
