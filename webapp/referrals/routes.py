"""Referral pages in the staff area: refer a tip, the referrals list, one referral.

Only staff who read tips (admins, reviewers) of the two member organisations involved see a
referral; anyone else gets 403. Reading the content needs the member's own unlocked key.
"""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from nacl.exceptions import CryptoError
from werkzeug.wrappers import Response as WResponse
from wtforms.fields.choices import SelectChoice

from webapp.coalition import services as members
from webapp.models.staff import TIP_ROLES
from webapp.referrals import access, forms, services
from webapp.staff import auth
from webapp.staff.access import member_tip, opened_tip, unlocked_key
from webapp.staff.blueprints import staff_blueprint
from webapp.staff.users import staff_names
from webapp.tips.services import Thread

bp = staff_blueprint("referrals", __name__)

PROBLEMS = {
    "self": lambda: _("A tip cannot be referred to your own organisation."),
    "consent": lambda: _("Please say whether the person agreed."),
    "law_enforcement_consent": lambda: _(
        "A referral to law enforcement needs the person's agreement, or must be urgent."),
    "nothing": lambda: _("Choose at least one part of the tip to share."),
    "no_key": lambda: _("That organisation has no key yet, so nothing can be sealed to it."),
    "status": lambda: _("That change is not possible."),
    "closed": lambda: _("This referral is closed."),
}


def _refer_form(thread: Thread, tip_member: int) -> forms.ReferForm:
    form = forms.ReferForm()
    form.partner.choices = [SelectChoice("", "—")] + [
        SelectChoice(m.slug, f"{m.name} ({forms.kind_name(m.kind)})")
        for m in members.partners(tip_member)]
    form.fields.choices = [SelectChoice(f, forms.FIELD_LABELS[f]) for f in forms.FIELD_LABELS
                           if thread.content.get(f)]
    return form


@bp.route("/tips/<tip_id>/refer", methods=["GET", "POST"])
@auth.roles_required(*TIP_ROLES)
def refer(tip_id: str) -> WResponse | tuple[str, int]:
    """Choose a partner, what to share, why, and whether the person agreed."""
    tip = member_tip(tip_id)
    thread = opened_tip(tip)
    form = _refer_form(thread, tip.member_id)
    problem = ""
    if form.validate_on_submit():
        partner = members.by_slug(form.partner.data or "")
        user = auth.current_user()
        if partner is None:
            abort(400)
        try:
            ref = services.refer(thread, tip.member_id, partner, list(form.fields.data or []),
                                 bool(form.photos.data), form.reason.data or "",
                                 form.consent.data or "", user.id if user else None)
        except services.ReferralError as exc:
            problem = PROBLEMS[exc.code]()
        else:
            detail = f"to={partner.slug} kind={partner.kind} consent={ref.consent} " \
                     f"fields={ref.fields} photos={int(ref.with_photos)}"
            # A referral to law enforcement stands out in the log.
            action = "referral_to_law_enforcement" if partner.kind == "law-enforcement" \
                else "referral_sent"
            auth.audit(action, tip.id, detail)
            auth.audit("referral_received", tip_id=None, detail=f"referral={ref.id}",
                       member_id=partner.id)
            return redirect(url_for("referrals.view", referral_id=ref.id))
    status = 400 if form.is_submitted() else 200
    return render_template("referrals/refer.html", tip=tip, form=form,
                           problem=problem), status


@bp.route("/referrals", endpoint="list")
@auth.roles_required(*TIP_ROLES)
def referral_list() -> str:
    """Referrals this organisation received and sent, newest first."""
    received, sent = services.for_member(auth.member_id())
    return render_template("referrals/list.html", received=received, sent=sent,
                           members=members.names(), status_labels=forms.STATUS_LABELS)


def _move_form(which: str, current: str) -> forms.MoveForm:
    """The status buttons this side may press, each named by what it does (the status the
    referral already has is not offered again)."""
    form = forms.MoveForm()
    form.status.choices = [SelectChoice(s, forms.ACTION_LABELS[s])
                           for s in services.moves_for(which) if s != current]
    return form


@bp.route("/referrals/<referral_id>", endpoint="view")
@auth.roles_required(*TIP_ROLES)
def referral_view(referral_id: str) -> str:
    """One referral: its content with this side's key, the status history, this side's notes.
    """
    ref, which = access.referral(referral_id)
    keys = unlocked_key()
    opened = notes = None
    if keys is not None:
        try:
            opened = services.open_referral(ref, which, keys)
        except CryptoError:
            opened = None
        else:
            notes = services.read_notes(ref, auth.member_id(), keys)
            auth.audit("referral_read", ref.tip_id if which == "sender" else None,
                       f"referral={ref.id}")
    return render_template("referrals/view.html", ref=ref, which=which, opened=opened,
                           notes=notes, move=_move_form(which, ref.status),
                           note_form=forms.ReferralNoteForm(),
                           members=members.names(), kind_name=forms.kind_name,
                           status_labels=forms.STATUS_LABELS,
                           consent_labels=forms.CONSENT_LABELS,
                           field_labels=forms.FIELD_LABELS, names=staff_names())


@bp.route("/referrals/<referral_id>/status", methods=["POST"], endpoint="move")
@auth.roles_required(*TIP_ROLES)
def referral_move(referral_id: str) -> WResponse | tuple[str, int]:
    """Accept, decline, mark in progress or close (the sender can only close). The first POST
    only asks to confirm; the change is stored by the confirmation page's POST."""
    ref, which = access.referral(referral_id)
    form = _move_form(which, ref.status)
    if not form.validate_on_submit():
        abort(400)
    if ref.status == "closed":
        abort(409)
    status = form.status.data or ""
    if form.confirm.data != "1":
        # The other organisation sees a status at once: a stray tap must not send one.
        return render_template("referrals/confirm.html", ref=ref, status=status, form=form,
                               question=forms.CONFIRM_QUESTIONS[status],
                               action=forms.ACTION_LABELS[status], members=members.names(),
                               status_labels=forms.STATUS_LABELS), 200
    try:
        services.move(ref, auth.member_id(), status)
    except services.ReferralError:
        abort(409)
    auth.audit("referral_status", ref.tip_id if which == "sender" else None,
               f"referral={ref.id} status={ref.status}")
    return redirect(url_for("referrals.view", referral_id=ref.id))


@bp.route("/referrals/<referral_id>/note", methods=["POST"], endpoint="note")
@auth.roles_required(*TIP_ROLES)
def referral_note(referral_id: str) -> WResponse:
    """A note for this organisation only (the other side never sees it)."""
    ref, _which = access.referral(referral_id)
    if unlocked_key() is None:
        abort(403)
    form = forms.ReferralNoteForm()
    if not form.validate_on_submit():
        abort(400)
    user = auth.current_user()
    services.add_note(ref, auth.member_id(), user.id if user else None, form.note.data or "")
    auth.audit("referral_note", None, f"referral={ref.id}")
    return redirect(url_for("referrals.view", referral_id=ref.id))


@bp.route("/referrals/<referral_id>/photos/<photo_id>", endpoint="photo")
@auth.roles_required(*TIP_ROLES)
def referral_photo(referral_id: str, photo_id: str) -> Response:
    """A referred photo, decrypted with this side's key (never cached)."""
    ref, which = access.referral(referral_id)
    keys = unlocked_key()
    if keys is None:
        abort(403)
    try:
        opened = services.open_referral(ref, which, keys)
    except CryptoError:
        abort(403)
    found = services.photo(ref, opened, photo_id[:32])
    if found is None:
        abort(404)
    data, media = found
    return Response(data, mimetype=media, headers={"Content-Disposition": "inline"})
