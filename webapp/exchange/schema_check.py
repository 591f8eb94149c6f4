"""The HSDS schemas compiled once into plain Python checks, for bulk imports.

jsonschema walks a schema afresh for every record and builds an error object per keyword;
that was half of an import's time. The HSDS 3.0 schemas use only a handful of keywords
(type, properties, required, items, enum, format, $ref), so each schema file compiles to one
generated Python function (straight-line code, no per-keyword calls) that answers one
question: is this record certainly valid?

It is a fast path, never the judge: a record it does not pass goes to jsonschema, which names
every error (hsds.schema_errors). So a check here may be stricter than jsonschema (costing a
slower path), never laxer; tests/test_schema_check.py holds the two together on mutated
records. A schema keyword it does not know stops the compile, and the caller keeps using
jsonschema alone.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from webapp.models.directory import is_uuid

Check = Callable[[Any], bool]

# Keywords that describe a field (Frictionless data package and HSDS metadata) and assert
# nothing in JSON Schema 2020-12.
ANNOTATIONS = frozenset({"name", "title", "description", "constraints", "example", "core",
                         "path", "datapackage_metadata", "datapackage_type", "tabular_required",
                         "$schema", "$id", "$comment", "default", "examples"})


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


def _is_integer(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or (isinstance(v, float) and v.is_integer())


TYPES = {  # the Draft 2020-12 type checker for JSON-decoded values, as Python expressions
    "string": "isinstance({v}, str)",
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
    "integer": "_is_integer({v})",
    "number": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
}
KNOWN = ANNOTATIONS | {"type", "properties", "required", "items", "enum", "format", "$ref"}


class Compiler:
    """Writes one Python function per schema file; $ref calls another file's function."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas
        self.lines: list[str] = []
        self.done: set[str] = set()
        self.consts: dict[str, Any] = {}
        # jsonschema's format checks (uri, email, date...), loaded when a check is compiled:
        # a worker that never validates a record never loads jsonschema (hsds._registry).
        from jsonschema import Draft202012Validator

        self.formats = Draft202012Validator.FORMAT_CHECKER
        self.n = 0

    def file(self, name: str) -> str:
        """The function name checking one file's root schema (by stem, e.g. 'service')."""
        fn = "check_" + re.sub(r"\W", "_", name)
        if name not in self.done:
            if name not in self.schemas:
                raise Unsupported(f"$ref to an unknown schema: {name}")
            self.done.add(name)
            body: list[str] = []
            self.node(self.schemas[name], "v", 1, body)
            self.lines += [f"def {fn}(v):", *body, "    return True", ""]
        return fn

    def _var(self) -> str:
        self.n += 1
        return f"v{self.n}"

    def node(self, schema: Any, v: str, depth: int, out: list[str]) -> None:
        pad = "    " * depth
        if schema is True:
            return
        if not isinstance(schema, dict):
            raise Unsupported(f"schema is not an object: {schema!r}")
        unknown = set(schema) - KNOWN
        if unknown:
            raise Unsupported(f"keywords {sorted(unknown)}")
        if "$ref" in schema:
            ref = schema["$ref"]
            if not isinstance(ref, str) or "#" in ref or not ref.endswith(".json"):
                raise Unsupported(f"$ref {ref!r}")
            out.append(f"{pad}if not {self.file(ref[:-len('.json')])}({v}): return False")
        if "type" in schema:
            names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            test = " or ".join(TYPES[n].format(v=v) for n in names)
            out.append(f"{pad}if not ({test}): return False")
        if "enum" in schema:
            if not all(isinstance(x, str) for x in schema["enum"]):
                raise Unsupported("enum of non-strings")
            const = f"ENUM{len(self.consts)}"
            self.consts[const] = frozenset(schema["enum"])
            out.append(f"{pad}if not (isinstance({v}, str) and {v} in {const}): return False")
        fmt = schema.get("format")
        if fmt in self.formats.checkers:
            # The common uuid spelling, matched without parsing; anything else asks
            # jsonschema's checker.
            quick = f"_UUID({v}) or " if fmt == "uuid" else ""
            out.append(f"{pad}if isinstance({v}, str) and not ({quick}_conforms({v}, {fmt!r})):"
                       " return False")
        if "required" in schema or "properties" in schema:
            inner: list[str] = []
            for key in schema.get("required", ()):
                inner.append(f"{pad}    if {key!r} not in {v}: return False")
            for key, sub in schema.get("properties", {}).items():
                item = self._var()
                body: list[str] = []
                self.node(sub, item, depth + 2, body)
                if body:
                    inner += [f"{pad}    {item} = {v}.get({key!r}, _MISSING)",
                              f"{pad}    if {item} is not _MISSING:", *body]
            if inner:
                out += [f"{pad}if isinstance({v}, dict):", *inner]
        if "items" in schema:
            item = self._var()
            body = []
            self.node(schema["items"], item, depth + 2, body)
            if body:
                out += [f"{pad}if isinstance({v}, list):", f"{pad}    for {item} in {v}:",
                        *body]

    def build(self, name: str) -> Check:
        fn = self.file(name)
        scope: dict[str, Any] = {"_is_integer": _is_integer, "_UUID": is_uuid,
                                 "_conforms": self.formats.conforms, "_MISSING": object(),
                                 **self.consts}
        exec(compile("\n".join(self.lines), "<hsds-schema-check>", "exec"), scope)  # noqa: S102
        check: Check = scope[fn]
        return check


@functools.cache
def compiled(schema_dir: str, name: str) -> Check | None:
    """The fast check for one schema, or None when the folder uses a keyword not compiled."""
    schemas: dict[str, Any] = {}
    for path in sorted(Path(schema_dir).glob("*.json")):
        if path.name != "openapi.json":
            with path.open(encoding="utf-8") as fh:
                schemas[path.stem] = json.load(fh)
    try:
        return Compiler(schemas).build(name)
    except Unsupported:
        return None
