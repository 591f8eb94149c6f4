"""A listing's history with one-click revert, and its translations (see #9, item 1)."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for
from werkzeug.wrappers import Response

from webapp import i18n
from webapp.editor import forms, queries, services, snapshot
from webapp.editor.routes import expected_revision, listing_or_403, revision_or_400
from webapp.staff import auth, bp


@bp.route("/directory/<service_id>/history")
@auth.login_required
def listing_history(service_id: str) -> str:
    """Who changed what and when, field by field, newest first."""
    _, svc = listing_or_403(service_id)
    return render_template("editor/history.html", svc=svc, changes=queries.history(svc.id),
                           form=forms.RevisionForm(revision=svc.revision))


@bp.route("/directory/<service_id>/revert/<int:revision_id>", methods=["POST"])
@auth.login_required
def listing_revert(service_id: str, revision_id: int) -> Response:
    """Put the listing back as it was just before one change (itself a new change)."""
    user, svc = listing_or_403(service_id)
    outcome = services.revert(svc.id, revision_id, revision_or_400(forms.RevisionForm()), user,
                              current_app.config["HSDS_SCHEMA_DIR"])
    if outcome.conflict:
        return redirect(url_for("staff.listing_history", service_id=svc.id, stale=1))
    if not outcome.ok:
        abort(400)
    return redirect(url_for("staff.listing_history", service_id=svc.id, reverted=1))


@bp.route("/directory/<service_id>/translations/<lang>", methods=["GET", "POST"])
@auth.login_required
def listing_translation(service_id: str, lang: str) -> Response | tuple[str, int]:
    """Name, description and eligibility in one shipped language, machine or reviewed."""
    user, svc = listing_or_403(service_id)
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
            auth.now().date().isoformat() if form.reviewed.data else ""
        snap[snapshot.tr_key(target.tag, "reviewed_on")] = reviewed_on
        snap[snapshot.tr_key(target.tag, "reviewed_by")] = (
            tr["reviewed_by"] if keep else str(user.id) if form.reviewed.data else "")
        outcome = services.save(svc.id, snap, expected_revision(form), user,
                                current_app.config["HSDS_SCHEMA_DIR"], action="translated")
        if outcome.ok:
            return redirect(url_for("staff.listing_edit", service_id=svc.id, saved=1))
        if outcome.conflict:
            form.revision.data = str(outcome.conflict.revision)
    status = 409 if outcome and outcome.conflict else 400 if form.is_submitted() else 200
    return render_template("editor/translation.html", form=form, svc=svc, target=target,
                           source=base, outcome=outcome), status
