"""Sign in and out, unlock and lock the organisation key, accounts, the audit log."""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from nacl.public import PrivateKey
from sqlalchemy import select
from werkzeug.wrappers import Response

from webapp.extensions import db
from webapp.models import AuditEntry, Organization, OrgKey, StaffUser
from webapp.security import client_tag, limiter
from webapp.staff import auth, bp, forms, vault
from webapp.tips import crypto


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    """Password + TOTP. Failures are slowed down per client (rotating tag, memory only)."""
    form = forms.LoginForm()
    if form.validate_on_submit():
        if limiter.blocked("login", client_tag(), 10, 900):
            return render_template("staff/login.html", form=form,
                                   problem=_("Too many tries. Please wait a minute and try "
                                             "again.")), 429
        try:
            user = auth.check_login(form.username.data or "", form.password.data or "",
                                    form.code.data or "")
        except auth.CodeAlreadyUsed:
            limiter.hit("login", client_tag(), 10, 900)
            return render_template("staff/login.html", form=form, problem=_(
                "That code was already used. Wait for the next code in your authenticator "
                "app, then try again.")), 400
        if user is None:
            limiter.hit("login", client_tag(), 10, 900)
            return render_template("staff/login.html", form=form, problem=_(
                "Wrong username, password or code.")), 400
        session.clear()
        session["uid"] = user.id
        auth.audit("login", member_id=user.member_id)
        nxt = request.args.get("next", "")
        return redirect(nxt if nxt.startswith("/staff/") else auth.home_for(user))
    status = 400 if request.method == "POST" else 200
    return render_template("staff/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@auth.login_required
def logout() -> Response:
    """Forget the session and any unlocked key."""
    form = forms.EmptyForm()
    if form.validate_on_submit():
        vault.drop(session.get("vault"))
        auth.audit("logout")
        session.clear()
    return redirect(url_for("staff.login"))


@bp.route("/unlock", methods=["GET", "POST"])
@auth.login_required
def unlock() -> Response | tuple[str, int] | str:
    """Open, for a while, every organisation key the passphrase opens: the current one and any
    older one (tips sealed before a `keys init --rotate` stay readable). An older key under
    another passphrase stays closed, and its tips show as locked until it is unlocked."""
    form = forms.UnlockForm()
    if form.validate_on_submit():
        keys = db.session.scalars(select(OrgKey).where(  # this person's organisation only
            OrgKey.member_id == auth.member_id()).order_by(OrgKey.id.desc())).all()
        if not keys:
            from webapp.models import Member

            member = db.session.get(Member, auth.member_id())
            return render_template("staff/unlock.html", form=form, problem=_(
                "Your organisation has no key yet: an administrator must run “flask --app app "
                "keys init --org %(slug)s”.", slug=member.slug if member else "default")), 400
        if limiter.blocked("unlock", client_tag(), 10, 900):
            return render_template("staff/unlock.html", form=form, problem=_(
                "Too many tries. Please wait a minute and try again.")), 429
        ring = _opened(form.passphrase.data or "", keys)
        if not ring:
            limiter.hit("unlock", client_tag(), 10, 900)
            auth.audit("unlock_failed")
            return render_template("staff/unlock.html", form=form, problem=_(
                "That passphrase does not open the key.")), 400
        vault.drop(session.get("vault"))
        session["vault"] = vault.put(ring, current_app.config["HAVEN_UNLOCK_MINUTES"] * 60)
        auth.audit("unlock", detail=f"keys={len(ring)}/{len(keys)}")
        return redirect(url_for("staff.inbox"))
    return render_template("staff/unlock.html", form=form), 400 if request.method == "POST" \
        else 200


def _opened(passphrase: str, keys: Sequence[OrgKey]) -> list[PrivateKey]:
    """The keys this passphrase opens, newest first."""
    opened = []
    for key in keys:
        try:
            opened.append(crypto.open_org_key(passphrase, key.sealed_private, key.kdf_salt,
                                              key.kdf_ops, key.kdf_mem))
        except crypto.WrongPassphrase:
            continue
    return opened


@bp.route("/lock", methods=["POST"])
@auth.login_required
def lock() -> Response:
    """Forget the unlocked key now."""
    if forms.EmptyForm().validate_on_submit():
        vault.drop(session.pop("vault", None))
        auth.audit("lock")
    return redirect(url_for("staff.inbox"))


@bp.route("/users", methods=["GET", "POST"])
@auth.admin_required
def users() -> tuple[str, int] | str:
    """List accounts and create one (admins only). The TOTP secret is shown once."""
    form = forms.UserForm()
    created = None
    status = 200
    if form.validate_on_submit():
        name = form.username.data or ""
        if db.session.scalar(select(StaffUser).where(StaffUser.username == name)):
            form.username.errors = [_("This username is taken.")]
            status = 400
        else:
            user, secret = auth.create_user(name, form.password.data or "", form.role.data,
                                            member_id=auth.member_id())
            created = (user.username, secret, auth.totp_for(user).provisioning_uri(
                name=user.username, issuer_name=current_app.config["HAVEN_APP_NAME"]))
            auth.audit("user_created", detail=f"user={user.id} role={user.role}")
    elif request.method == "POST":
        status = 400
    mine = auth.current_user()
    people = db.session.scalars(select(StaffUser).where(
        StaffUser.member_id == auth.member_id()).order_by(StaffUser.username)
    ).all()
    from webapp.staff.invites import invitable_organizations

    every = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    allowed = invitable_organizations(mine) if mine else {}
    invite = forms.InviteForm()
    invite.organization.choices = [("", "—"), *allowed.items()]
    return render_template("staff/users.html", form=form, people=people, created=created,
                           invite=invite, org_names={o.id: o.name for o in every}), status


@bp.route("/audit")
@auth.admin_required
def audit_log() -> str:
    """The last 500 staff actions."""
    rows = db.session.execute(
        select(AuditEntry, StaffUser.username).outerjoin(StaffUser,
                                                          StaffUser.id == AuditEntry.staff_id)
        .where(AuditEntry.member_id == auth.member_id())
        .order_by(AuditEntry.id.desc()).limit(500)).all()
    return render_template("staff/audit.html", rows=rows)
