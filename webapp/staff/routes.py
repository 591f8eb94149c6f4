"""Sign in and out, unlock and lock the organisation key, accounts, the audit log."""

from __future__ import annotations

import re
from collections.abc import Sequence

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from nacl.public import PrivateKey
from sqlalchemy import select
from werkzeug.wrappers import Response

from webapp import clock
from webapp.extensions import db
from webapp.forms import EmptyForm
from webapp.models import AuditEntry, Member, Organization, OrgKey, StaffUser
from webapp.security import client_tag, limiter
from webapp.staff import auth, forms, sessions, vault
from webapp.staff import users as staff_users
from webapp.staff.blueprints import staff_blueprint
from webapp.tips import crypto

bp = staff_blueprint("staff", __name__)

SAFE_NEXT = re.compile(r"/staff/[A-Za-z0-9/_.~%=&?-]*")

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
        auth.begin_session(user)
        auth.audit("login", member_id=user.member_id)
        nxt = request.args.get("next", "")
        # Only a plain staff path: CR/LF would break the Location header (a 500 after a good
        # sign-in), and "//" or "\\" could point the browser at another site.
        safe = SAFE_NEXT.fullmatch(nxt) and "//" not in nxt
        return redirect(nxt if safe else auth.home_for(user))
    status = 400 if request.method == "POST" else 200
    return render_template("staff/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@auth.login_required
def logout() -> Response:
    """End the session on the server (a copy of the cookie opens nothing after this) and
    forget any unlocked key."""
    form = EmptyForm()
    row, user = auth.current_session(), auth.current_user()
    if form.validate_on_submit() and row is not None and user is not None:
        vault.drop(session.get("vault"))
        auth.audit("logout")
        sessions.end([row], "signed_out", user.id, user.member_id, clock.now())
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
        auth.rotate_session(session["vault"])
        auth.audit("unlock", detail=f"keys={len(ring)}/{len(keys)}")
        return redirect(url_for("inbox.list"))
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
    if EmptyForm().validate_on_submit():
        vault.drop(session.pop("vault", None))
        row = auth.current_session()
        if row is not None:
            row.vault_handle = None
        auth.audit("lock")
    return redirect(url_for("inbox.list"))


@bp.route("/users", methods=["GET", "POST"])
@auth.admin_required
def users() -> tuple[str, int] | str:
    """List accounts and create one (admins only, with a fresh code). The TOTP secret is
    shown once."""
    form = forms.NewAccountForm()
    created = None
    status = 200
    if form.validate_on_submit():
        name = form.username.data or ""
        if not auth.confirmed(form.code.data):
            form.code.errors = [staff_users.NEED_CODE]
            status = 403
        elif db.session.scalar(select(StaffUser).where(StaffUser.username == name)):
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
    every = db.session.scalars(select(Organization).order_by(Organization.name)).all()
    allowed = staff_users.invitable_organizations(mine) if mine else {}
    invite = forms.InviteForm()
    invite.organization.choices = [("", "—"), *allowed.items()]
    return render_template("staff/users.html", form=form, people=people, created=created,
                           invite=invite, invite_code=forms.CodeForm(prefix="invite"),
                           fresh_minutes=int(sessions.FRESH_FOR.total_seconds() // 60),
                           org_names={o.id: o.name for o in every}), status


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


@bp.route("/sessions")
@auth.login_required
def session_list() -> str:
    """Where this person is signed in (and, for an admin, their colleagues): started, last
    used, with a button to end each. No address or browser is ever kept to show."""
    user, row = auth.current_user(), auth.current_session()
    assert user is not None
    assert row is not None
    at = clock.now()
    mine = [(s, "") for s in sessions.of_user(user.id) if not sessions.expired(s, at)]
    others = [(s, name) for s, name in sessions.of_member(user.member_id, at)
              if s.user_id != user.id] if user.role == "admin" else []
    return render_template("staff/sessions.html", mine=mine, others=others, current=row.id,
                           idle=current_app.config["HAVEN_STAFF_IDLE_MINUTES"],
                           hours=current_app.config["HAVEN_STAFF_SESSION_HOURS"])


@bp.route("/sessions/<int:session_id>/end", methods=["POST"])
@auth.login_required
def session_end(session_id: int) -> Response:
    """End one session: one's own, or (admins) a colleague's of the same organisation."""
    user = auth.current_user()
    target = staff_users.session_of(session_id)
    if user is None or target is None or not EmptyForm().validate_on_submit():
        abort(400 if user is not None and target is not None else 404)
    owner = db.session.get(StaffUser, target.user_id)
    if owner is None or (owner.id != user.id and (
            user.role != "admin" or owner.member_id != user.member_id)):
        abort(404)
    current = auth.current_session()
    mine = current is not None and current.id == target.id
    if mine:
        vault.drop(session.get("vault"))
    sessions.end([target], "ended_by_owner" if owner.id == user.id else "ended_by_admin",
                 user.id, owner.member_id, clock.now())
    if mine:
        session.clear()
        return redirect(url_for("staff.login"))
    if request.form.get("back") == "account":
        return redirect(url_for("staff.account", user_id=owner.id))
    return redirect(url_for("staff.session_list"))


@bp.route("/sessions/end-all", methods=["POST"])
@auth.login_required
def session_end_all() -> Response:
    """Sign out everywhere: every session of this person, this one included."""
    user = auth.current_user()
    if user is None or not EmptyForm().validate_on_submit():
        abort(400)
    vault.drop(session.get("vault"))
    staff_users.end_sessions_of(user, "signed_out_everywhere", user.id)
    session.clear()
    return redirect(url_for("staff.login"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@auth.admin_required
def account(user_id: int) -> tuple[str, int] | str:
    """One colleague's account: role, disable or enable, a new authenticator secret, their
    sessions. Every change needs a fresh code; disabling and a new secret end the sessions."""
    me = auth.current_user()
    assert me is not None
    person = staff_users.colleague(user_id, me.member_id)
    if person is None:
        abort(404)
    form = forms.AccountForm(role=person.role)
    status, secret, done = 200, None, ""
    if form.validate_on_submit():
        action = request.form.get("do", "")
        if not auth.confirmed(form.code.data):
            form.code.errors = [staff_users.NEED_CODE]
            status = 403
        elif staff_users.leaves_no_admin(person, action, form.role.data, me.member_id):
            done, status = _("Your organisation needs at least one active administrator."), 400
        elif action == "role" and staff_users.set_role(person, form.role.data):
            auth.audit("role_changed", detail=f"user={person.id} role={person.role}")
            done = _("Role changed.")
        elif action == "disable" and staff_users.set_active(person, False, me.id):
            auth.audit("user_disabled", detail=f"user={person.id}")
            done = _("Account disabled: its sessions have ended.")
        elif action == "enable" and staff_users.set_active(person, True, me.id):
            auth.audit("user_enabled", detail=f"user={person.id}")
            done = _("Account enabled.")
        elif action == "reset":
            secret = staff_users.new_secret(person)
            auth.audit("totp_reset", detail=f"user={person.id}")
            staff_users.end_sessions_of(person, "totp_reset", me.id)
        else:
            abort(400)  # no such action, or nothing to change
    elif request.method == "POST":
        status = 400
    uri = auth.totp_for(person).provisioning_uri(
        name=person.username, issuer_name=current_app.config["HAVEN_APP_NAME"]) \
        if secret else None
    at = clock.now()
    live = [(s, "") for s in sessions.of_user(person.id) if not sessions.expired(s, at)]
    return render_template("staff/account.html", person=person, form=form, secret=secret,
                           uri=uri, done=done, live=live, me=me,
                           fresh_minutes=int(sessions.FRESH_FOR.total_seconds() // 60)), status
