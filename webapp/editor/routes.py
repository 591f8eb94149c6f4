"""The directory editor under /staff/directory (see #9, items 1-3). Thin: parse, call
services, render. Works without JavaScript; an org-editor reaches only their listings."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from webapp import i18n
from webapp.directory import taxonomy
from webapp.editor import access, forms, org_names, queries, services, snapshot
from webapp.extensions import db
from webapp.models import Organization, Service, StaffUser
from webapp.staff import auth, bp


def editor() -> StaffUser:
    """The signed-in editor, or a 403 for roles that do not edit listings."""
    user = auth.current_user()
    if user is None or not access.may_edit_directory(user):
        abort(403)
    return user


def listing_or_403(service_id: str) -> tuple[StaffUser, Service]:
    """The listing, when this person may edit it (404 when there is none)."""
    user = editor()
    svc = db.session.get(Service, service_id[:64])
    if svc is None:
        abort(404)
    if not access.may_edit(user, svc):
        abort(403)
    return user, svc


@bp.route("/directory")
@auth.login_required
def directory() -> str:
    """Every listing this person may edit, filtered."""
    user = editor()
    a = request.args
    f = queries.Filters(q=a.get("q", "")[:200], organization=a.get("organization", "")[:64],
                        category=a.get("category", ""), stale=a.get("stale") == "1",
                        reported=a.get("reported") == "1", recent=a.get("recent") == "1",
                        page=a.get("page", 1, type=int) or 1)
    rows, total = queries.listings(f, user)
    orgs = org_names.options(access.organizations(user))
    return render_template("editor/list.html", rows=rows, total=total, f=f,
                           orgs=orgs, pages=-(-total // queries.PER_PAGE),
                           categories=[t for t in taxonomy.CATEGORY_TERMS],
                           stale_before=queries.stale_before())


@bp.route("/directory/verify")
@auth.login_required
def verify_queue() -> str:
    """Listings to check again, most urgent first."""
    user = editor()
    return render_template("editor/verify.html", rows=queries.verify_queue(user),
                           form=forms.RevisionForm())


def _org_choices(form: forms.ListingForm, user: StaffUser) -> dict[str, str]:
    found = access.organizations(user)
    orgs = {o.id: o.name for o in found}
    everything = access.whole_directory(user)
    form.organization.choices = [("", "—")] * everything + org_names.options(found)
    if not everything:  # only their own organisation; no new one
        del form.new_organization
    return orgs


def _organisation(form: forms.ListingForm, orgs: dict[str, str]) -> tuple[str, str] | None:
    """(id, name) of the chosen or new organisation; None after marking the field."""
    new = (form.new_organization.data or "").strip() if form.new_organization else ""
    if new:
        return "", new
    if form.organization.data in orgs:
        return form.organization.data, orgs[form.organization.data]
    form.organization.errors = [_("Choose the organisation, or name a new one.")]
    return None


def _show_outcome(form: forms.ListingForm, outcome: services.Outcome) -> None:
    for name, errors in outcome.field_errors.items():
        target = getattr(form, name, None)
        if target is not None:
            target.errors = [*target.errors, *errors]
    if outcome.conflict:
        form.revision.data = str(outcome.conflict.revision)


def _edit(user: StaffUser, svc: Service | None) -> Response | tuple[str, int]:
    form = forms.ListingForm()
    orgs = _org_choices(form, user)
    base = snapshot.of(svc) if svc is not None else {"status": "active"}
    outcome = None
    if not form.is_submitted():
        form.fill(base)
        form.revision.data = str(svc.revision) if svc else ""
        if svc is None and not access.whole_directory(user):
            form.organization.data = access.listing_scope(user)
    elif form.validate_on_submit():
        org = _organisation(form, orgs)
        if org is not None:
            snap = form.to_snapshot(base, org[1])
            snap["organization_id"] = org[0]
            outcome = services.save(svc.id if svc else None, snap, expected_revision(form),
                                    user, current_app.config["HSDS_SCHEMA_DIR"])
            if outcome.ok:
                return redirect(url_for("staff.listing_edit", service_id=outcome.service_id,
                                        saved=1))
            _show_outcome(form, outcome)
    status = 409 if outcome and outcome.conflict else 400 if form.is_submitted() else 200
    return render_template("editor/edit.html", form=form, svc=svc, outcome=outcome,
                           locales=i18n.LOCALES, trs=snapshot.translations(base),
                           saved=request.args.get("saved") == "1",
                           action_form=forms.RevisionForm(revision=svc.revision if svc else 0),
                           ), status


@bp.route("/directory/new", methods=["GET", "POST"])
@auth.login_required
def listing_new() -> Response | tuple[str, int]:
    """A new listing."""
    return _edit(editor(), None)


@bp.route("/directory/<service_id>", methods=["GET", "POST"])
@auth.login_required
def listing_edit(service_id: str) -> Response | tuple[str, int]:
    """Edit one listing; a save based on an old revision is refused, the input kept."""
    user, svc = listing_or_403(service_id)
    return _edit(user, svc)


def expected_revision(form: forms.ListingForm | forms.TranslationForm
                      | forms.RevisionForm) -> int | None:
    """The revision the page showed, if the form carried one."""
    data = form.revision.data or ""
    return int(data) if data.isdigit() else None


def revision_or_400(form: forms.RevisionForm) -> int:
    """The revision a one-click action (verify, retire, undo) started from."""
    expected = expected_revision(form)
    if not form.validate_on_submit() or expected is None:
        abort(400)
    return expected


def _after(outcome: services.Outcome, service_id: str, done: str) -> Response:
    if outcome.conflict:
        return redirect(url_for("staff.listing_edit", service_id=service_id, stale=1))
    if not outcome.ok:
        abort(400)
    return redirect(url_for("staff.listing_edit", service_id=service_id) + f"?{done}=1")


@bp.route("/directory/<service_id>/verify", methods=["POST"])
@auth.login_required
def listing_verify(service_id: str) -> Response:
    """"Still accurate": today's date and the assurer."""
    user, svc = listing_or_403(service_id)
    org = db.session.get(Organization, user.organization_id) if user.organization_id else None
    assurer = org.name if org else (current_app.config["HAVEN_ORG_NAME"]
                                    or current_app.config["HAVEN_APP_NAME"])
    outcome = services.verify(svc.id, revision_or_400(forms.RevisionForm()), user, assurer,
                              org.email if org else None)
    if request.form.get("next") == "queue" and outcome.ok:
        return redirect(url_for("staff.verify_queue"))
    return _after(outcome, svc.id, "verified")


@bp.route("/directory/<service_id>/retire", methods=["POST"])
@auth.login_required
def listing_retire(service_id: str) -> Response:
    """Hide a listing from the public (status inactive); nothing is deleted."""
    user, svc = listing_or_403(service_id)
    outcome = services.retire(svc.id, revision_or_400(forms.RevisionForm()), user)
    return _after(outcome, svc.id, "retired")
