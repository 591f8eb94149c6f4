"""Loading services with everything a page or the API shows, in one round of queries."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.directory import presenters
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


def service_or_404(service_id: str) -> Service:
    """One service with everything a page shows, or a 404 (ids are capped at 64 characters,
    and stored in lower case: a uuid is the same in either)."""
    found = load_services([service_id[:64].lower()])
    if not found:
        abort(404)
    return found[0]


def first_lines(lines: list[presenters.ServiceView]) -> tuple[list[presenters.ServiceView],
                                                             list[presenters.ServiceView]]:
    """(the emergency number and the national hotline, every other line) for a first screen.

    Only sourced, real lines go first; example listings and the rest fold under "More
    hotlines" (item 6: help was two and a half screens down).
    """
    first: list[presenters.ServiceView] = []
    for category in ("emergency", "hotline"):
        pick = next((s for s in lines if not s.is_demo and s not in first
                     and any(code == category for code, _label in s.categories)), None)
        if pick is not None:
            first.append(pick)
    rest = [s for s in lines if s not in first]
    rest.sort(key=lambda s: s.is_demo)  # real lines before examples; stable otherwise
    return first, rest
