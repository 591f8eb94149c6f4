"""How the in-memory index (memindex.py) keeps its groups: the slots of a term, language,
organisation or flag, the opening intervals of a zone and weekday, and the public points.

A build or a change adds to them as Python lists; freeze() then turns them into numpy arrays,
a few bytes a slot instead of a set entry and an int object each. A change never copies a
frozen array into Python objects: it adds on top of it (Growing), and freeze inserts its few
new entries into the shared array, so a change costs what it touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from webapp.search.memindex import MemIndex


class Growing(list):  # type: ignore[type-arg]
    """Entries added on top of a frozen array (base), joined with it by freeze()."""

    def __init__(self, base: Any = None) -> None:
        super().__init__()
        self.base = base

    def add(self, item: Any) -> None:
        """Add one slot (set-like, for the groups)."""
        self.append(item)


Slots = set[int] | np.ndarray | Growing  # frozen: np.ndarray
K = TypeVar("K")
C = TypeVar("C", bound=Growing)


class Owner:
    """Gives the group under a key to add to: when growing a published index, a new Growing
    over the frozen group, made once per change, so readers of the old index never see it
    move."""

    def __init__(self, grow: bool) -> None:
        self.grow = grow
        self.copied: set[tuple[int, object]] = set()

    def own(self, table: dict[K, Any], key: K, make: Callable[..., C]) -> C:
        if self.grow and (id(table), key) not in self.copied:
            table[key] = make(table.get(key))
            self.copied.add((id(table), key))
        found = table.get(key)
        if found is None:
            found = table[key] = make()
        return found  # type: ignore[no-any-return]


def as_array(ordinals: Slots | range) -> np.ndarray:
    """Slots as an int array (a frozen group already is one)."""
    if isinstance(ordinals, np.ndarray):
        return ordinals
    return np.fromiter(ordinals, dtype=np.int32, count=len(ordinals))  # type: ignore[arg-type]


def slots_array(group: Any) -> np.ndarray:
    """A group as a sorted array of distinct slots; a change's few new slots are inserted
    into the frozen array (sorted, distinct), never a sort of the whole group."""
    if isinstance(group, np.ndarray):
        return group
    fresh = np.unique(as_array(group)).astype(np.int32)
    base = group.base if isinstance(group, Growing) else None
    if base is None or not len(base):
        return fresh
    at = np.searchsorted(base, fresh)
    known = (at < len(base)) & (base[np.minimum(at, len(base) - 1)] == fresh)
    return np.insert(base, at[~known], fresh[~known])


def intervals_array(entries: Any) -> np.ndarray:
    """Opening intervals as an (n, 3) int32 array of (opens, closes, slot)."""
    if isinstance(entries, np.ndarray):
        return entries
    fresh = np.array(list(entries), dtype=np.int32).reshape(-1, 3)
    base = getattr(entries, "base", None)
    return fresh if base is None else np.concatenate((base, fresh))


def points_array(points: Any) -> np.ndarray:
    """Public points as an (n, 3) float array of (lat, lng, slot), sorted by latitude; a
    change's new points are inserted into the frozen array in latitude order."""
    if isinstance(points, np.ndarray):
        return points
    fresh = np.array(sorted(points), dtype=float).reshape(-1, 3)
    base = getattr(points, "base", None)
    if base is None or not len(fresh):
        return fresh if base is None else base
    return np.insert(base, np.searchsorted(base[:, 0], fresh[:, 0], side="right"), fresh,
                     axis=0)


def freeze(idx: MemIndex) -> None:
    """Turn the groups a build or a change filled into compact arrays; the ones a change
    did not touch are shared and already frozen."""
    tables: tuple[dict[Any, Slots], ...] = (idx.terms, idx.term_ids, idx.taxonomies,
                                            idx.organizations, idx.languages)
    for table in tables:
        for key, group in table.items():
            table[key] = slots_array(group)
    idx.free, idx.always_open = slots_array(idx.free), slots_array(idx.always_open)
    idx.points = points_array(idx.points)
    for zone_day, entries in idx.slots.items():
        idx.slots[zone_day] = intervals_array(entries)
