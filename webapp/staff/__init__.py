"""The staff inbox: login with password + TOTP, unlock, read and act on tips, statistics."""

from __future__ import annotations

from flask import Blueprint, g, request

from webapp import i18n

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
def staff_locale() -> None:
    """Staff pages speak the browser's language (no cookie needed for that)."""
    g.locale_info = i18n.best_match(request.headers.get("Accept-Language"))


@bp.context_processor
def staff_context() -> dict[str, object]:
    """Who is signed in, and the token-only form the navigation's sign-out button needs."""
    from webapp.editor import access
    from webapp.models.coalition import DEFAULT_MEMBER
    from webapp.staff import auth, forms

    user = auth.current_user()
    # formdata=None: this form is only drawn (its CSRF token); reading the request here would
    # parse a malformed JSON body inside the error page that reports it (a 500).
    return {"staff_user": user, "empty_form": forms.EmptyForm(formdata=None),
            "edits_listings": access.may_edit_directory(user),
            "home_staff": user is not None and user.member_id == DEFAULT_MEMBER}


def register() -> Blueprint:
    """Import the route modules (they attach to bp) and return the blueprint."""
    from webapp.coalition import routes as coalition_routes  # noqa: F401
    from webapp.editor import history, imports  # noqa: F401
    from webapp.editor import routes as editor_routes  # noqa: F401
    from webapp.referrals import routes as referral_routes  # noqa: F401
    from webapp.space import routes as space_routes  # noqa: F401
    from webapp.staff import campaigns, inbox, invites, reports, routes, stats  # noqa: F401

    return bp
