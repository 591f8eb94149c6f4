"""The HSDS 3.0 read API: /api/hsds/ (services, taxonomy terms, the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from sqlalchemy import func, select

from webapp.directory.queries import load_services as _load
from webapp.directory.queries import service_or_404
from webapp.exchange import hsds
from webapp.extensions import db
from webapp.models import TaxonomyTerm
from webapp.search import search

bp = Blueprint("hsds_api", __name__, url_prefix="/api/hsds")


@bp.errorhandler(search.BadQuery)
def bad_query(exc: search.BadQuery) -> tuple[Response, int]:
    """Name the parameter and why, as JSON."""
    return jsonify({"error": "Bad Request", "status": 400, "parameter": exc.param,
                    "detail": exc.message}), 400


@bp.after_request
def api_headers(response: Response) -> Response:
    """The API is public data; let shared caches keep it briefly."""
    response.headers.setdefault("Cache-Control", "public, max-age=300")
    return response


def page_object(contents: list[Any], total: int, page: int, per_page: int) -> dict[str, Any]:
    """The HSDS Page object around one page of contents."""
    pages = max(1, -(-total // per_page))
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": total == 0,
        "contents": contents,
    }


@bp.route("/")
def meta() -> Response:
    """What this API is."""
    return jsonify({
        "version": hsds.HSDS_VERSION,
        "profile": "https://docs.openreferral.org/en/3.0/",
        "openapi_url": url_for("hsds_api.openapi", _external=True),
    })


@bp.route("/openapi.json")
def openapi() -> Response:
    """The HSDS OpenAPI document, pointed at this server."""
    doc = hsds.openapi_document(current_app.config["HSDS_SCHEMA_DIR"])
    doc["servers"] = [{"url": url_for("hsds_api.meta", _external=True).rstrip("/")}]
    return jsonify(doc)


@bp.route("/services")
def services() -> Response:
    """A page of services: search, page, per_page, taxonomy_term_id, modified_after, full."""
    params = search.parse(request.args)
    full = (request.args.get("full") or "").lower() in ("1", "true")
    result = search.search(params, home_country=current_app.config["HAVEN_COUNTRY"])
    contents = [hsds.service_json(s, full=full) for s in _load(result.ids)]
    return jsonify(page_object(contents, result.total, params.page, params.per_page))


@bp.route("/services/<service_id>")
def service(service_id: str) -> Response:
    """One service, fully nested."""
    return jsonify(hsds.service_json(service_or_404(service_id)))


@bp.route("/taxonomy_terms")
def taxonomy_terms() -> Response:
    """A page of taxonomy terms (Haven's two taxonomies and any imported ones)."""
    page = search.int_param(request.args, "page", 1, 1, 100000)
    per_page = search.int_param(request.args, "per_page", 50, 1, search.MAX_PER_PAGE)
    q = select(TaxonomyTerm)
    tax = (request.args.get("taxonomy_id") or "").strip()
    if tax:
        q = q.where(TaxonomyTerm.taxonomy_id == tax)
    total = db.session.scalar(select(func.count()).select_from(q.subquery())) or 0
    terms = db.session.scalars(
        q.order_by(TaxonomyTerm.taxonomy_name, TaxonomyTerm.code)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return jsonify(page_object([hsds.term_json(t) for t in terms], total, page, per_page))


@bp.route("/taxonomy_terms/<term_id>")
def taxonomy_term(term_id: str) -> Response:
    """One taxonomy term."""
    term = db.session.get(TaxonomyTerm, term_id[:64])
    if term is None:
        abort(404)
    return jsonify(hsds.term_json(term))
