"""The HSDS 3.0 read API at /api/hsds/, as the official OpenAPI document lists it: services,
organizations, service_at_locations, taxonomies and taxonomy terms, each a page of results
(or every result as ndjson with format=ndjson), and the OpenAPI document itself.

Organizations, service_at_locations and taxonomies are in api_records.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy import false, func, or_, select

from webapp.directory.queries import load_services as _load
from webapp.directory.queries import service_or_404
from webapp.exchange import hsds
from webapp.extensions import db
from webapp.models import (
    Service,
    TaxonomyTerm,
)
from webapp.search import search

VISIBLE = search.VISIBLE_STATUSES
STREAM_CHUNK = 500
MAX_MINIMAL = 10000  # minimal lists aim to fit every service in one call

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


def _format() -> str:
    value = (request.args.get("format") or "json").strip().lower()
    if value not in ("json", "ndjson"):
        raise search.BadQuery("format", "use json or ndjson")
    return value


def listing(total: int, items: Callable[[int, int], list[dict[str, Any]]], page: int,
            per_page: int) -> Response:
    """One page as an HSDS Page object, or with format=ndjson every item, one per line,
    read STREAM_CHUNK at a time."""
    if _format() == "ndjson":
        def lines() -> Iterator[str]:
            for offset in range(0, total, STREAM_CHUNK):
                for item in items(offset, STREAM_CHUNK):
                    yield json.dumps(item, ensure_ascii=False) + "\n"
        return Response(stream_with_context(lines()), mimetype="application/x-ndjson")
    return jsonify(page_object(items((page - 1) * per_page, per_page), total, page, per_page))


def page_size(default: int = 20, most: int = search.MAX_PER_PAGE) -> tuple[int, int]:
    return (search.int_param(request.args, "page", 1, 1, 100000),
            search.int_param(request.args, "per_page", default, 1, most))


def words_match(columns: list[Any], q: str) -> list[Any]:
    """Every word of q in one of the columns, ignoring case (accents must match: the columns
    are compared as stored, so the words are not folded either)."""
    return [or_(*(func.lower(c).contains(word) for c in columns))
            for word in q.lower().split()[:10]]


@bp.route("/services")
def services() -> Response:
    """A page of services: search, page, per_page, taxonomy_term_id, taxonomy_id,
    organization_id, modified_after, full, minimal (id and modification time only)."""
    minimal = search.flag(request.args, "minimal")
    args = request.args.copy()
    if minimal:
        args.pop("per_page", None)
    params = search.parse(args)
    full = search.flag(request.args, "full")
    page, per_page = (page_size(1000, MAX_MINIMAL) if minimal
                      else (params.page, params.per_page))
    ids = search.ranked_ids(params, home_country=current_app.config["HAVEN_COUNTRY"])

    def items(offset: int, limit: int) -> list[dict[str, Any]]:
        chunk = ids[offset:offset + limit]
        if minimal:
            when = dict(db.session.execute(select(Service.id, Service.last_modified)
                                           .where(Service.id.in_(chunk))).all())
            return [{"id": sid, "last_modified": hsds.stamp(when[sid]),
                     "modified_date": hsds.stamp(when[sid])} for sid in chunk if sid in when]
        loaded = _load(chunk)
        spaces = _spaces([s.id for s in loaded])
        return [hsds.service_json(s, full=full, space=spaces.get(s.id)) for s in loaded]

    return listing(len(ids), items, page, per_page)


@bp.route("/services/<service_id>")
def service(service_id: str) -> Response:
    """One service, fully nested."""
    found = service_or_404(service_id)
    return jsonify(hsds.service_json(found, space=_spaces([found.id]).get(found.id)))


def _spaces(ids: list[str]) -> dict[str, dict[str, Any]]:
    """The haven_space extension of these services, as of now (stale: unknown)."""
    from webapp.space import services as space

    return {sid: seen.as_json() for sid, seen in space.views(ids).items()}


@bp.route("/taxonomy_terms")
def taxonomy_terms() -> Response:
    """A page of taxonomy terms (Haven's two taxonomies and any imported ones): taxonomy_id,
    search (code, name, description). Haven's terms are flat, so top_only changes nothing."""
    page, per_page = page_size(50)
    q = select(TaxonomyTerm).where(*words_match(
        [TaxonomyTerm.code, TaxonomyTerm.name, TaxonomyTerm.description],
        request.args.get("search") or ""))
    tax = (request.args.get("taxonomy_id") or "").strip()
    if tax:
        q = q.where(TaxonomyTerm.taxonomy_id == tax)
    if (request.args.get("parent_id") or "").strip():
        q = q.where(false())  # no term has a parent
    search.flag(request.args, "top_only")  # checked: a bad value is a 400
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


from webapp.exchange import api_records  # noqa: E402, F401 - registers the other routes on bp
