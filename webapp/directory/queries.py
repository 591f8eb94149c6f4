"""Loading services with everything a page or the API shows, in one round of queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

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
