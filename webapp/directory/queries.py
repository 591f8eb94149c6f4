"""Loading services with everything a page or the API shows, in one round of queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.directory import presenters, search
from webapp.extensions import db
from webapp.models import Service, ServiceAtLocation


def load_services(ids: list[str]) -> list[Service]:
    """Services by id, in the order given, with their related rows loaded eagerly."""
    if not ids:
        return []
    rows = db.session.scalars(
        select(Service).where(Service.id.in_(ids)).options(
            selectinload(Service.organization), selectinload(Service.phones),
            selectinload(Service.schedules), selectinload(Service.languages),
            selectinload(Service.translations), selectinload(Service.terms),
            selectinload(Service.locations).selectinload(ServiceAtLocation.location),
        )
    ).all()
    by_id = {s.id: s for s in rows}
    return [by_id[i] for i in ids if i in by_id]


def country_lines(country: str) -> list[presenters.ServiceView]:
    """A country's hotlines and emergency numbers (verified data), most important first."""
    p = search.Params(categories=["hotline", "emergency"], per_page=20)
    ids = search.search(p, home_country=country).ids
    return [presenters.present(s) for s in load_services(ids) if s.country == country]
