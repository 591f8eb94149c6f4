"""Invitation pages: an admin makes a one-time link that expires in 7 days; the invitee
chooses a username and password and enrols TOTP, and the link is spent (the logic:
staff/invitations.py)."""

from __future__ import annotations

import io

import pyotp
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from webapp import clock
from webapp.staff import auth, forms, invitations
from webapp.staff.blueprints import staff_blueprint
from webapp.staff.users import NEED_CODE, invitable_organizations

bp = staff_blueprint("invites", __name__)


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
    token = invitations.create(form.role.data, org_id, user)
    auth.audit("invite_created", detail=f"role={form.role.data} org={org_id or '-'}")
    link = url_for("invites.accept", token=token, _external=True)
    return render_template("staff/invite_made.html", link=link, org=orgs.get(org_id or ""),
                           expires=clock.now() + invitations.VALID_FOR)


def _qr(uri: str) -> Markup:
    # Imported here: about 6 MB (qrcode and Pillow) in every worker otherwise, for a page
    # an admin opens now and then (at most 250 MB per worker).
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    img.save(buf)
    return Markup(buf.getvalue().decode().split("?>", 1)[-1])  # noqa: S704 - our own SVG


@bp.route("/invite/<token>", methods=["GET", "POST"], endpoint="accept")
def invite_accept(token: str) -> Response | tuple[str, int]:
    """Set a password and enrol an authenticator app, once."""
    invite = invitations.usable(token)
    if invite is None:
        return render_template("staff/invite.html", form=None), 410
    secret = invitations.secret_for(invite)
    form = forms.EnrolForm()
    status = 200
    if form.validate_on_submit():
        status = 400
        name = form.username.data or ""
        if form.password.data != form.confirm.data:
            form.confirm.errors = [_("The two passwords differ.")]
        elif invitations.name_taken(name):
            form.username.errors = [_("This username is taken.")]
        elif not pyotp.TOTP(secret).verify(form.code.data or "", valid_window=1):
            form.code.errors = [_("Wrong code. Check the time on your phone and try again.")]
        elif invitations.accept(invite, name, form.password.data or "", secret) is None:
            return render_template("staff/invite.html", form=None), 410  # used a moment ago
        else:
            return redirect(url_for("staff.login", welcome=1))
    elif request.method == "POST":
        status = 400
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=form.username.data or "staff", issuer_name=current_app.config["HAVEN_APP_NAME"])
    return render_template("staff/invite.html", form=form, qr=_qr(uri), secret=secret,
                           invite=invite), status
