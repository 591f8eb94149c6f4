"""The search index held in memory, kept current change by change.

The database keeps the inverted index (search_doc, a row per service) as the source of
truth, and the SQL engine in search_sql.py still answers from it directly: tests run both and
require the same ids in the same order. Pages and the API use this copy, because a GROUP BY
over every posting of a broad query (every shelter among 100k services) costs far more than
summing the same postings over arrays.

Each service has a slot. Postings are one array of slots per token (a compressed sparse row
table built once) plus small arrays for tokens a later change touched. A change never edits
a slot: the services it touched get new slots and their old ones die, so a query never sees
half a change, and applying one costs what the change touched, not the directory. Workers
apply the logged changes (changelog.changes_after) on their next query; a new epoch (a bulk
import) builds afresh. Ordering ties are broken by each service's place in rank_hint DESC,
name, id, names compared by code point (search_sql.py orders the same way).
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import json
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from webapp.directory import hours
from webapp.extensions import db
from webapp.models import (
    SearchChange,
)
from webapp.search import changelog, groups, indexer, rows, stored, vocab

VISIBLE_STATUSES = rows.VISIBLE_STATUSES
WEIGHTS = indexer.WEIGHTS
WEIGHT_OF = np.array(WEIGHTS)
OrderKey = tuple[int, str, str]  # (-rank_hint, name, id)
Slots = groups.Slots
EMPTY_ORDS = np.zeros(0, dtype=np.int32)
EMPTY_CLASSES = np.zeros(0, dtype=np.uint8)


@dataclass
class MemIndex:
    """Everything ranking and filtering need, by slot. Treated as immutable once published:
    a change makes a new MemIndex sharing what it did not touch."""

    epoch: str = ""
    seq: int = 0
    size: int = 0  # slots in use; lists below may be longer (shared, append-only)
    ids: list[str] = field(default_factory=list)
    ordinal: dict[str, int] = field(default_factory=dict)  # id -> its live slot
    alive: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    tie: np.ndarray = field(default_factory=lambda: np.zeros(0))  # place in the tie order
    keys: dict[str, OrderKey] = field(default_factory=dict)
    order: list[OrderKey] = field(default_factory=list)  # sorted
    country: list[str | None] = field(default_factory=list)
    modified: list[dt.datetime] = field(default_factory=list)
    token_row: dict[str, int] = field(default_factory=dict)  # CSR: token -> row
    starts: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    slots_of: np.ndarray = field(default_factory=lambda: EMPTY_ORDS)
    classes: np.ndarray = field(default_factory=lambda: EMPTY_CLASSES)
    extra: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # Slots per key. Sets while a build or a change adds to them; then frozen (compact) into
    # int32 arrays, a few bytes a slot instead of a set entry and an int object each.
    terms: dict[tuple[str, str], Slots] = field(default_factory=dict)  # (taxonomy, code)
    term_ids: dict[str, Slots] = field(default_factory=dict)
    taxonomies: dict[str, Slots] = field(default_factory=dict)  # taxonomy id
    organizations: dict[str, Slots] = field(default_factory=dict)
    languages: dict[str, Slots] = field(default_factory=dict)
    free: Slots = field(default_factory=set)
    always_open: Slots = field(default_factory=set)
    # public points (lat, lng, slot): a list while a build fills it, then an (n, 3) array
    # sorted by latitude
    points: Any = field(default_factory=list)
    open_minute: tuple[int, Any] = (-1, None)  # the minute last asked, and who was open
    # (zone, weekday) -> opening intervals: a list of (opens, closes, slot) while growing,
    # frozen into an (n, 3) int32 array
    slots: dict[tuple[str, int], Any] = field(default_factory=dict)
    vocab: vocab.Vocabulary = field(default_factory=vocab.Vocabulary)
    base_seq: int = 0  # the change the index was built at
    history: tuple[tuple[int, tuple[str, ...]], ...] = ()  # changes applied since the build
    home_cache: dict[str, np.ndarray] = field(default_factory=dict)

    def postings_of(self, token: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A token's (slots, weight classes); dead slots included (callers mask with alive)."""
        row = self.token_row.get(token)
        more = self.extra.get(token)
        if row is None:
            return more
        a, b = int(self.starts[row]), int(self.starts[row + 1])
        if more is None:
            return self.slots_of[a:b], self.classes[a:b]
        return (np.concatenate((self.slots_of[a:b], more[0])),
                np.concatenate((self.classes[a:b], more[1])))

    def posting_arrays(self, token: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A token's (slots, weights); dead slots included (callers mask with alive)."""
        found = self.postings_of(token)
        return None if found is None else (found[0], WEIGHT_OF[found[1]])

    def each_posting(self) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
        """Every token with live postings: (token, slots, weight classes), tokens sorted."""
        for token in sorted(self.token_row.keys() | self.extra.keys()):
            found = self.postings_of(token)
            if found is not None:
                live = self.alive[found[0]]
                if live.any():
                    yield token, found[0][live], found[1][live]

    def changed_since(self, seq: int) -> set[str] | None:
        """Ids of services changed after seq, or None when this index cannot tell (it was
        built after seq: treat everything as changed)."""
        if seq < self.base_seq:
            return None
        return {sid for at, ids in self.history if at > seq for sid in ids}

    def live_in_order(self) -> list[int]:
        """Live slots in the tie order (the order an offline bundle lists services in)."""
        return [self.ordinal[k[2]] for k in self.order]

    def mask(self, *members: Slots) -> np.ndarray:
        """A boolean array over all slots, true in any of these groups of slots."""
        out = np.zeros(self.size, dtype=bool)
        for ordinals in members:
            out[groups.as_array(ordinals)] = True
        return out

    def is_home(self, country: str) -> np.ndarray:
        """True where a service is in the given country."""
        found = self.home_cache.get(country)
        if found is None:
            found = np.array([c == country for c in self.country[:self.size]], dtype=bool)
            self.home_cache[country] = found
        return found

    def placed(self) -> np.ndarray:
        """True where a slot has a public point (a national line has none)."""
        out = np.zeros(self.size, dtype=bool)
        out[groups.points_array(self.points)[:, 2].astype(np.int64)] = True
        return out

    def any_of(self, table: dict[Any, Slots], keys: list[Any]) -> np.ndarray:
        """A mask of the slots having at least one of keys."""
        return self.mask(*(table[k] for k in keys if k in table))

    def open_at(self, now: dt.datetime) -> np.ndarray:
        """A mask of the slots open at this minute (each zone's local time), cached for the
        minute."""
        minute = int(now.timestamp() // 60)
        if self.open_minute[0] == minute:
            return self.open_minute[1]
        out = np.zeros(self.size, dtype=bool)
        positions: dict[str, tuple[int, int] | None] = {}
        for (zone, weekday), entries in self.slots.items():
            if zone not in positions:
                try:
                    positions[zone] = hours.local_position(hours.zone(zone, None), now)
                except hours.HoursError:
                    positions[zone] = None
            pos = positions[zone]
            if pos is None or pos[0] != weekday:
                continue
            local = pos[1]
            table = groups.intervals_array(entries)
            out[table[(table[:, 0] <= local) & (local < table[:, 1]), 2]] = True
        self.open_minute = (minute, out)
        return out

    def within(self, lat: float, lng: float, box: tuple[float, float, float, float],
               ) -> np.ndarray:
        """Per slot, the smallest squared planar distance (degrees) among its points in the
        box; inf for slots with none."""
        min_lat, max_lat, min_lng, max_lng = box
        k = math.cos(math.radians(lat))
        out = np.full(self.size, np.inf)
        pts = groups.points_array(self.points)
        lo = int(np.searchsorted(pts[:, 0], min_lat, side="left"))
        hi = int(np.searchsorted(pts[:, 0], max_lat, side="right"))
        seg = pts[lo:hi]
        seg = seg[(seg[:, 1] >= min_lng) & (seg[:, 1] <= max_lng)]
        plat, plng = seg[:, 0], seg[:, 1]
        d2 = (plat - lat) * (plat - lat) + (plng - lng) * k * (plng - lng) * k  # as SQL does
        np.minimum.at(out, seg[:, 2].astype(np.int64), d2)
        return out


_lock = threading.Lock()
_held: dict[str, MemIndex] = {}  # database -> its index
_saved: dict[str, int] = {}  # database -> the change its stored index was written at


SAVE_EVERY = 1000  # changes applied since the stored index was written: write it again


def current() -> MemIndex:
    """The index for the data now in the database: loaded from its file or built once per
    epoch, then kept current by applying the logged changes (a query waits only for what
    changed). A build or many changes are written to the file in the background."""
    return _current(stored.save_later)


def _current(save: Callable[[MemIndex], object]) -> MemIndex:
    epoch, seq = changelog.state()
    key = db.engine.url.render_as_string(hide_password=True)
    idx = _held.get(key)
    if idx is not None and idx.epoch == epoch and idx.seq >= seq:
        return idx
    with _lock:
        idx = _held.get(key)
        if idx is None:
            idx = stored.load(epoch, MemIndex)
        if idx is None or idx.epoch != epoch:
            idx = build(epoch, seq)
            save(idx)
        if idx.seq < seq:
            changes = changelog.changes_after(idx.seq)
            if changes is None:
                idx = build(epoch, seq)
                save(idx)
            else:
                idx = apply(idx, changes)
                if idx.seq - _saved.get(key, idx.base_seq) >= SAVE_EVERY:
                    _saved[key] = idx.seq
                    save(idx)
        _held[key] = idx
    return idx


def persist() -> MemIndex:
    """Bring the index up to date and write it now (after an import from the command line,
    so workers that start next load it instead of building it)."""
    idx = _current(lambda _built: None)  # built or changed here: written below, not in a thread
    db.session.commit()  # end the read: nothing else is pending when an import has committed
    stored.save(idx)
    return idx


def build(epoch: str = "", seq: int = 0) -> MemIndex:
    """Read the derived tables once (epoch and seq read before the data, so a change that
    lands meanwhile is applied again later, which is harmless)."""
    idx = MemIndex(epoch=epoch, seq=seq, base_seq=seq)
    listed = rows.service_rows(None)
    idx.ids = [r[0] for r in listed]
    idx.size = len(listed)
    idx.ordinal = {sid: o for o, sid in enumerate(idx.ids)}
    idx.alive = np.ones(idx.size, dtype=bool)
    owner = groups.Owner(grow=False)
    for o, row in enumerate(listed):
        rows.add_service(idx, o, row, owner)
    idx.order = sorted(idx.keys.values())
    idx.tie = _ties(idx)
    rows.postings(idx)
    rows.add_related(idx, None)
    idx.vocab = vocab.build()
    groups.freeze(idx)
    return idx


def _place_between(idx: MemIndex, new_keys: list[OrderKey]) -> bool:
    """Give each new key a tie value between its neighbours' (runs of new keys share the gap
    evenly), so a rename costs what it touched; False when a gap is too small to split."""
    at = [bisect.bisect_left(idx.order, k) for k in new_keys]
    i = 0
    while i < len(at):
        j = i
        while j + 1 < len(at) and at[j + 1] == at[j] + 1:
            j += 1
        before = float(idx.tie[idx.ordinal[idx.order[at[i] - 1][2]]]) if at[i] > 0 else -1.0
        after = (float(idx.tie[idx.ordinal[idx.order[at[j] + 1][2]]])
                 if at[j] + 1 < len(idx.order) else float(len(idx.order) + 1))
        step = (after - before) / (j - i + 2)
        if not step > 1e-6:
            return False
        for n, key in enumerate(new_keys[i:j + 1], 1):
            idx.tie[idx.ordinal[key[2]]] = before + step * n
        i = j + 1
    return True


def _ties(idx: MemIndex) -> np.ndarray:
    tie = np.zeros(len(idx.alive))
    for place, key in enumerate(idx.order):
        tie[idx.ordinal[key[2]]] = place
    return tie


def apply(old: MemIndex, changes: Iterable[SearchChange]) -> MemIndex:
    """A new index with these logged changes applied; old stays as it was."""
    changes = list(changes)
    touched_by = [(ch.seq, tuple(json.loads(ch.services))) for ch in changes]
    touched = list(dict.fromkeys(sid for _seq, ids in touched_by for sid in ids))
    idx = copy.copy(old)
    idx.seq = changes[-1].seq if changes else old.seq
    idx.history = old.history + tuple(touched_by)
    idx.open_minute = (-1, None)
    idx.home_cache = {}  # extended below: a slot's country never changes
    present: dict[str, bool] = {}  # a word added and removed within these: the last decides
    for ch in changes:
        present.update(dict.fromkeys(json.loads(ch.added), True))
        present.update(dict.fromkeys(json.loads(ch.removed), False))
    added = [w for w, now in present.items() if now]
    removed = [w for w, now in present.items() if not now]
    idx.vocab = vocab.changed(old.vocab, added, removed)
    if not touched:
        return idx
    listed = rows.service_rows(touched)
    idx.ordinal = dict(old.ordinal)
    idx.keys = dict(old.keys)
    idx.free, idx.always_open = groups.Growing(old.free), groups.Growing(old.always_open)
    idx.terms, idx.term_ids = dict(old.terms), dict(old.term_ids)
    idx.taxonomies = dict(old.taxonomies)
    idx.languages, idx.slots = dict(old.languages), dict(old.slots)
    idx.points = groups.Growing(old.points)
    idx.ids = old.ids[:old.size]  # a new list: slots past size may be another index's
    idx.country, idx.modified = old.country[:old.size], old.modified[:old.size]
    alive = np.zeros(old.size + len(listed), dtype=bool)
    alive[:old.size] = old.alive
    for sid in touched:
        gone = idx.ordinal.pop(sid, None)
        if gone is not None:
            alive[gone] = False
            idx.keys.pop(sid, None)
    idx.organizations = dict(old.organizations)
    owner = groups.Owner(grow=True)
    for row in listed:
        o = len(idx.ids)
        idx.ids.append(row[0])
        idx.ordinal[row[0]] = o
        alive[o] = True
        rows.add_service(idx, o, row, owner)
    idx.size = len(idx.ids)
    idx.alive = alive
    new_keys = {idx.keys[r[0]] for r in listed}
    old_keys = {old.keys[sid] for sid in touched if sid in old.keys}
    tie = np.zeros(idx.size)
    tie[:old.size] = old.tie
    idx.tie = tie
    if new_keys == old_keys:  # names and ranks unchanged: each new slot takes the old place
        for sid in touched:
            if sid in old.ordinal and sid in idx.ordinal:
                tie[idx.ordinal[sid]] = old.tie[old.ordinal[sid]]
    else:
        order = list(old.order)
        for k in old_keys:
            del order[bisect.bisect_left(order, k)]
        for k in new_keys:
            bisect.insort(order, k)
        idx.order = order
        if not _place_between(idx, sorted(new_keys)):
            idx.tie = _ties(idx)  # no room left between two neighbours: number afresh
    idx.home_cache = {country: np.concatenate((home, np.array(
        [c == country for c in idx.country[old.size:idx.size]], dtype=bool)))
        for country, home in old.home_cache.items()}
    rows.add_related(idx, [r[0] for r in listed], grow=True)
    rows.add_postings(idx, [r[0] for r in listed])
    groups.freeze(idx)
    return idx
