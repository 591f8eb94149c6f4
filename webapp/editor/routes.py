"""The directory editor under /staff/directory: the listings, one listing's edits, its
history with one-click revert and its translations, and the spreadsheet upload (preview, then
import). Thin: parse, call services, render. Works without JavaScript; an org-editor reaches
only their listings."""

from __future__ import annotations

import base64
import binascii

from flask import abort, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from webapp import clock, i18n
from webapp.directory import presenters, taxonomy
from webapp.editor import access, forms, org_names, queries, services, snapshot
from webapp.exchange import importer, sheets
from webapp.extensions import db
from webapp.models import Organization, Service, StaffUser
from webapp.staff import auth
from webapp.staff.blueprints import staff_blueprint

bp = staff_blueprint("editor", __name__)


@bp.context_processor
def sync_context() -> dict[str, object]:
    """editor/_sync_origin.html's conflicts: the value here beside the source's."""
    return {"sync_conflicts": queries.sync_conflicts}


@bp.route("/directory")
@auth.login_required
def directory() -> str:
    """Every listing this person may edit, filtered."""
    user = access.editor()
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
    user = access.editor()
    # Back from "Still accurate" on one of its rows: say so, naming the listing (it has left
    # the queue, so nothing else on the page shows it worked).
    done = access.visible_listing(user, request.args.get("verified", ""))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 10_000)
    rows, total = queries.verify_queue(user, page)
    return render_template("editor/verify.html", rows=rows, total=total, page=page,
                           pages=-(-total // queries.PER_PAGE), form=forms.RevisionForm(),
                           verified=done, phones_of=presenters.phone_views)


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
            outcome = services.save(svc.id if svc else None, snap, forms.expected_revision(form),
                                    user, current_app.config["HSDS_SCHEMA_DIR"])
            if outcome.ok:
                return redirect(url_for("editor.listing_edit", service_id=outcome.service_id,
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
    return _edit(access.editor(), None)


@bp.route("/directory/<service_id>", methods=["GET", "POST"])
@auth.login_required
def listing_edit(service_id: str) -> Response | tuple[str, int]:
    """Edit one listing; a save based on an old revision is refused, the input kept."""
    user, svc = access.listing_or_403(service_id)
    return _edit(user, svc)


def _after(outcome: services.Outcome, service_id: str, done: str) -> Response:
    if outcome.conflict:
        return redirect(url_for("editor.listing_edit", service_id=service_id, stale=1))
    if not outcome.ok:
        abort(400)
    return redirect(url_for("editor.listing_edit", service_id=service_id) + f"?{done}=1")


@bp.route("/directory/<service_id>/verify", methods=["POST"])
@auth.login_required
def listing_verify(service_id: str) -> Response:
    """"Still accurate": today's date and the assurer."""
    user, svc = access.listing_or_403(service_id)
    org = db.session.get(Organization, user.organization_id) if user.organization_id else None
    assurer = org.name if org else (current_app.config["HAVEN_ORG_NAME"]
                                    or current_app.config["HAVEN_APP_NAME"])
    outcome = services.verify(svc.id, forms.revision_or_400(forms.RevisionForm()), user, assurer,
                              org.email if org else None)
    if request.form.get("next") == "queue" and outcome.ok:
        return redirect(url_for("editor.verify_queue", verified=svc.id))
    return _after(outcome, svc.id, "verified")


@bp.route("/directory/<service_id>/retire", methods=["POST"])
@auth.login_required
def listing_retire(service_id: str) -> Response:
    """Hide a listing from the public (status inactive); nothing is deleted."""
    user, svc = access.listing_or_403(service_id)
    outcome = services.retire(svc.id, forms.revision_or_400(forms.RevisionForm()), user)
    return _after(outcome, svc.id, "retired")


@bp.route("/directory/<service_id>/history")
@auth.login_required
def listing_history(service_id: str) -> str:
    """Who changed what and when, field by field, newest first."""
    _, svc = access.listing_or_403(service_id)
    return render_template("editor/history.html", svc=svc, changes=queries.history(svc.id),
                           form=forms.RevisionForm(revision=svc.revision))


@bp.route("/directory/<service_id>/revert/<int:revision_id>", methods=["POST"])
@auth.login_required
def listing_revert(service_id: str, revision_id: int) -> Response:
    """Put the listing back as it was just before one change (itself a new change)."""
    user, svc = access.listing_or_403(service_id)
    expected = forms.revision_or_400(forms.RevisionForm())
    outcome = services.revert(svc.id, revision_id, expected, user,
                              current_app.config["HSDS_SCHEMA_DIR"])
    if outcome.conflict:
        return redirect(url_for("editor.listing_history", service_id=svc.id, stale=1))
    if not outcome.ok:
        abort(400)
    return redirect(url_for("editor.listing_history", service_id=svc.id, reverted=1))


@bp.route("/directory/<service_id>/translations/<lang>", methods=["GET", "POST"])
@auth.login_required
def listing_translation(service_id: str, lang: str) -> Response | tuple[str, int]:
    """Name, description and eligibility in one shipped language, machine or reviewed."""
    user, svc = access.listing_or_403(service_id)
    target = i18n.BY_TAG.get(lang)
    if target is None:
        abort(404)
    base = snapshot.of(svc)
    tr = snapshot.translations(base).get(target.tag, {f: "" for f in snapshot.TR_FIELDS})
    form = forms.TranslationForm()
    outcome = None
    if not form.is_submitted():
        form.name.data, form.description.data = tr["name"], tr["description"]
        form.eligibility.data = tr["eligibility"]
        form.reviewed.data = bool(tr["reviewed_on"])
        form.revision.data = str(svc.revision)
    elif form.validate_on_submit():
        snap = dict(base)
        for name in ("name", "description", "eligibility"):
            snap[snapshot.tr_key(target.tag, name)] = (getattr(form, name).data or "").strip()
        keep = form.reviewed.data and tr["reviewed_on"] and not any(
            (getattr(form, n).data or "").strip() != tr[n]
            for n in ("name", "description", "eligibility"))
        reviewed_on = tr["reviewed_on"] if keep else \
            clock.now().date().isoformat() if form.reviewed.data else ""
        snap[snapshot.tr_key(target.tag, "reviewed_on")] = reviewed_on
        snap[snapshot.tr_key(target.tag, "reviewed_by")] = (
            tr["reviewed_by"] if keep else str(user.id) if form.reviewed.data else "")
        outcome = services.save(svc.id, snap, forms.expected_revision(form), user,
                                current_app.config["HSDS_SCHEMA_DIR"], action="translated")
        if outcome.ok:
            return redirect(url_for("editor.listing_edit", service_id=svc.id, saved=1))
        if outcome.conflict:
            form.revision.data = str(outcome.conflict.revision)
    status = 409 if outcome and outcome.conflict else 400 if form.is_submitted() else 200
    return render_template("editor/translation.html", form=form, svc=svc, target=target,
                           source=base, outcome=outcome), status


@bp.route("/directory/import/template.csv")
@auth.admin_required
@auth.home_required
def sheet_template() -> Response:
    """The column headers and one example row."""
    resp = make_response(sheets.template_csv())
    resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    resp.headers["Content-Disposition"] = "attachment; filename=haven-directory-template.csv"
    return resp


def _page(status: int = 200, **ctx: object) -> tuple[str, int]:
    return render_template("editor/import.html", columns=sheets.COLUMNS,
                           upload=ctx.pop("upload", forms.SheetUploadForm()), **ctx), status


@bp.route("/directory/import", methods=["GET", "POST"])
@auth.admin_required
@auth.home_required
def sheet_import() -> tuple[str, int]:
    """Upload a sheet and see, row by row, what importing it would do."""
    upload = forms.SheetUploadForm()
    if not upload.validate_on_submit():
        return _page(400 if upload.is_submitted() else 200, upload=upload)
    file = upload.sheet.data
    filename = (file.filename or "").rsplit("/", 1)[-1]
    data = file.read(forms.MAX_SHEET_BYTES + 1)
    if not filename.lower().endswith((".csv", ".xlsx")):
        return _page(400, upload=upload, problem=_("Please choose a .csv or .xlsx file."))
    if len(data) > forms.MAX_SHEET_BYTES:
        return _page(400, upload=upload, problem=_(
            "This file is larger than 2 MB. Please split the sheet."))
    plan, rows = services.plan_bytes(data, filename, current_app.config["HSDS_SCHEMA_DIR"])
    db.session.rollback()
    confirm = None
    if rows is not None and (plan.count("new") or plan.count("changed")):
        confirm = forms.SheetConfirmForm(filename=filename,
                                         content=base64.b64encode(data).decode())
    return _page(200 if rows is not None else 400, plan=plan, confirm=confirm,
                 filename=filename)


@bp.route("/directory/import/confirm", methods=["POST"])
@auth.admin_required
@auth.home_required
def sheet_import_confirm() -> tuple[str, int]:
    """Check the previewed file again and write it, all or nothing."""
    form = forms.SheetConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        data = base64.b64decode(form.content.data or "", validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    filename = form.filename.data or "sheet.csv"
    plan, rows = services.plan_bytes(data, filename, current_app.config["HSDS_SCHEMA_DIR"])
    if rows is None:
        db.session.rollback()
        return _page(400, plan=plan, filename=filename)
    count = importer.commit_rows(rows)
    auth.audit("sheet_imported", detail=f"new={plan.count('new')} "
                                        f"changed={plan.count('changed')} written={count}")
    return _page(200, plan=plan, filename=filename, imported=count)
