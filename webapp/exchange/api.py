"""The HSDS read API at /api/hsds/, as the official OpenAPI document lists it: services,
organizations, service_at_locations, taxonomies and taxonomy terms, each a page of results
(or every result as ndjson with format=ndjson), and the OpenAPI document itself. Answers are
HSDS 3.0, or 3.1 when the client asks (api_params.hsds_version).

Organizations, service_at_locations and taxonomies are in api_records.py, the document in
api_document.py.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    request,
    url_for,
)
from sqlalchemy import func, select

from webapp.directory.queries import load_services as _load
from webapp.directory.queries import service_or_404
from webapp.exchange import api_document, api_records, hsds, terms
from webapp.exchange.api_params import (
    MAX_MINIMAL,
    PROFILES,
    VERSIONS,
    as_served,
    hsds_version,
    id_list,
    inactive_ids,
    include_inactive,
    listing,
    page_size,
    query_args,
    search_text,
    words_match,
)
from webapp.extensions import db
from webapp.models import (
    Service,
    TaxonomyTerm,
)
from webapp.search import search
from webapp.space import services as space

bp = Blueprint("exchange_api", __name__, url_prefix="/api/hsds")


@bp.errorhandler(search.BadQuery)
def bad_query(exc: search.BadQuery) -> tuple[Response, int]:
    """Name the parameter and why, as JSON (the API's words: search, not the pages' q)."""
    param = "search" if exc.param == "q" and "q" not in request.args else exc.param
    return jsonify({"error": "Bad Request", "status": 400, "parameter": param,
                    "detail": exc.message}), 400


@bp.before_request
def negotiate() -> None:
    """The HSDS version of this answer, read once (a bad hsds_version is a 400 on every path)."""
    g.hsds_version = hsds_version()


@bp.after_request
def api_headers(response: Response) -> Response:
    """The API is public data; let shared caches keep it briefly, apart for each Accept
    header (it may ask for another version), and say which version's profile answered."""
    response.headers.setdefault("Cache-Control", "public, max-age=300")
    response.vary.add("Accept")
    version = g.get("hsds_version")
    if version and response.status_code < 400 and request.endpoint != "exchange_api.openapi":
        response.headers["Link"] = f'<{PROFILES[version]}>; rel="profile"'
    return response


@bp.route("/")
def meta() -> Response:
    """What this API is: the HSDS version of this answer, and every version it speaks."""
    return jsonify({
        "version": g.hsds_version,
        "versions": list(VERSIONS),
        "profile": PROFILES[g.hsds_version],
        "openapi_url": url_for("exchange_api.openapi", _external=True),
    })


@bp.route("/services")
def services() -> Response:
    """A page of services: search, page, per_page, taxonomy_term_id, taxonomy_id,
    organization_id, modified_after, full, minimal (id and modification time only),
    include_inactive (closed services last, with their status)."""
    minimal = search.flag(request.args, "minimal")
    search_text()
    args = query_args()
    if minimal:
        args.pop("per_page", None)
    params = search.parse(args)
    full = search.flag(request.args, "full")
    page, per_page = (page_size(1000, MAX_MINIMAL) if minimal
                      else (params.page, params.per_page))
    ids = search.ranked_ids(params, home_country=current_app.config["HAVEN_COUNTRY"])
    if include_inactive(request.args, params):
        ids += inactive_ids(params)

    def items(offset: int, limit: int) -> list[dict[str, Any]]:
        chunk = ids[offset:offset + limit]
        if minimal:
            # name and status too: the document's service_list items require them.
            rows = {r.id: r for r in db.session.execute(
                select(Service.id, Service.name, Service.status, Service.last_modified)
                .where(Service.id.in_(chunk)))}
            return [{"id": sid, "name": rows[sid].name, "status": rows[sid].status,
                     "last_modified": hsds.stamp(rows[sid].last_modified),
                     "modified_date": hsds.stamp(rows[sid].last_modified)}
                    for sid in chunk if sid in rows]
        loaded = _load(chunk)
        views = space.views([s.id for s in loaded])
        return as_served([hsds.service_json(s, full=full, space=_json(views.get(s.id)))
                          for s in loaded], g.hsds_version, views)

    return listing(len(ids), items, page, per_page)


@bp.route("/services/<service_id>")
def service(service_id: str) -> Response:
    """One service, fully nested."""
    found = service_or_404(service_id)
    views = space.views([found.id])
    return jsonify(as_served([hsds.service_json(found, space=_json(views.get(found.id)))],
                             g.hsds_version, views)[0])


def _json(seen: space.SpaceView | None) -> dict[str, Any] | None:
    """The haven_space extension of a service, as of now (stale: unknown)."""
    return None if seen is None else seen.as_json()


@bp.route("/taxonomy_terms")
def taxonomy_terms() -> Response:
    """A page of taxonomy terms (Haven's two taxonomies and any imported ones): taxonomy_id,
    search (code, name, description), parent_id (the terms under that one) and top_only
    (terms with no parent; Haven's own terms are flat, so all of them)."""
    page, per_page = page_size(50)
    q = select(TaxonomyTerm).where(*words_match(
        [TaxonomyTerm.code, TaxonomyTerm.name, TaxonomyTerm.description], search_text()))
    taxes = id_list("taxonomy_id")
    if taxes:
        q = q.where(TaxonomyTerm.taxonomy_id.in_(taxes))
    q = terms.hierarchy(q, request.args)
    total = db.session.scalar(select(func.count()).select_from(q.subquery())) or 0

    def items(offset: int, limit: int) -> list[dict[str, Any]]:
        return [hsds.term_json(t) for t in db.session.scalars(
            q.order_by(TaxonomyTerm.taxonomy_name, TaxonomyTerm.code, TaxonomyTerm.id)
            .limit(limit).offset(offset))]

    return listing(total, items, page, per_page)


@bp.route("/taxonomy_terms/<term_id>")
def taxonomy_term(term_id: str) -> Response:
    """One taxonomy term."""
    return jsonify(hsds.term_json(db.get_or_404(TaxonomyTerm, term_id[:64])))


# The other operations, defined in their own modules and added here, where the blueprint is.
api_records.attach(bp)
api_document.attach(bp)
