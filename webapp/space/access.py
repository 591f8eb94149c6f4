"""Who may see and change which shelter space: a signed-in person acts for their own member
organisation, sets space only for the listings it runs, and reads a request for places only
when their member sent it or was asked."""

from __future__ import annotations

from flask import abort

from webapp.extensions import db
from webapp.models import Member, Service, SpaceRequest
from webapp.space import services as space
from webapp.staff import auth


def member() -> Member:
    """The signed-in person's member organisation (403 when there is none)."""
    user = auth.current_user()
    found = db.session.get(Member, user.member_id) if user else None
    if found is None:
        abort(403)
    return found


def own_service(of: Member, service_id: str) -> Service:
    """A listing this member runs (403 when it runs another's, 404 when there is none)."""
    if not space.runs(of, service_id):
        abort(403)
    found = db.session.get(Service, service_id[:64])
    if found is None:
        abort(404)
    return found


def space_request(request_id: str) -> tuple[SpaceRequest, Member]:
    """A request for places the signed-in member sent or was asked to answer, and that
    member (404 when there is none, 403 when it reached other shelters only)."""
    req = db.session.get(SpaceRequest, request_id[:32])
    if req is None:
        abort(404)
    mine = member()
    if req.member_id != mine.id and not any(a.member_id == mine.id for a in req.answers):
        abort(403)
    return req, mine
