"""Who may edit which listing (and coalition members): admins and editors of the
organisation that runs this Haven (member 1) every listing; an org-editor only their
organisation's; an admin or editor of another coalition member only the listings their member
runs (none if it runs none). Seeing a confidential street goes with editing."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Member, Organization, Service, StaffUser
from webapp.models.coalition import DEFAULT_MEMBER
from webapp.models.staff import EDIT_ROLES
from webapp.staff import auth

EVERY = ""  # the scope of those who edit every listing


def listing_scope(user: StaffUser | None) -> str | None:
    """EVERY (""), the id of the one organisation whose listings this person edits, or None
    when they edit none."""
    if user is None or user.role not in EDIT_ROLES:
        return None
    if user.role == "org-editor":
        return user.organization_id or None
    if user.member_id == DEFAULT_MEMBER:
        return EVERY
    member = db.session.get(Member, user.member_id)
    return member.organization_id if member is not None and member.organization_id else None


def whole_directory(user: StaffUser | None) -> bool:
    """Whether this person edits every listing (imports, the reports queue)."""
    return listing_scope(user) == EVERY


def may_edit_directory(user: StaffUser | None) -> bool:
    """True for those who edit listings at all."""
    return listing_scope(user) is not None


def may_edit(user: StaffUser | None, svc: Service) -> bool:
    """True when this person may open, change and see the street of this listing."""
    scope = listing_scope(user)
    return scope is not None and scope in (EVERY, svc.organization_id)


def organizations(user: StaffUser) -> list[Organization]:
    """The organisations this person may file a listing under, by name."""
    scope = listing_scope(user)
    query = select(Organization).order_by(Organization.name)
    if scope != EVERY:
        query = query.where(Organization.id == scope)
    return list(db.session.scalars(query))


def editor() -> StaffUser:
    """The signed-in editor, or a 403 for roles that do not edit listings."""
    user = auth.current_user()
    if user is None or not may_edit_directory(user):
        abort(403)
    return user


def visible_listing(user: StaffUser, service_id: str) -> Service | None:
    """The listing, when there is one and this person may edit it; else None (no error:
    for a page that only mentions it)."""
    svc = db.session.get(Service, service_id[:64].lower()) if service_id else None
    return svc if svc is not None and may_edit(user, svc) else None


def listing_or_403(service_id: str) -> tuple[StaffUser, Service]:
    """The listing, when this person may edit it (404 when there is none)."""
    user = editor()
    svc = db.session.get(Service, service_id[:64])
    if svc is None:
        abort(404)
    if not may_edit(user, svc):
        abort(403)
    return user, svc
