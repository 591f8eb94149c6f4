"""Account changes an admin makes (role, disable, a new authenticator secret) and the forms
that ask for a fresh code before any change to accounts."""

from __future__ import annotations

import pyotp
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp import clock
from webapp.extensions import db
from webapp.models import Member, Organization, StaffUser
from webapp.models.coalition import DEFAULT_MEMBER
from webapp.models.staff import ROLES, StaffSession
from webapp.staff import auth, sessions

# Translators: shown when an admin changes accounts without a recent code from the app.
NEED_CODE = _l("To change accounts, type a new code from your authenticator app (one you have "
               "not used to sign in).")


def colleague(user_id: int, member_id: int) -> StaffUser | None:
    """An account of this member organisation (never another member's)."""
    user = db.session.get(StaffUser, user_id)
    return user if user is not None and user.member_id == member_id else None


def end_sessions_of(user: StaffUser, why: str, by: int | None) -> int:
    """End every session of an account; commit. Returns how many."""
    return sessions.end(sessions.of_user(user.id), why, by, user.member_id, clock.now())


def set_role(user: StaffUser, role: str) -> bool:
    """Give an account another role; False for a role that does not exist. No commit."""
    if role not in ROLES:
        return False
    user.role = role
    return True


def new_secret(user: StaffUser) -> str:
    """A new TOTP secret (the old authenticator stops working); returns it, to show once.
    No commit."""
    secret = pyotp.random_base32()
    user.totp_secret = auth.sealed_secret(secret)
    user.last_totp_step = 0
    return secret


def admins_left(member_id: int, without: int) -> int:
    """Active admins of a member organisation other than this account."""
    return len(db.session.scalars(select(StaffUser.id).where(
        StaffUser.member_id == member_id, StaffUser.role == "admin",
        StaffUser.active.is_(True), StaffUser.id != without)).all())


def leaves_no_admin(person: StaffUser, action: str, role: str | None, member_id: int) -> bool:
    """Whether disabling this account, or giving it another role, would leave its member
    organisation without an active administrator."""
    losing = action == "disable" or (action == "role" and role != "admin")
    return person.role == "admin" and losing and not admins_left(member_id, person.id)


def set_active(person: StaffUser, active: bool, by: int) -> bool:
    """Enable or disable an account; disabling ends its sessions. False when it already
    was so (nothing changed)."""
    if person.active == active:
        return False
    person.active = active
    if not active:
        end_sessions_of(person, "disabled", by)
    return True


def session_of(session_id: int) -> StaffSession | None:
    """A session row by its number (shown on the sessions page)."""
    return db.session.get(StaffSession, session_id)


def staff_names() -> dict[int, str]:
    """Staff id -> username."""
    return {uid: name for uid, name in db.session.execute(
        select(StaffUser.id, StaffUser.username)).all()}


def invitable_organizations(user: StaffUser) -> dict[str, str]:
    """id -> name of the organisations an admin may invite an org-editor for: any, for the
    organisation that runs this Haven; another coalition member only its own."""
    query = select(Organization).order_by(Organization.name)
    if user.member_id != DEFAULT_MEMBER:
        member = db.session.get(Member, user.member_id)
        query = query.where(Organization.id == (member.organization_id if member else None))
    return {o.id: o.name for o in db.session.scalars(query)}


class AccountError(ValueError):
    """An account could not be made; the message names the problem."""


def new_account(username: str, password: str, role: str, *, org: str = "",
                member: str = "default") -> tuple[StaffUser, str]:
    """A new account, made from the server's shell, for the member organisation with this
    slug (an org-editor's organisation named by its id or exact name); commit. Returns it and
    its TOTP secret, to show once. AccountError names what is wrong."""
    if db.session.scalar(select(StaffUser).where(StaffUser.username == username)):
        raise AccountError(f"a user named {username!r} already exists")
    works_for = db.session.scalar(select(Member).where(Member.slug == member))
    if works_for is None:
        raise AccountError(f"--member {member!r}: no such member organisation (see: flask --app "
                           "app orgs list)")
    org_id = None
    if role == "org-editor" or org:
        found = db.session.scalars(select(Organization.id).where(
            (Organization.id == org) | (Organization.name == org))).all()
        if len(found) != 1:
            raise AccountError(f"--org {org!r}: name exactly one organisation (id or name)"
                               if org else "an org-editor needs --org (an organisation id or "
                               "name)")
        org_id = found[0]
    return auth.create_user(username, password, role, organization_id=org_id,
                            member_id=works_for.id)
