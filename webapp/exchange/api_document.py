"""The OpenAPI document at /api/hsds/openapi.json: the official HSDS 3.0 one (shipped with
the schemas), with what Haven deliberately adds to it (see served_document)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, url_for

from webapp.exchange import hsds
from webapp.exchange.api_params import (
    DEFAULT_VERSION,
    ID_LIST,
    INACTIVE_FILTERS,
    MAX_MINIMAL,
    MAX_PAGE,
    MAX_PROXIMITY,
    PROFILES,
    VERSIONS,
)
from webapp.search import search


def openapi() -> Response:
    """The HSDS OpenAPI document as this server answers it (see served_document)."""
    doc = hsds.openapi_document(current_app.config["HSDS_SCHEMA_DIR"])
    return jsonify(served_document(
        doc, url_for("exchange_api.meta", _external=True).rstrip("/"),
        contact(current_app.config["HAVEN_ORG_NAME"], current_app.config["HAVEN_PUBLIC_URL"])))


# Haven's HSDS API, as its document's info.version: raised when an answer changes in a way a
# client would notice (1.1: answers in HSDS 3.1 on request, no count of shelter places).
API_VERSION = "1.1.0"
TITLE = "Haven HSDS API"
# The document adapts Open Referral's, which is shared under CC BY-SA 4.0 (so is this copy);
# the directory's data is the deploying organisation's, under the terms it sets.
LICENCE = {"name": "CC BY-SA 4.0", "url": "https://creativecommons.org/licenses/by-sa/4.0/"}
DESCRIPTION = (
    "Open Referral HSDS read API of this Haven directory. Answers are HSDS 3.0 by default, "
    "or HSDS 3.1 when asked: hsds_version=3.1 on any path, or an Accept header naming the "
    "profile (application/json;profile=\"" + PROFILES["3.1"] + "\"); the Link header of an "
    "answer names the profile it follows. 3.1 answers validate against the HSDS 3.1 "
    "schemas. A shelter's space is a word (haven_space: available, limited, full, unknown), "
    "and in 3.1 a capacity: the free places its member entered, where the member publishes "
    "them and the status is fresh, else 0 places for a full shelter.\n\n"
    "This document adapts Open Referral's HSDS OpenAPI document (CC BY-SA 4.0): Haven adds "
    "its server, its refusals, the bounds it keeps, include_inactive and hsds_version. The "
    "directory's data belongs to the organisation running this Haven, which sets the terms "
    "it may be reused under.")


def contact(name: str, url: str) -> dict[str, str] | None:
    """The document's contact: the deploying organisation's name and public address, when
    configured (HAVEN_ORG_NAME, HAVEN_PUBLIC_URL)."""
    out = {"name": name.strip()} if name.strip() else {}
    if url.startswith(("https://", "http://")):
        out["url"] = url
    return out or None


UPSTREAM_SCHEMAS = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
NDJSON = "application/x-ndjson"
ERROR_SCHEMA = {
    "type": "object", "required": ["error", "status"],
    "properties": {"error": {"type": "string"}, "status": {"type": "integer"},
                   "parameter": {"type": "string", "description": "The parameter refused."},
                   "detail": {"type": "string", "description": "Why, and what to send."}},
}


HSDS_VERSION_PARAM = {
    "name": "hsds_version", "in": "query", "required": False,
    "description": ("The HSDS version of the answer (default " + DEFAULT_VERSION + "; an "
                    "Accept header naming a version's profile asks too). 3.1 answers carry "
                    "what 3.1 adds, and validate against the HSDS 3.1 schemas. Every path "
                    "takes it, /{id} ones too."),
    "schema": {"type": "string", "enum": list(VERSIONS)},
}

# Haven's addition, so a mirror learns of closures: the official lists leave them out.
INCLUDE_INACTIVE = {
    "name": "include_inactive", "in": "query", "required": False,
    "description": ("true: the list ends with the services that are no longer listed "
                    "(status inactive or defunct), with their status, so a mirror can retire "
                    "them. Only " + ", ".join(INACTIVE_FILTERS) + " narrow such a list."),
    "schema": {"type": "boolean"},
}


def _refusal(description: str) -> dict[str, Any]:
    return {"description": description, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def served_document(doc: dict[str, Any], base_url: str,
                    contact: dict[str, str] | None = None) -> dict[str, Any]:
    """The official document with what Haven deliberately adds to it: its info (title,
    version, licence, the deploying organisation as contact), this server, its refusals (the
    official one lists only 200s; Haven answers a JSON 400 naming a parameter it cannot
    answer and a 404 for an unknown id), include_inactive, hsds_version, the bounds it keeps
    on the parameters it reads, format=ndjson's media type, and the service_at_location that
    /service_at_locations/{id} answers (the official document names a service there)."""
    doc["info"] = {"title": TITLE, "version": API_VERSION,
                   "summary": "Open Referral HSDS 3.0 and 3.1 read API of this Haven directory.",
                   "description": DESCRIPTION, "license": dict(LICENCE)}
    if contact:
        doc["info"]["contact"] = dict(contact)
    doc["servers"] = [{"url": base_url}]
    doc["components"]["schemas"]["Error"] = ERROR_SCHEMA
    params = doc["components"]["parameters"]
    params["include_inactive"] = INCLUDE_INACTIVE
    params["hsds_version"] = dict(HSDS_VERSION_PARAM)
    for path in ("/services", "/service_at_locations"):
        doc["paths"][path]["get"]["parameters"].append(
            {"$ref": "#/components/parameters/include_inactive"})
    for path, item in doc["paths"].items():
        if "{id}" not in path:
            # Not listed on the /{id} operations, whose documented answers stay 200 and 404;
            # they read it all the same (the parameter's description says so).
            item["get"].setdefault("parameters", []).append(
                {"$ref": "#/components/parameters/hsds_version"})
    for param in params.values():
        param["allowEmptyValue"] = True  # an empty value is the same as none
    params["page"]["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}
    params["per_page"]["schema"] = {"type": "integer", "minimum": 1,
                                    "maximum": search.MAX_PER_PAGE}
    params["per_page"]["description"] += (f" At most {search.MAX_PER_PAGE}; with minimal=true "
                                          f"at most {MAX_MINIMAL} (default 1000).")
    params["format"]["schema"] = {"type": "string", "enum": ["json", "ndjson"]}
    params["modified_after"]["schema"] = {"type": "string", "format": "date-time"}
    params["search"]["schema"] = {"type": "string", "maxLength": search.MAX_QUERY,
                                  "not": {"pattern": "[\\x00-\\x1f]"}}
    for name in ("taxonomy_term_id", "taxonomy_id", "organization_id"):
        params[name]["schema"] = {"type": "string", "pattern": ID_LIST}
        params[name]["description"] += " Several ids may be given, separated by commas."
    params["proximity"]["schema"] = {"type": "number", "exclusiveMinimum": 0,
                                     "maximum": MAX_PROXIMITY}
    params["proximity"]["description"] += (" Needs postcode, which must be the postcode of a "
                                           "public listing (else a 400 names it).")
    for path, item in doc["paths"].items():
        operation = item["get"]
        for param in operation.get("parameters", []):
            if param.get("in") == "query":  # the two inline ones of /taxonomy_terms
                param["allowEmptyValue"] = True
        answers = operation["responses"]
        if "{id}" in path:
            answers["404"] = _refusal("No record has this id.")
        if operation.get("parameters"):
            answers["400"] = _refusal("A parameter Haven cannot answer, named in `parameter`.")
        ok = answers["200"]["content"]
        if "contents" in ok["application/json"]["schema"].get("properties", {}):
            # Every item, one JSON object a line: the sequence as an array of them.
            ok[NDJSON] = {"schema": {
                "type": "array",
                "items": ok["application/json"]["schema"]["properties"]["contents"]["items"]}}
    sal = doc["paths"]["/service_at_locations/{id}"]["get"]["responses"]["200"]
    sal["content"]["application/json"]["schema"] = {
        "$ref": UPSTREAM_SCHEMAS + "compiled/service_at_location.json"}
    return doc


def attach(bp: Blueprint) -> None:
    """Add these operations to the API's blueprint (api.py owns it and calls this)."""
    for rule, view in (
        ("/openapi.json", openapi),
    ):
        bp.add_url_rule(rule, view_func=view)
