"""The factory for staff blueprints: each staff feature (accounts, inbox, editor, referrals,
shelter space, ...) owns a blueprint under /staff made here, so every staff page speaks the
browser's language and knows who is signed in, as `i18n.locale_blueprint` does for public
pages."""

from __future__ import annotations

from flask import Blueprint, g, request

from webapp import i18n
from webapp.editor import access
from webapp.forms import EmptyForm
from webapp.models.coalition import DEFAULT_MEMBER
from webapp.staff import auth


def staff_locale() -> None:
    """Staff pages speak the browser's language (no cookie needed for that)."""
    g.locale_info = i18n.best_match(request.headers.get("Accept-Language"))


def staff_context() -> dict[str, object]:
    """Who is signed in, and the token-only form the navigation's sign-out button needs."""
    user = auth.current_user()
    # formdata=None: this form is only drawn (its CSRF token); reading the request here would
    # parse a malformed JSON body inside the error page that reports it (a 500).
    return {"staff_user": user, "empty_form": EmptyForm(formdata=None),
            "edits_listings": access.may_edit_directory(user),
            "home_staff": user is not None and user.member_id == DEFAULT_MEMBER}


def staff_blueprint(name: str, import_name: str, url_prefix: str = "/staff") -> Blueprint:
    """A blueprint for one staff feature: its pages in the browser's language, and the
    signed-in person and the sign-out form in each of its templates."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.before_request(staff_locale)
    bp.context_processor(staff_context)
    return bp
