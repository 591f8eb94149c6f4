"""Who may edit which listing (see #9, item 2): admins and editors every listing, an
org-editor only their organisation's. Seeing a confidential street goes with editing."""

from __future__ import annotations

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Organization, Service, StaffUser
from webapp.models.staff import EDIT_ROLES


def may_edit_directory(user: StaffUser | None) -> bool:
    """True for the roles that edit listings at all."""
    return user is not None and user.role in EDIT_ROLES and (
        user.role != "org-editor" or bool(user.organization_id))


def may_edit(user: StaffUser | None, svc: Service) -> bool:
    """True when this person may open, change and see the street of this listing."""
    if not may_edit_directory(user):
        return False
    assert user is not None
    return user.role != "org-editor" or svc.organization_id == user.organization_id


def organizations(user: StaffUser) -> list[Organization]:
    """The organisations this person may file a listing under, by name."""
    query = select(Organization).order_by(Organization.name)
    if user.role == "org-editor":
        query = query.where(Organization.id == user.organization_id)
    return list(db.session.scalars(query))
