"""Invitations: an admin makes a one-time link that expires in 7 days; the
invitee chooses a username and password and enrols TOTP, and the link is spent."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets

import pyotp
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from nacl.exceptions import CryptoError
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from webapp import clock
from webapp.extensions import db
from webapp.models import StaffInvite, StaffUser
from webapp.staff import auth, forms
from webapp.staff.blueprints import staff_blueprint
from webapp.staff.users import NEED_CODE, invitable_organizations
from webapp.tips import crypto

bp = staff_blueprint("invites", __name__)

VALID_FOR = dt.timedelta(days=7)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(role: str, organization_id: str | None, by: StaffUser) -> str:
    """A new invitation; returns the token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    db.session.add(StaffInvite(token_hash=_hash(token), role=role,
                               organization_id=organization_id, created_by=by.id,
                               member_id=by.member_id,
                               created_at=now, expires_at=now + VALID_FOR))
    db.session.commit()
    return token


def _open(token: str) -> StaffInvite | None:
    invite = db.session.scalar(select(StaffInvite).where(
        StaffInvite.token_hash == _hash(token[:200])))
    if invite is None or invite.used_at is not None or invite.expires_at <= clock.now():
        return None
    return invite


@bp.before_request
def invitations_need_a_fresh_code() -> tuple[str, int] | None:
    """An invitation can make an admin, so it needs a fresh code like a new account does."""
    if request.endpoint != "invites.create" or request.method != "POST":
        return None
    user = auth.current_user()
    if user is None or user.role != "admin":
        return None  # the view itself refuses
    if auth.confirmed(forms.CodeForm(prefix="invite").code.data):
        return None
    return render_template("staff/invite_made.html", link=None, problem=NEED_CODE), 403


@bp.route("/users/invite", methods=["POST"], endpoint="create")
@auth.admin_required
def invite_create() -> tuple[str, int] | str:
    """Make a link; it is shown once."""
    form = forms.InviteForm()
    user = auth.current_user()
    assert user is not None
    orgs = invitable_organizations(user)
    if not form.validate_on_submit() or form.role.data not in dict(
            (c.value, c.label) for c in forms.ROLE_CHOICES):
        abort(400)
    org_id = form.organization.data if form.organization.data in orgs else None
    if form.role.data == "org-editor" and org_id is None:
        return render_template("staff/invite_made.html", link=None, problem=_(
            "An organisation editor needs an organisation.")), 400
    token = create(form.role.data, org_id, user)
    auth.audit("invite_created", detail=f"role={form.role.data} org={org_id or '-'}")
    link = url_for("invites.accept", token=token, _external=True)
    return render_template("staff/invite_made.html", link=link,
                           expires=clock.now() + VALID_FOR, org=orgs.get(org_id or ""))


def _qr(uri: str) -> Markup:
    # Imported here: about 6 MB (qrcode and Pillow) in every worker otherwise, for a page
    # an admin opens now and then (at most 250 MB per worker).
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    return Markup(buf.getvalue().decode().split("?>", 1)[-1])  # noqa: S704 - our own SVG


def _unsealed(blob: bytes) -> str:
    # Sealed with the key StaffUser.totp_secret uses: a database copy alone does not reveal it.
    return crypto.unseal(auth._totp_box_key(), blob).decode()


def _secret_for(invite: StaffInvite) -> str:
    """The authenticator secret this invitation enrols: chosen here on the first view and
    kept (sealed) with the invitation, so a reload shows the same key and the form only
    displays it, never chooses it."""
    held = invite.pending_secret
    if held is not None:
        try:
            return _unsealed(held)
        except CryptoError:
            pass  # SECRET_KEY changed since the first view: a new secret, shown on this page
    # Two first views at once: the first one's secret stays, the second reads it back.
    db.session.execute(update(StaffInvite).where(
        StaffInvite.id == invite.id,
        StaffInvite.pending_secret.is_(None) if held is None
        else StaffInvite.pending_secret == held)
        .values(pending_secret=auth.sealed_secret(pyotp.random_base32(32))))
    db.session.commit()
    db.session.refresh(invite)
    return _unsealed(invite.pending_secret or b"")


@bp.route("/invite/<token>", methods=["GET", "POST"], endpoint="accept")
def invite_accept(token: str) -> Response | tuple[str, int]:
    """Set a password and enrol an authenticator app, once."""
    invite = _open(token)
    if invite is None:
        return render_template("staff/invite.html", form=None), 410
    secret = _secret_for(invite)
    form = forms.EnrolForm()
    status = 200
    if form.validate_on_submit():
        status = 400
        name = form.username.data or ""
        if form.password.data != form.confirm.data:
            form.confirm.errors = [_("The two passwords differ.")]
        elif db.session.scalar(select(StaffUser).where(StaffUser.username == name)):
            form.username.errors = [_("This username is taken.")]
        elif not pyotp.TOTP(secret).verify(form.code.data or "", valid_window=1):
            form.code.errors = [_("Wrong code. Check the time on your phone and try again.")]
        else:
            user, _secret = auth.create_user(name, form.password.data or "", invite.role,
                                             secret=secret,
                                             organization_id=invite.organization_id,
                                             member_id=invite.member_id, commit=False)
            spent = db.session.execute(update(StaffInvite).where(
                StaffInvite.id == invite.id, StaffInvite.used_at.is_(None))
                .values(used_at=clock.now(), used_by=user.id, pending_secret=None))
            if spent.rowcount != 1:  # type: ignore[attr-defined]
                db.session.rollback()  # someone used the link a moment ago
                return render_template("staff/invite.html", form=None), 410
            db.session.commit()
            auth.audit("invite_used", detail=f"user={user.id} role={user.role}",
                       member_id=invite.member_id)
            return redirect(url_for("staff.login", welcome=1))
    elif request.method == "POST":
        status = 400
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=form.username.data or "staff", issuer_name=current_app.config["HAVEN_APP_NAME"])
    return render_template("staff/invite.html", form=form, qr=_qr(uri), secret=secret,
                           invite=invite), status
