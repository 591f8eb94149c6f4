"""The reference search: the same question answered in SQL over search_doc.

Pages and the API answer from the in-memory index (search.py); this engine states the
semantics in SQL, and a test requires both to give the same ids, order and totals on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import ColumnElement

from webapp.directory import geo, hours, taxonomy
from webapp.extensions import db
from webapp.models import (
    Language,
    Location,
    SearchDoc,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
    service_terms,
)
from webapp.search.search import (
    LINE_CATEGORIES,
    VISIBLE_STATUSES,
    Params,
    Result,
    best_factors,
    distances_km,
    expand,
)


def _filters(p: Params, now: dt.datetime) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [Service.status.in_(VISIBLE_STATUSES)]

    def has_term(taxonomy_name: str, codes: list[str]) -> ColumnElement[bool]:
        return exists().where(
            service_terms.c.service_id == Service.id,
            service_terms.c.term_id == TaxonomyTerm.id,
            TaxonomyTerm.taxonomy_name == taxonomy_name,
            TaxonomyTerm.code.in_(codes),
        )

    if p.categories:
        conds.append(has_term(taxonomy.CATEGORIES, p.categories))
    if p.populations:
        conds.append(has_term(taxonomy.POPULATIONS, p.populations))
    if p.term_ids:
        conds.append(exists().where(service_terms.c.service_id == Service.id,
                                    service_terms.c.term_id.in_(p.term_ids)))
    if p.taxonomy_ids:
        conds.append(exists().where(service_terms.c.service_id == Service.id,
                                    service_terms.c.term_id == TaxonomyTerm.id,
                                    TaxonomyTerm.taxonomy_id.in_(p.taxonomy_ids)))
    if p.organization_ids:
        conds.append(Service.organization_id.in_(p.organization_ids))
    if p.languages:
        conds.append(exists().where(Language.service_id == Service.id,
                                    Language.code.in_(p.languages)))
    if p.free:
        conds.append(Service.free.is_(True))
    if p.always_open:
        conds.append(Service.always_open.is_(True))
    if p.modified_after:
        conds.append(Service.last_modified > p.modified_after)
    if p.open_now:
        conds.append(_open_now(now))
    return conds


def _open_now(now: dt.datetime) -> ColumnElement[bool]:
    """Open at this instant, each zone's local weekday and minute computed in Python."""
    zone, slot, part = _slot_parts()
    zones = db.session.scalars(select(zone.c.key).distinct().select_from(SearchDoc)
                               .join(zone, true())).all()
    per_zone = []
    for key in zones:
        try:
            tz = hours.zone(key, None)
        except hours.HoursError:
            continue
        weekday, minute = hours.local_position(tz, now)
        per_zone.append(and_(zone.c.key == key, part(0) == weekday, part(1) <= minute,
                             part(2) > minute))
    if not per_zone:
        return false()
    return (select(SearchDoc.service_id).select_from(SearchDoc).join(zone, true())
            .join(slot, true()).where(SearchDoc.service_id == Service.id, or_(*per_zone))
            .exists())


def _slot_parts() -> tuple[Any, Any, Any]:
    """The search_doc slot objects expanded by the database's JSON functions: (zone, slot,
    part), zone's rows the zone keys with their slot lists, slot's one [weekday, opens,
    closes] each, part(i) its i-th number."""
    if db.engine.dialect.name == "postgresql":
        zone = func.json_each(cast(SearchDoc.slots, JSON)).table_valued("key", "value")
        slot = func.json_array_elements(zone.c.value).table_valued("value")

        def part(i: int) -> Any:
            return cast(slot.c.value.op("->>")(literal_column(str(i))), Integer)
    else:
        zone = func.json_each(SearchDoc.slots).table_valued("key", "value")
        slot = func.json_each(zone.c.value).table_valued("value")

        def part(i: int) -> Any:
            return func.json_extract(slot.c.value, f"$[{i}]")
    return zone, slot, part


def _distance_subquery(p: Params) -> Any:
    if p.near is None:
        raise ValueError("no point to measure from")
    lat, lng = p.near
    min_lat, max_lat, min_lng, max_lng = geo.bounding_box(lat, lng, p.radius_km)
    # The same flat-earth measure as geo.planar_km, so ranks and shown distances agree.
    k = math.cos(math.radians(lat))
    dist2 = ((Location.public_latitude - lat) * (Location.public_latitude - lat)
             + (Location.public_longitude - lng) * k * (Location.public_longitude - lng) * k)
    return (
        select(ServiceAtLocation.service_id.label("sid"), func.min(dist2).label("d2"))
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(Location.public_latitude.between(min_lat, max_lat),
               Location.public_longitude.between(min_lng, max_lng))
        .group_by(ServiceAtLocation.service_id)
        .subquery()
    )


def search(p: Params, *, home_country: str = "", now: dt.datetime | None = None) -> Result:
    """The same search answered by SQL over search_doc (the reference the index must match)."""
    now = now or dt.datetime.now(dt.UTC)
    conds = _filters(p, now)
    matched: list[str] = []
    offset = (p.page - 1) * p.per_page
    home = case((Service.country == home_country, 0), else_=1) if home_country else None
    dist = _distance_subquery(p) if p.near else None
    if p.q:
        rows, matched, _terms = expand(p.q)
        if not rows:
            return Result([], 0, p.page, p.per_page, matched_categories=matched)
        per_term = _per_term_scores(rows)
        scored = (
            select(per_term.c.sid, func.count().label("cov"), func.sum(per_term.c.s).label("score"))
            .group_by(per_term.c.sid)
            .subquery()
        )
        stmt = select(Service.id, func.count().over().label("total")).join(
            scored, scored.c.sid == Service.id
        )
        order: list[Any] = [scored.c.cov.desc(), scored.c.score.desc()]
    else:
        stmt = select(Service.id, func.count().over().label("total"))
        order = []
    if dist is not None:
        # National lines (LINE_CATEGORIES, the home country's, with no public point) are
        # nearest to every place of it.
        stmt = stmt.outerjoin(dist, dist.c.sid == Service.id).where(
            or_(dist.c.d2.is_not(None), _national_line(home_country)))
        order.append(func.coalesce(dist.c.d2, 0.0).asc())
    if home is not None:
        order.append(home.asc())
    order += [Service.rank_hint.desc(), by_code_point(Service.name).asc(), Service.id.asc()]
    stmt = stmt.where(*conds).order_by(*order).limit(p.per_page).offset(offset)
    result = db.session.execute(stmt).all()
    ids = [r[0] for r in result]
    total = int(result[0][1]) if result else (_count(stmt) if offset else 0)
    distances: dict[str, float] = {}
    if p.near and ids:
        distances = distances_km(ids, p.near)
    return Result(ids, total, p.page, p.per_page, distances, matched)


def _national_line(home_country: str) -> ColumnElement[bool]:
    if not home_country:
        return false()
    placed = exists().where(ServiceAtLocation.service_id == Service.id,
                            ServiceAtLocation.location_id == Location.id,
                            Location.public_latitude.is_not(None))
    line = exists().where(service_terms.c.service_id == Service.id,
                          service_terms.c.term_id == TaxonomyTerm.id,
                          TaxonomyTerm.taxonomy_name == taxonomy.CATEGORIES,
                          TaxonomyTerm.code.in_(LINE_CATEGORIES))
    return and_(Service.country == home_country, ~placed, line)


def by_code_point(column: Any) -> Any:
    """Compare text by code point, as Python does (the memory index's tie order): SQLite's
    default already does; PostgreSQL needs the "C" collation."""
    if db.engine.dialect.name == "postgresql":
        return column.collate("C")
    return column


def _count(stmt: Any) -> int:
    """Total rows when the page asked for is past the end (the window count is empty)."""
    inner = stmt.limit(None).offset(None).order_by(None).subquery()
    return int(db.session.scalar(select(func.count()).select_from(inner)) or 0)


def _per_term_scores(rows: list[tuple[str, int, float]]) -> Any:
    """(sid, term, best score) for every query term a service matches."""
    best = best_factors(rows)
    term_case = {tok: t for tok, (t, _f) in best.items()}
    factor_case = {tok: f for tok, (_t, f) in best.items()}
    tokens = list(best)
    posting = token_rows()
    term_expr = case(term_case, value=posting.c.token, else_=-1)
    factor_expr = case(factor_case, value=posting.c.token, else_=0.0)
    inner = (
        select(posting.c.sid, term_expr.label("term"),
               (posting.c.weight * factor_expr).label("s"))
        .where(posting.c.token.in_(bindparam("toks", tokens, expanding=True)))
        .subquery()
    )
    return (
        select(inner.c.sid, inner.c.term, func.max(inner.c.s).label("s"))
        .group_by(inner.c.sid, inner.c.term)
        .subquery()
    )


def token_rows() -> Any:
    """(sid, token, weight) for every token of every service: the search_doc objects
    expanded by the database's own JSON functions (SQLite json_each, PostgreSQL
    json_each_text)."""
    if db.engine.dialect.name == "postgresql":
        each = func.json_each_text(cast(SearchDoc.tokens, JSON)).table_valued("key", "value")
    else:
        each = func.json_each(SearchDoc.tokens).table_valued("key", "value")
    return (select(SearchDoc.service_id.label("sid"), each.c.key.label("token"),
                   cast(each.c.value, Float).label("weight"))
            .select_from(SearchDoc).join(each, true()).subquery())
