"""HSDS kept whole: what a record says that Haven does not model, kept verbatim with it (the
hsds_extra column, a JSON object) and served again where it came from; and the notes of an
import that could not keep something as given, each naming its field path.

Inside a record's extras, an object with the key "$haven" stands for something Haven models,
so that a value an editor changes later is never served stale from a copy:
- {"$haven": "location", "id": …}   an organisation's location, served from its row
- {"$haven": "address", …}          the address held in the location's columns, with the
                                    address properties no column holds (attention, region)
- {"$haven": "attribute", "term": …} a service's attribute of a term it is linked to
- {"$haven": "taxonomy", "id": …}   a term's taxonomy_detail, served from the taxonomy row
"$given" maps a field Haven stores normalised to its spelling as given ("Voice" for voice),
served only while it still means the stored value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from webapp.models.directory import is_uuid

REF = "$haven"
GIVEN = "$given"
_FREE_WORDS = re.compile(r"\b(free|gratis|gratuit|gratuito|no cost)\b", re.IGNORECASE)
# Properties that place a location; a confidential one never keeps them as extras.
LOCATING = frozenset({"addresses", "physical_address", "postal_address", "address",
                      "transportation", "external_identifier", "external_identifier_type",
                      "latitude", "longitude"})
STREET_MIN = 4  # shorter street text matches too much ordinary text to mean the address
WITHHELD = "[withheld]"  # in place of a confidential street repeated in some text


def dumps(extra: dict[str, Any] | None) -> str | None:
    """Extras as stored: compact JSON, or None when there are none."""
    if not extra:
        return None
    return json.dumps(extra, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | None) -> dict[str, Any]:
    """Stored extras as an object ({} when none)."""
    if not text:
        return {}
    found = json.loads(text)
    return found if isinstance(found, dict) else {}


def key(path: str, name: str) -> str:
    """The path of a property: services[0].name."""
    return f"{path}.{name}" if path else name


def index(path: str, i: int) -> str:
    """The path of a list item: phones[0]."""
    return f"{path}[{i}]"


def shown(value: Any) -> str:
    """A value in a note: as JSON, cut short."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


class Notes:
    """What one record's import could not keep as given (changes: --strict refuses them)
    and what it kept but will not use (notices)."""

    def __init__(self) -> None:
        self.changes: list[str] = []
        self.notices: list[str] = []

    def changed(self, path: str, given: Any, kept: Any) -> None:
        """A value stored differently from how it was given."""
        self.changes.append(f"{path or '(record)'}: changed {shown(given)} → {shown(kept)}")

    def dropped(self, path: str, why: str) -> None:
        """A value not kept at all (never echoed: it may be what must not be kept)."""
        self.changes.append(f"{path or '(record)'}: not kept: {why}")

    def withheld(self, path: str) -> None:
        """Text that repeated a confidential location's street, kept without it."""
        self.changes.append(f"{path or '(record)'}: changed: a confidential location's street "
                            f"address taken out of it ({WITHHELD})")

    def notice(self, path: str, text: str) -> None:
        """Kept as given, but not used the way the reader might expect."""
        self.notices.append(f"{path}: {text}")


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf of a JSON value by its path (a.b[0].c); an empty list or object is one."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(leaves(v, key(path, k)))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, v in enumerate(value):
            out.update(leaves(v, index(path, i)))
        return out
    return {path: value}


def lower_ids(value: Any, path: str, notes: Notes | None) -> Any:
    """value with every uuid under an `id` or `…_id` key in lower case, as Haven keeps ids
    (PostgreSQL's uuid type answers so), each change noted; value itself when none changes
    (an import calls this for every object: most have nothing to change)."""
    if isinstance(value, dict):
        out: dict[str, Any] | None = None
        for k, v in value.items():
            if isinstance(v, str):
                if (k == "id" or k.endswith("_id")) and v != v.lower() and is_uuid(v):
                    if notes is not None:
                        notes.changed(key(path, k), v, v.lower())
                    new: Any = v.lower()
                else:
                    continue
            elif isinstance(v, dict | list):
                new = lower_ids(v, key(path, k), notes)
                if new is v:
                    continue
            else:
                continue
            if out is None:
                out = dict(value)
            out[k] = new
        return value if out is None else out
    if isinstance(value, list):
        items = [lower_ids(v, index(path, i), notes) if isinstance(v, dict | list) else v
                 for i, v in enumerate(value)]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def split(obj: dict[str, Any], modeled: frozenset[str], path: str,
          notes: Notes | None) -> dict[str, Any]:
    """The properties of obj that Haven does not model, ids in lower case."""
    if obj.keys() <= modeled:
        return {}  # most objects: nothing to copy or walk
    found: dict[str, Any] = lower_ids({k: v for k, v in obj.items() if k not in modeled}, path,
                                      notes)
    return found


def without_streets(value: Any, streets: frozenset[str] | set[str], path: str = "",
                    withheld: Callable[[str], None] | None = None) -> Any:
    """value with every (case-folded) street address of these taken out of its text: a
    confidential location's street never leaves the database, whatever field repeats it.
    The text around it stays, so every object keeps the properties its schema requires."""
    if not streets:
        return value
    if isinstance(value, str):
        folded = value.casefold()
        if not any(s in folded for s in streets):
            return value
        if withheld is not None:
            withheld(path)
        for street in sorted(streets, key=len, reverse=True):
            value = re.sub(re.escape(street), WITHHELD, value, flags=re.IGNORECASE)
        folded = value.casefold()
        return WITHHELD if any(s in folded for s in streets) else value
    if isinstance(value, dict):
        return {k: without_streets(v, streets, key(path, k), withheld) for k, v in value.items()}
    if isinstance(value, list):
        return [without_streets(v, streets, index(path, i), withheld)
                for i, v in enumerate(value)]
    return value


def scrubbed(extra: dict[str, Any], streets: set[str], path: str,
             notes: Notes) -> dict[str, Any]:
    """extra with the text that repeats a confidential street withheld, each one noted."""
    if not streets:
        return extra
    kept: dict[str, Any] = without_streets(extra, streets, path, notes.withheld)
    return kept


def confidential_streets(record: Any) -> set[str]:
    """The (case-folded) street addresses of every confidential location in an HSDS record
    (where HSDS nests locations: service_at_locations, an organisation's list, a
    service_at_location's own, and in the services and organisation a record holds)."""
    found: set[str] = set()
    for place in _places(record):
        if place.get("confidential") is True:
            for addr in place.get("addresses") or []:
                if isinstance(addr, dict):
                    street = str(addr.get("address_1") or "").strip().casefold()
                    if len(street) >= STREET_MIN:
                        found.add(street)
    return found


def _places(record: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(record, dict):
        return
    place = record.get("location")
    if isinstance(place, dict):
        yield place
    for name in ("locations", "service_at_locations", "services"):
        for item in record.get(name) or []:
            if isinstance(item, dict):
                if name == "locations":
                    yield item
                else:
                    yield from _places(item)
    for name in ("organization", "service"):
        yield from _places(record.get(name))


def is_free(costs: Any, fees_description: Any) -> bool:
    """Whether the cost options or the fees text say the service is free."""
    options = costs if isinstance(costs, list) else []
    return any(isinstance(c, dict) and (c.get("amount") == 0
                                        or _FREE_WORDS.search(str(c.get("option") or "")))
               for c in options) or bool(_FREE_WORDS.search(str(fees_description or "")))


def merge(out: dict[str, Any], extra: dict[str, Any],
          norms: dict[str, Callable[[Any], Any]] | None = None) -> dict[str, Any]:
    """out with the extras' properties added (placeholders already rendered by the caller),
    and each given spelling that still means the stored value."""
    for k, v in extra.items():
        if k != GIVEN:
            out[k] = v
    given = extra.get(GIVEN)
    if isinstance(given, dict) and norms:
        for k, v in given.items():
            norm = norms.get(k)
            if norm is not None and k in out and _same(norm, v, out[k]):
                out[k] = v
    return out


def _same(norm: Callable[[Any], Any], given: Any, stored: Any) -> bool:
    try:
        return bool(norm(given) == stored)
    except (TypeError, ValueError):
        return False
