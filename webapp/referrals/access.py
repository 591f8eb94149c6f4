"""Who may open which referral: the member organisation that sent it and the one it was sent
to, each seeing its own side only."""

from __future__ import annotations

from flask import abort

from webapp.extensions import db
from webapp.models import Referral
from webapp.referrals import services
from webapp.staff import auth


def referral(referral_id: str) -> tuple[Referral, str]:
    """A referral and which side ("sender" or "receiver") the signed-in member is on (404
    when there is none, 403 when the member is on neither side)."""
    ref = db.session.get(Referral, referral_id[:32])
    if ref is None:
        abort(404)
    which = services.side(ref, auth.member_id())
    if which is None:
        abort(403)
    return ref, which
