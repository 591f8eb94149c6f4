"""The HSDS read API's organizations, service_at_locations and taxonomies (see api.py).

Confidential places stay coarse (hsds.location_json), and a confidential place's postcode is
never matched: a postcode filter that found a shelter would give its postcode away.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, g, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from webapp.directory import geo
from webapp.directory.queries import load_services as _load
from webapp.exchange import hsds
from webapp.exchange.api_params import (
    MAX_PROXIMITY,
    VISIBLE,
    as_served,
    inactive_ids,
    include_inactive,
    listing,
    page_size,
    query_args,
    search_text,
    words_match,
)
from webapp.extensions import db
from webapp.models import Location, Organization, Service, ServiceAtLocation, Taxonomy
from webapp.search import search
from webapp.search.places import postcode_centre, postcode_column


def taxonomies() -> Response:
    """A page of taxonomies (Haven's two and any imported), search by name."""
    page, per_page = page_size(50)
    q = select(Taxonomy).where(*words_match([Taxonomy.name, Taxonomy.description],
                                             search_text()))
    total = db.session.scalar(select(func.count()).select_from(q.subquery())) or 0

    def items(offset: int, limit: int) -> list[dict[str, Any]]:
        return [hsds.taxonomy_json(t) for t in db.session.scalars(
            q.order_by(Taxonomy.name, Taxonomy.id).limit(limit).offset(offset))]

    return listing(total, items, page, per_page)


def taxonomy(taxonomy_id: str) -> Response:
    """One taxonomy."""
    return jsonify(hsds.taxonomy_json(db.get_or_404(Taxonomy, taxonomy_id[:64])))


def _org_services(org_ids: list[str]) -> dict[str, list[Service]]:
    """The listed (active or temporarily closed) services of these organisations, by name."""
    ids = list(db.session.scalars(
        select(Service.id).where(Service.organization_id.in_(org_ids),
                                 Service.status.in_(VISIBLE))
        .order_by(Service.name, Service.id)))
    out: dict[str, list[Service]] = {o: [] for o in org_ids}
    for svc in _load(ids):
        out[str(svc.organization_id)].append(svc)
    return out


def organizations() -> Response:
    """A page of organizations: search (name and description), full (with their services
    and places), full_service (those services fully nested)."""
    page, per_page = page_size()
    full_service = search.flag(request.args, "full_service")
    full = search.flag(request.args, "full") or full_service
    q = select(Organization).where(*words_match(
        [Organization.name, Organization.description], search_text()))
    total = db.session.scalar(select(func.count()).select_from(q.subquery())) or 0

    def items(offset: int, limit: int) -> list[dict[str, Any]]:
        orgs = list(db.session.scalars(q.order_by(Organization.name, Organization.id)
                                       .limit(limit).offset(offset)))
        if not full:
            return [hsds.organization_json(o) for o in orgs]
        nested = _org_services([o.id for o in orgs])
        return _orgs_served([hsds.organization_json(o, nested[o.id], full_service=full_service)
                             for o in orgs])

    return listing(total, items, page, per_page)


def organization(org_id: str) -> Response:
    """One organization with its services (fully nested with full_service) and places."""
    org = db.get_or_404(Organization, org_id[:64])
    full_service = search.flag(request.args, "full_service")
    return jsonify(_orgs_served([hsds.organization_json(
        org, _org_services([org.id])[org.id], full_service=full_service)])[0])


def _orgs_served(orgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Organisations with their services as a public answer serves them (api_params.as_served)."""
    as_served([s for o in orgs for s in o.get("services") or [] if isinstance(s, dict)],
              g.hsds_version)
    return orgs


def _sals_served(sals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """service_at_locations with their service as a public answer serves it."""
    as_served([sal["service"] for sal in sals], g.hsds_version)
    return sals


def _postcode(value: str) -> str:
    return "".join(value.split()).upper()


def service_at_locations() -> Response:
    """A page of service_at_locations: the services filters (search, taxonomy_term_id,
    taxonomy_id, organization_id, modified_after, include_inactive), full, and postcode
    (places with that postcode) or postcode + proximity (places within that many metres of
    its centre, nearest first)."""
    search_text()
    params = search.parse(query_args())
    full = search.flag(request.args, "full")
    code = _postcode((request.args.get("postcode") or "")[:40])
    raw = (request.args.get("proximity") or "").strip()
    metres: float | None = None
    if raw:
        try:
            metres = float(raw)
        except ValueError:
            raise search.BadQuery("proximity", "a distance in metres") from None
        if not 0 < metres <= MAX_PROXIMITY:
            raise search.BadQuery("proximity", f"more than 0 and at most {MAX_PROXIMITY} metres")
        if not code:
            raise search.BadQuery("proximity", "needs postcode (the distance is measured "
                                  "from the postcode's centre)")
    centre = postcode_centre(code) if metres is not None else None
    if metres is not None and centre is None:
        raise search.BadQuery("postcode", "no public listing has this postcode, so it has no "
                              "known centre to measure from")
    ranked = search.ranked_ids(params, home_country=current_app.config["HAVEN_COUNTRY"])
    if include_inactive(request.args, params):
        ranked += inactive_ids(params)
    rank = {sid: i for i, sid in enumerate(ranked)}
    # Only ranked services' places are kept below, so the ranking says which statuses count.
    stmt = (select(ServiceAtLocation.id, ServiceAtLocation.service_id,
                   Location.public_latitude, Location.public_longitude)
            .join(Location, Location.id == ServiceAtLocation.location_id))
    if code and metres is None:
        stmt = stmt.where(postcode_column() == code, Location.confidential.is_(False))
    found: list[tuple[float, int, str]] = []
    for sal_id, sid, lat, lng in db.session.execute(stmt):
        if sid not in rank:
            continue
        distance = 0.0
        if centre is not None and metres is not None:
            if lat is None or lng is None:
                continue
            distance = geo.planar_km(centre[0], centre[1], lat, lng) * 1000
            if distance > metres:
                continue
        found.append((distance, rank[sid], sal_id))
    found.sort()
    order = [f[2] for f in found]

    def items(offset: int, limit: int) -> list[dict[str, Any]]:
        return _sals_served([hsds.service_at_location_json(sal, full=full)
                             for sal in _load_sals(order[offset:offset + limit])])

    return listing(len(order), items, params.page, params.per_page)


def _load_sals(ids: list[str]) -> list[ServiceAtLocation]:
    rows = db.session.scalars(select(ServiceAtLocation).where(ServiceAtLocation.id.in_(ids))
                              .options(selectinload(ServiceAtLocation.location))).all()
    by_id = {r.id: r for r in rows}
    # Loaded with everything a service shows; each link's .service then comes from the
    # session's identity map (held here so it stays there).
    held = _load(list(dict.fromkeys(r.service_id for r in rows)))
    return [by_id[i] for i in ids if i in by_id and held]


def service_at_location(sal_id: str) -> Response:
    """One service_at_location, its service fully nested."""
    found = _load_sals([sal_id[:64]])
    if not found:
        abort(404)
    return jsonify(_sals_served([hsds.service_at_location_json(found[0], full=True)])[0])


def attach(bp: Blueprint) -> None:
    """Add these operations to the API's blueprint (api.py owns it and calls this)."""
    for rule, view in (
        ("/taxonomies", taxonomies),
        ("/taxonomies/<taxonomy_id>", taxonomy),
        ("/organizations", organizations),
        ("/organizations/<org_id>", organization),
        ("/service_at_locations", service_at_locations),
        ("/service_at_locations/<sal_id>", service_at_location),
    ):
        bp.add_url_rule(rule, view_func=view)
