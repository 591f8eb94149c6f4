"""Schemathesis against the HSDS read API: every operation of the OpenAPI document Haven
serves at /api/hsds/openapi.json, called in-process (WSGI) on a seeded database with its
explicit, boundary (coverage) and Hypothesis-generated cases, valid and invalid, must answer
without a server error and as documented: status code, media type and body, a documented 4xx
for what the document says is invalid, and a 2xx for what it says is valid."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import settings
from schemathesis.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from tests.conftest import BACKEND, Templates, make_app
from tests.reference import HSDS_SCHEMAS
from webapp.exchange import hsds
from webapp.exchange.api_document import served_document
from webapp.exchange.api_params import MAX_MINIMAL
from webapp.search.search import MAX_PER_PAGE

# Enough random cases per operation (11 operations, besides the boundary cases) to meet each
# parameter's odd values, few enough that the file stays near a minute on a busy 2-core CI
# machine. HAVEN_API_FUZZ_EXAMPLES raises it for a longer local hunt.
EXAMPLES = int(os.environ.get("HAVEN_API_FUZZ_EXAMPLES", "100"))
settings.register_profile("haven-api-fuzz", parent=settings.get_profile("haven"),
                          max_examples=EXAMPLES)

# The official document points at the HSDS schemas on GitHub; the fuzzer reads the copies
# Haven validates its own data with (no network in tests). A compiled schema is its plain
# schema with the references inlined, and a *_list one is the plain schema too (stricter:
# it also checks the nested arrays a full listing carries).
UPSTREAM = re.compile(r"^https://raw\.githubusercontent\.com/openreferral/specification/3\.0/"
                      r"schema/(?:compiled/)?(\w+?)(?:_list)?\.json$")
SCHEMA_DIR = Path(os.environ.get("HSDS_SCHEMA_DIR") or HSDS_SCHEMAS)
BASE = "http://localhost/api/hsds"  # what the test client's requests are served as
# Built here, not from a running app, so pytest can list the operations without a database;
# test_the_fuzzed_document_is_the_served_one holds it to what the app serves.
DOCUMENT = served_document(hsds.openapi_document(str(SCHEMA_DIR)), BASE)
# Schemathesis' in-process client asks for gzip, like a browser, but does not unpack it.
PLAIN = {"Accept-Encoding": "identity"}


def offline(node: Any) -> Any:
    """The document with every upstream schema reference pointed at the local copy."""
    if isinstance(node, dict):
        out = {k: offline(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and (m := UPSTREAM.match(ref)):
            local = SCHEMA_DIR / f"{m.group(1)}.json"
            assert local.is_file(), ref
            out["$ref"] = local.as_uri()
        return out
    if isinstance(node, list):
        return [offline(v) for v in node]
    return node


schema = schemathesis.openapi.from_dict(offline(DOCUMENT))


@schemathesis.deserializer("application/x-ndjson")
def ndjson_lines(ctx: schemathesis.DeserializationContext, response: schemathesis.Response) -> Any:
    """format=ndjson: one JSON object a line, validated as the array the document names."""
    return [json.loads(line) for line in response.content.decode("utf-8").splitlines()]


def _yes(value: Any) -> bool:
    return str(value).lower() in ("true", "1", "yes", "on")


def accepted_unless_paired(ctx: Any, response: schemathesis.Response,
                           case: schemathesis.Case) -> bool | None:
    """positive_data_acceptance, but for the pairings a parameter's schema cannot state:
    proximity is measured from the centre of postcode, a postcode a public listing has; and
    include_inactive lists closed services for a mirror, so it is refused with a search (a
    closed service is never a search result)."""
    query = case.query or {}
    if (response.status_code == 400 and query.get("search") not in (None, "")
            and response.json().get("parameter") == "include_inactive"):
        return None
    if (case.path == "/service_at_locations" and response.status_code == 400
            and query.get("proximity") not in (None, "")):
        named = response.json().get("parameter")
        if named == ("postcode" if query.get("postcode") not in (None, "") else "proximity"):
            return None
    return positive_data_acceptance(ctx, response, case)


def rejected_unless_minimal(ctx: Any, response: schemathesis.Response,
                            case: schemathesis.Case) -> bool | None:
    """negative_data_rejection, but with minimal=true a per_page up to MAX_MINIMAL is valid
    (the document says so in words; a parameter's schema cannot depend on another)."""
    query = case.query or {}
    if any(isinstance(v, dict) or (isinstance(v, list) and any(isinstance(i, (dict, list))
                                                                for i in v))
           for v in query.values()):
        # The in-process client sends an object as its Python repr: a plain string the
        # document admits, so the request sent was not the invalid one generated.
        return None
    if case.path == "/services" and _yes(query.get("minimal")):
        try:
            if MAX_PER_PAGE < int(str(query.get("per_page"))) <= MAX_MINIMAL:
                return None
        except (TypeError, ValueError):
            pass
    return negative_data_rejection(ctx, response, case)


@pytest.fixture(scope="module")
def fuzz_app(templates: Templates, request: pytest.FixtureRequest) -> Flask:
    """One seeded app for the whole file: the API only reads."""
    return make_app(BACKEND, templates, request)


def test_the_fuzzed_document_is_the_served_one(fuzz_app: Flask) -> None:
    """What the fuzzer reads is what /api/hsds/openapi.json serves, and every upstream
    schema it names has a local copy."""
    assert fuzz_app.config["HSDS_SCHEMA_DIR"] == str(SCHEMA_DIR)
    served = fuzz_app.test_client().get("/api/hsds/openapi.json", headers=PLAIN)
    assert served.status_code == 200
    assert served.json == json.loads(json.dumps(DOCUMENT))
    assert "raw.githubusercontent.com" not in json.dumps(offline(DOCUMENT))


@schema.parametrize()
@settings(settings.get_profile("haven-api-fuzz"))
def test_every_operation_answers_as_documented(case: schemathesis.Case,
                                              fuzz_app: Flask) -> None:
    """No 5xx, and status, media type and body as the document says, for every case."""
    case.call_and_validate(
        app=fuzz_app, headers=PLAIN,
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
        additional_checks=[accepted_unless_paired, rejected_unless_minimal])
