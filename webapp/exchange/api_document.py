"""The OpenAPI document at /api/hsds/openapi.json: the official HSDS 3.0 one (shipped with
the schemas), with what Haven deliberately adds to it (see served_document)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, url_for

from webapp.exchange import hsds
from webapp.exchange.api_params import (
    ID_LIST,
    INACTIVE_FILTERS,
    MAX_MINIMAL,
    MAX_PAGE,
    MAX_PROXIMITY,
)
from webapp.search import search


def openapi() -> Response:
    """The HSDS OpenAPI document as this server answers it (see served_document)."""
    doc = hsds.openapi_document(current_app.config["HSDS_SCHEMA_DIR"])
    return jsonify(served_document(doc, url_for("exchange_api.meta", _external=True).rstrip("/")))


UPSTREAM_SCHEMAS = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
NDJSON = "application/x-ndjson"
ERROR_SCHEMA = {
    "type": "object", "required": ["error", "status"],
    "properties": {"error": {"type": "string"}, "status": {"type": "integer"},
                   "parameter": {"type": "string", "description": "The parameter refused."},
                   "detail": {"type": "string", "description": "Why, and what to send."}},
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


def served_document(doc: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The official document with what Haven deliberately adds to it: this server, its
    refusals (the official one lists only 200s; Haven answers a JSON 400 naming a parameter
    it cannot answer and a 404 for an unknown id), include_inactive, the bounds it keeps on
    the parameters it reads, format=ndjson's media type, and the service_at_location that
    /service_at_locations/{id} answers (the official document names a service there)."""
    doc["info"] = {"title": "Haven directory: HSDS read API", "version": hsds.HSDS_VERSION,
                   "description": "Open Referral HSDS 3.0 read API of this Haven directory."}
    doc["servers"] = [{"url": base_url}]
    doc["components"]["schemas"]["Error"] = ERROR_SCHEMA
    params = doc["components"]["parameters"]
    params["include_inactive"] = INCLUDE_INACTIVE
    for path in ("/services", "/service_at_locations"):
        doc["paths"][path]["get"]["parameters"].append(
            {"$ref": "#/components/parameters/include_inactive"})
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
