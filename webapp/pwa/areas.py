"""The directory in areas, for phones that keep only the part they need offline.

Which area each service is in is partition.py's. Each area is one file of offline records,
in the bundle's shape and contract, and a phone that holds one asks for what changed since its
version: the records changed or added in the area, and the ids to drop. A new epoch, or a gap
the change log no longer covers, answers the whole area again.

Nothing confidential goes in: the records are the bundle's (town, region and coarse points
only), and an area's box is drawn from public points.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from babel import Locale
from flask import current_app
from sqlalchemy import select

from webapp import i18n
from webapp.directory import taxonomy
from webapp.extensions import db
from webapp.models import SearchDoc
from webapp.pwa import bundle, contract
from webapp.pwa import partition as cut
from webapp.pwa.partition import NATIONAL, Partition, Place, places_of
from webapp.search import changelog, indexer, memindex, places, stored, text, vocab

LEFT_KEPT = 100_000  # departures remembered, for the ids a change sends to drop
TOWNS_SHOWN = 3  # towns named with an area in the picker


@dataclass
class Areas:
    """The areas of the data at (epoch, seq): members, and the last change that touched each
    (the version its file is cached under)."""

    epoch: str
    seq: int
    parts: Partition
    where: dict[str, Place]
    members: dict[str, set[str]] = field(default_factory=dict)
    touched: dict[str, int] = field(default_factory=dict)
    # (change, service, area it left): retired or moved, for every change after `complete`
    left: list[tuple[int, str, str]] = field(default_factory=list)
    complete: int = -1  # the change from which `left` is whole (-1: the seq built at)
    grid: tuple[Any, list[str]] | None = None  # public points and their areas, when asked
    # per locale: the areas described and the towns' areas (index()), made once per change
    described: dict[str, tuple[list[dict[str, Any]], dict[str, list[str]]]] = field(
        default_factory=dict)

    def __post_init__(self) -> None:
        if self.complete < 0:
            self.complete = self.seq
        if not self.members:
            for sid, area in self.parts.area_of.items():
                self.members.setdefault(area, set()).add(sid)
            self.touched = dict.fromkeys(self.members, self.seq)


_held: dict[str, Areas] = {}
_lock = threading.Lock()


def current() -> Areas:
    """The areas of the data now in the database: partitioned once per epoch, then moved
    along change by change (a changed service is placed again; a retired one leaves)."""
    idx = memindex.current()
    key = db.engine.url.render_as_string(hide_password=True)
    held = _held.get(key)
    if held is not None and held.epoch == idx.epoch and held.seq == idx.seq:
        return held
    with _lock:
        held = _held.get(key)
        changes = (changelog.changes_after(held.seq)
                   if held is not None and held.epoch == idx.epoch and held.seq <= idx.seq
                   else None)
        if held is None or changes is None:
            # A worker starting: the cut stored beside the index, brought up to date by the
            # changes since; else cut afresh, and stored for the next start.
            kept = _stored(idx)
            changes = changelog.changes_after(kept.seq) if kept is not None else None
            if kept is not None and changes is not None:
                held = _moved(kept, changes, idx)
            else:
                where = places_of()
                live = {sid: where.get(sid, Place("", "", "", None)) for sid in idx.ordinal}
                held = Areas(idx.epoch, idx.seq, cut.partition(live), live)
                stored.save_areas_later({name: getattr(held, name) for name in STORED}
                                        | {"most": cut.MOST})
        else:
            held = _moved(held, changes, idx)
        _held[key] = held
        return held


# What a stored cut holds (the rest are caches, made again on use); `most` is the largest
# area it was cut for: a cut for another size is not used.
STORED = ("epoch", "seq", "parts", "where", "members", "touched", "complete")


def _stored(idx: memindex.MemIndex) -> Areas | None:
    """The stored cut when it is this epoch's, no newer than the index, and for this size."""
    state = stored.load_areas()
    if (state is None or set(state) != {*STORED, "most"} or state["most"] != cut.MOST
            or state["epoch"] != idx.epoch or not isinstance(state["seq"], int)
            or state["seq"] > idx.seq):
        return None
    del state["most"]
    return Areas(**state)  # type: ignore[arg-type]


def _moved(old: Areas, changes: list[Any], idx: memindex.MemIndex) -> Areas:
    new = Areas(idx.epoch, old.seq,
                Partition(dict(old.parts.area_of), old.parts.cells, old.parts.ranges),
                dict(old.where), {a: set(m) for a, m in old.members.items()},
                dict(old.touched),
                old.left[-LEFT_KEPT // 2:] if len(old.left) > LEFT_KEPT else list(old.left),
                old.complete)
    if len(old.left) > LEFT_KEPT:
        new.complete = new.left[0][0] - 1
    for change in changes:
        ids = json.loads(change.services)
        fresh = places_of(ids)
        for sid in ids:
            before = new.parts.area_of.pop(sid, None)
            if before is not None:
                new.members[before].discard(sid)
                new.touched[before] = change.seq
                new.where.pop(sid, None)
            area = None
            if sid in idx.ordinal:  # still listed (retired ones are not)
                place = fresh.get(sid, Place("", "", "", None))
                area = new.parts.assign(sid, place)
                new.parts.area_of[sid] = area
                new.where[sid] = place
                new.members.setdefault(area, set()).add(sid)
                new.touched[area] = change.seq
            if before is not None and area != before:
                new.left.append((change.seq, sid, before))
        new.seq = change.seq
    new.seq = max(new.seq, idx.seq)
    return new


def area_near(areas: Areas, point: tuple[float, float]) -> str | None:
    """The area of the listed public point nearest to a point (the area a search near a
    town or a location falls in), or None when no listing has a point."""
    if areas.grid is None:
        placed = [(p.point, areas.parts.area_of[sid]) for sid, p in areas.where.items()
                  if p.point is not None and sid in areas.parts.area_of]
        areas.grid = (np.array([pt for pt, _a in placed], dtype=float).reshape(-1, 2),
                      [a for _pt, a in placed])
    points, names = areas.grid
    if not names:
        return None
    scale = math.cos(math.radians(point[0]))
    d2 = (points[:, 0] - point[0]) ** 2 + ((points[:, 1] - point[1]) * scale) ** 2
    return names[int(np.argmin(d2))]


def national_of(areas: Areas, area: str) -> str | None:
    """The area of the services with no place of the same country as `area`, if any."""
    national = f"{area.split('-', 1)[0]}-{NATIONAL}"
    return national if national != area and areas.members.get(national) else None


def by_area() -> bool:
    """Whether phones keep the directory by area (HAVEN_OFFLINE_AREAS: on, off, or auto,
    by area once the directory is bigger than one area) instead of whole."""
    mode = current_app.config["HAVEN_OFFLINE_AREAS"]
    return mode == "on" or (mode == "auto" and len(memindex.current().ordinal) > cut.MOST)


def version(areas: Areas) -> str:
    """What a phone holds an area as of: the epoch and the last change it has seen."""
    return f"{areas.epoch}:{areas.seq}"


def tokens_of(ids: list[str]) -> dict[str, list[tuple[str, int]]]:
    """Each service's search tokens with their weight classes, as the index holds them."""
    out: dict[str, list[tuple[str, int]]] = {}
    for start in range(0, len(ids), 500):
        for sid, encoded in db.session.execute(
                select(SearchDoc.service_id, SearchDoc.tokens)
                .where(SearchDoc.service_id.in_(ids[start:start + 500]))):
            out[sid] = sorted((t, indexer.CLASS_OF[w]) for t, w in indexer.decode(encoded).items())
    return out


def records_of(tag: str, ids: list[str]) -> dict[str, list[Any]]:
    """The locale's records of these services: only theirs are read (the whole bundle's
    records are read for the whole directory, a minute at 100k services)."""
    out: dict[str, list[Any]] = {}
    for start in range(0, len(ids), 500):
        out.update(bundle.read(tag, ids[start:start + 500]))
    return out


def area_records(tag: str, areas: Areas, area: str) -> list[list[Any]]:
    """The area's records in the server's tie order, tokens as (token, class) pairs."""
    return _records(tag, areas.members.get(area, set()))


def _records(tag: str, ids: set[str] | list[str]) -> list[list[Any]]:
    """These services' records in the server's tie order, with their tokens as (token,
    class) pairs and their place in that order (`tie`, which a phone merges areas by)."""
    idx = memindex.current()
    ordered = sorted(ids, key=lambda sid: idx.keys[sid])
    by_id = records_of(tag, ordered)
    toks = tokens_of(ordered)
    out = []
    for sid in ordered:
        record = list(by_id[sid])
        record[bundle.TOKENS] = toks.get(sid, [])
        record[bundle.TIE] = float(idx.tie[idx.ordinal[sid]])
        out.append(record)
    return out


def with_table(listed: list[list[Any]]) -> tuple[list[str], int]:
    """Replace each record's (token, class) pairs by flat positions in one token table: the
    words (vocab.is_word: what typo and prefix lookups expand to) first, sorted, then the
    rest.
    Returns (table, how many of it are vocabulary words)."""
    used = sorted({t for r in listed for t, _c in r[bundle.TOKENS]})
    words = [t for t in used if vocab.is_word(t)]
    rest = [t for t in used if not vocab.is_word(t)]
    at = {t: i for i, t in enumerate([*words, *rest])}
    for r in listed:
        r[bundle.TOKENS] = [x for t, c in r[bundle.TOKENS] for x in (at[t], c)]
    return [*words, *rest], len(words)


def area_file(tag: str, area: str | None, home_country: str) -> dict[str, Any]:
    """One area's offline file: the bundle's shape (contract, token table, records, the
    reader's words) for the area's services only, and the version a phone asks from (None:
    the same with no services, what every file costs)."""
    areas = current()
    listed = area_records(tag, areas, area) if area is not None else []
    table, nv = with_table(listed)
    return {
        "contract": contract.shipped(), "lang": tag, "home": home_country,
        "area": area, "v": version(areas), "nv": nv, "tok": table,
        "cw": [[cw.code, list(cw.tokens)] for cw in vocab.CATEGORY_WORDS],
        "sw": sorted(text.STOPWORDS), "cat": list(taxonomy.CATEGORY_CODES),
        "pop": list(taxonomy.POPULATION_CODES), "s": listed,
        **bundle.reader_words(tag, listed),
        "places": {k: [v[0], v[1]] for k, v in places.known_places(tag).items()},
    }


class Gap(Exception):
    """The phone's version cannot be brought up to date by changes: send the whole area."""


def delta(tag: str, area: str, since: str) -> dict[str, Any]:
    """What changed in an area after the version `since` ("epoch:seq"): records changed or
    added (tokens as flat token, class pairs, since the phone's table may not have them),
    and the ids to drop. The phone rebuilds its token table as with_table does (words, those
    without a colon, sorted first). Raises Gap after a new epoch or a gap in the change
    log."""
    epoch, _, seq_text = since.partition(":")
    areas = current()
    if epoch != areas.epoch or not seq_text.isdigit() or not seq_text.isascii():
        raise Gap
    seq = int(seq_text)
    if seq > areas.seq:
        raise Gap
    changes = changelog.changes_after(seq)
    if changes is None:
        raise Gap
    touched = list(dict.fromkeys(sid for ch in changes for sid in json.loads(ch.services)))
    members = areas.members.get(area, set())
    records = _records(tag, [sid for sid in touched if sid in members])
    for record in records:  # flat token, class pairs
        record[bundle.TOKENS] = [x for pair in record[bundle.TOKENS] for x in pair]
    # Ids that left the area (retired, or moved elsewhere) since the phone's version. Before
    # this worker started keeping departures, every touched id not in the area now is
    # named: more than needed, never less.
    if seq >= areas.complete:
        gone = list(dict.fromkeys(sid for at, sid, was in areas.left
                                  if at > seq and was == area and sid not in members))
    else:
        gone = [sid for sid in touched if sid not in members]
    return {"area": area, "since": since, "v": version(areas), "changed": records,
            "removed": gone}


# bytes of a record by coding, a guess until an area's file is made (gzip: 87-111 seen;
# Brotli about a fifth less)
PER_SERVICE = {"br": 92, "gzip": 110}


def index(tag: str, sizes: dict[str, int], base: int, coding: str = "gzip") -> dict[str, Any]:
    """The public list of areas for the picker: id, names in the reader's language (country,
    region, the biggest towns), a box around public points, services, and the bytes its file
    costs as the phone takes it (`coding`): `sizes` where the file was made, else `base` (a
    file with no services) and so much a service as the made files of 50 or more services
    cost (`estimated`)."""
    areas = current()
    if tag not in areas.described:  # a new Areas after each change: described again then
        areas.described[tag] = (_describe(areas, tag), _town_areas(areas, tag))
    described, towns = areas.described[tag]
    made = [(sizes[a["id"]] - base, a["services"]) for a in described
            if a["id"] in sizes and a["services"] >= 50]
    per = (sum(b for b, _n in made) / sum(n for _b, n in made)) if made else PER_SERVICE[coding]
    listed = [{**a, "bytes": sizes.get(a["id"]) or base + round(per * a["services"]),
               "estimated": a["id"] not in sizes} for a in described]
    # Folded town names to their areas: a town typed on the phone finds its area there, so
    # the place never leaves the phone.
    return {"v": version(areas), "areas": listed, "towns": towns,
            "sep": i18n.separators(tag)[0]}  # the reader's comma, for names before any area


def _describe(areas: Areas, tag: str) -> list[dict[str, Any]]:
    babel = Locale.parse(i18n.BY_TAG[tag].babel)
    town_names = places.local_names(tag)
    listed = []
    for area, members in sorted(areas.members.items()):
        if not members:
            continue
        where = [areas.where[sid] for sid in members]
        country = Counter(p.country for p in where).most_common(1)[0][0]
        region = Counter(p.region for p in where if p.region).most_common(1)
        towns = [t for t, _n in Counter(p.town for p in where if p.town).most_common(TOWNS_SHOWN)]
        points = [p.point for p in where if p.point is not None]
        box = ([min(p[0] for p in points), min(p[1] for p in points),
                max(p[0] for p in points), max(p[1] for p in points)] if points else None)
        listed.append({
            "id": area, "country": country.upper(),
            "country_name": babel.territories.get(country.upper(), country.upper()),
            "region": region[0][0] if region else "",
            "towns": [town_names.get(places.fold(t), t) for t in towns],
            "box": box, "services": len(members),
            # The country's services with no place (national lines): kept with any of its areas
            "national": area.endswith(f"-{NATIONAL}"),
        })
    return listed


def _town_areas(areas: Areas, tag: str) -> dict[str, list[str]]:
    out: dict[str, set[str]] = {}
    other = places.local_names(tag)
    for sid, place in areas.where.items():
        if place.town:
            area = areas.parts.area_of[sid]
            for name in {places.fold(place.town), places.fold(other.get(places.fold(place.town),
                                                                         ""))} - {""}:
                out.setdefault(name, set()).add(area)
    return {name: sorted(a) for name, a in sorted(out.items())}
