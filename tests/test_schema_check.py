"""The compiled HSDS check (schema_check.py) never passes a record jsonschema rejects.

Imports trust a record the compiled check passes without asking jsonschema, so the check
must never be laxer. Every shipped service and thousands of mutations of them (wrong types,
missing fields, odd uuids, bad enum values, nested damage) go through both.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reference import HSDS_SCHEMAS
from webapp.exchange import hsds, schema_check

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = str(HSDS_SCHEMAS)
SAMPLE = str(uuid.UUID(int=12345))
REPLACEMENTS: list[Any] = [
    None, 0, 1, 1.0, 1.5, True, False, "", "x", [], {}, [1], {"id": 1}, "not-a-uuid",
    SAMPLE.upper(), "{" + SAMPLE + "}", "urn:uuid:" + SAMPLE, SAMPLE.replace("-", ""),
    SAMPLE[:-1] + "g", "someone@example.org", "no-at-sign", "https://example.org",
    "2026-11-23T10:00:00Z", "active", "inactive", "defunct", "voice", "telepathy",
]


def services() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads((ROOT / "services_data" / "demo-region.json")
                                             .read_text("utf-8"))
    return found


def paths(obj: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key or index path inside obj."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield (*at, k)
            yield from paths(v, (*at, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield (*at, i)
            yield from paths(v, (*at, i))


def mutated(rec: dict[str, Any], path: tuple[Any, ...], how: Any) -> dict[str, Any]:
    out = copy.deepcopy(rec)
    parent: Any = out
    for step in path[:-1]:
        parent = parent[step]
    if how == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = how
    return out


def jsonschema_errors(record: Any) -> list[Any]:
    return list(hsds.validator(SCHEMAS, "service").iter_errors(record))


def test_every_shipped_service_passes_the_fast_path() -> None:
    check = schema_check.compiled(SCHEMAS, "service")
    assert check is not None, "the HSDS schemas use a keyword the compiler does not know"
    for rec in services():
        assert jsonschema_errors(rec) == []
        assert check(rec), rec["id"]


def test_the_fast_path_is_never_laxer_than_jsonschema() -> None:
    check = schema_check.compiled(SCHEMAS, "service")
    assert check is not None
    rng = random.Random(9)
    cases = [(rec, path, how) for rec in services() for path in paths(rec)
             for how in [*REPLACEMENTS, "delete"]]
    rejected = agreed = 0
    for rec, path, how in rng.sample(cases, 3000):
        bad = mutated(rec, path, how)
        errors = jsonschema_errors(bad)
        if check(bad):
            assert errors == [], (path, how, [e.message for e in errors])
            agreed += 1
        else:
            rejected += 1
            assert errors, (path, how)  # not stricter either: the fast path is rarely missed
    assert rejected > 300 and agreed > 300  # both outcomes were exercised


def test_schema_errors_still_names_every_problem() -> None:
    rec = mutated(services()[0], ("phones", 0, "number"), 5)
    rec = mutated(rec, ("id",), "not-a-uuid")
    problems = hsds.schema_errors(SCHEMAS, "service", rec)
    assert any("'id'" in p for p in problems) and any("phones/0/number" in p for p in problems)


@pytest.mark.parametrize("schema", [{"type": "integer", "minimum": 0},
                                    {"$ref": "#/$defs/x"}, {"enum": [1, 2]}])
def test_a_keyword_it_does_not_know_stops_the_compile(schema: dict[str, Any]) -> None:
    with pytest.raises(schema_check.Unsupported):
        schema_check.Compiler({"root": schema}).build("root")
