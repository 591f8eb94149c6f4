"""Generate N HSDS services from the demo region, for benchmarks (not shipped data).

Every id is re-derived (uuid5) so copies never collide; names gain words from a synthetic
vocabulary so the search index grows like a real directory's would, and points are spread
over the demo region.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NS = uuid.UUID("8a6b1f0e-3c61-4c51-9d7e-2f7c1d0b9a11")
KEEP_IDS = {"taxonomy_term", "organization"}  # shared objects keep their ids
SYLLABLES = ["ka", "lo", "mi", "ra", "to", "ne", "su", "vi", "de", "po", "li", "an", "or",
             "es", "ti", "mo", "ba", "ru", "fe", "go"]


def synthetic_words(rng: random.Random, count: int) -> list[str]:
    """Pronounceable made-up words: they grow the vocabulary without matching real queries."""
    words = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _reid(obj: Any, i: int, parent_key: str = "") -> Any:
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in KEEP_IDS:
                out[k] = v
            elif k in ("id", "service_id", "location_id") and isinstance(v, str):
                out[k] = str(uuid.uuid5(NS, f"{i}:{v}"))
            else:
                out[k] = _reid(v, i, k)
        return out
    if isinstance(obj, list):
        return [_reid(v, i, parent_key) for v in obj]
    return obj


def generate(n: int, seed: int = 7, regions: int = 0, start: int = 0,
             total: int | None = None) -> list[dict[str, Any]]:
    """n HSDS service records (with nested organization, locations, phones, schedules).

    With `start` and `total`, records start .. start + n - 1 of a directory of `total`: a
    million made (and imported) a hundred thousand at a time, with the vocabulary of the whole.

    With `regions`, service i is moved to region i % regions: a region and town name of its
    own, and its points shifted onto a grid of places 2 degrees (about 200 km) apart, as a
    national directory's regions are."""
    rng = random.Random(seed)
    templates = json.loads((ROOT / "services_data" / "demo-region.json").read_text("utf-8"))
    vocab = synthetic_words(rng, max(500, (total or n) // 20))
    if start:
        rng = random.Random(f"{seed}:{start}")
    out = []
    for i in range(start, start + n):
        rec = _reid(copy.deepcopy(templates[i % len(templates)]), i)
        extra = " ".join(rng.choice(vocab) for _ in range(2))
        rec["name"] = f"{rec['name']} {extra.title()} {i}"
        rec["description"] = f"{rec.get('description') or ''} {rng.choice(vocab)}"
        if i % 4:  # a quarter keep their translations
            rec.pop("haven_translations", None)
        for sal in rec.get("service_at_locations", []) or []:
            loc = sal.get("location") or {}
            if isinstance(loc.get("latitude"), (int, float)):
                loc["latitude"] = round(loc["latitude"] + rng.uniform(-0.3, 0.3), 6)
                loc["longitude"] = round(loc["longitude"] + rng.uniform(-0.3, 0.3), 6)
            if regions:
                _move(loc, i % regions)
        out.append(rec)
    return out


def _move(loc: dict[str, Any], k: int) -> None:
    """Put a location in region k: its own region and town names, points on a grid of
    places 2 degrees apart (20 to a row, from 25N 125W)."""
    for address in loc.get("addresses") or []:
        address["state_province"] = f"Region {k:03d}"
        address["city"] = f"Town {k:03d}"
    if isinstance(loc.get("latitude"), (int, float)):
        loc["latitude"] = round(25 + 2 * (k // 20) + (loc["latitude"] % 1) * 0.3, 6)
        loc["longitude"] = round(-125 + 2 * (k % 20) + (loc["longitude"] % 1) * 0.3, 6)
