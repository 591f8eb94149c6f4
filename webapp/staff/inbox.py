"""The inbox: list and filter tips, read one (after unlocking), act on it, export it."""

from __future__ import annotations

import contextlib

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from nacl.exceptions import CryptoError
from sqlalchemy import select
from werkzeug.wrappers import Response as WResponse
from wtforms.fields.choices import SelectChoice

from webapp.coalition import services as members
from webapp.extensions import db
from webapp.forms import EmptyForm
from webapp.models import StaffUser, Tip
from webapp.models.staff import TIP_ROLES
from webapp.models.tips import KINDS, STATUSES
from webapp.referrals import forms as referral_forms
from webapp.referrals import services as referrals
from webapp.staff import auth, forms
from webapp.staff.access import member_tip, opened_tip, readable, unlocked_key
from webapp.staff.blueprints import staff_blueprint
from webapp.staff.users import staff_names
from webapp.tips import services

bp = staff_blueprint("inbox", __name__)

PER_PAGE = 50


def _staff_choices() -> list[SelectChoice]:
    people = db.session.scalars(select(StaffUser).where(StaffUser.active.is_(True),
                                                        StaffUser.member_id == auth.member_id())
                                .order_by(StaffUser.username)).all()
    return [SelectChoice("", _("Nobody")), *(SelectChoice(str(p.id), p.username) for p in people)]


@bp.route("/", endpoint="list")
@auth.roles_required(*TIP_ROLES)
def inbox() -> str:
    """Newest first; filter by kind, status and assignee. Metadata only: no unlock needed."""
    stmt = select(Tip).where(Tip.member_id == auth.member_id()).order_by(Tip.created_hour.desc(),
                                                                     Tip.id)
    kind = request.args.get("kind", "")
    status = request.args.get("status", "")
    assignee = request.args.get("assignee", "")
    if kind in KINDS:
        stmt = stmt.where(Tip.kinds.contains(kind))
    if status in STATUSES:
        stmt = stmt.where(Tip.status == status)
    if assignee == "me":
        user = auth.current_user()
        stmt = stmt.where(Tip.assignee_id == (user.id if user else -1))
    elif assignee == "none":
        stmt = stmt.where(Tip.assignee_id.is_(None))
    tips = db.session.scalars(stmt.limit(PER_PAGE)).all()
    names = staff_names()
    key = unlocked_key()
    # Unlocked: each row shows the tip's language and the start of its text.
    summaries = {}
    if key is not None:
        for t in tips:
            with contextlib.suppress(CryptoError):  # sealed to a key this unlock did not open
                summaries[t.id] = services.summarise(t, key)
    return render_template("staff/inbox.html", tips=tips, names=names, kind=kind, status=status,
                           assignee=assignee, kinds=KINDS, unlocked=key is not None,
                           summaries=summaries, empty=EmptyForm())


@bp.route("/tips/<tip_id>")
@auth.roles_required(*TIP_ROLES)
def tip_view(tip_id: str) -> str:
    """One tip: content, photos, thread and notes need the unlocked key."""
    tip = member_tip(tip_id)
    key = unlocked_key()
    thread = notes = None
    if key is not None and (thread := readable(tip, key)) is not None:
        notes = services.read_notes(tip, key)
        auth.audit("tip_read", tip.id)
        services.mark_read(tip)
    assign = forms.AssignForm(assignee=str(tip.assignee_id or ""))
    assign.assignee.choices = _staff_choices()
    return render_template("staff/tip.html", tip=tip, thread=thread, notes=notes,
                           referrals=referrals.of_tip(tip.id), member_names=members.names(),
                           referral_status=lambda s: referral_forms.STATUS_LABELS[s],
                           status_form=forms.StatusForm(status=tip.status), assign_form=assign,
                           note_form=forms.NoteForm(), message_form=forms.MessageForm(),
                           names=staff_names())


def _back(tip: Tip) -> WResponse:
    return redirect(url_for("inbox.tip_view", tip_id=tip.id))


@bp.route("/tips/<tip_id>/status", methods=["POST"])
@auth.roles_required(*TIP_ROLES)
def set_status(tip_id: str) -> WResponse:
    """Move the tip along (received → in review → referred → closed)."""
    tip = member_tip(tip_id)
    form = forms.StatusForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_status(tip, form.status.data or tip.status)
    auth.audit("status", tip.id, f"status={tip.status}")  # commits the change with its entry
    return _back(tip)


@bp.route("/tips/<tip_id>/assign", methods=["POST"])
@auth.roles_required(*TIP_ROLES)
def assign(tip_id: str) -> WResponse:
    """Give the tip to a colleague (or to nobody)."""
    tip = member_tip(tip_id)
    form = forms.AssignForm()
    form.assignee.choices = _staff_choices()
    if not form.validate_on_submit():
        abort(400)
    services.assign(tip, int(form.assignee.data) if form.assignee.data else None)
    auth.audit("assign", tip.id, f"assignee={tip.assignee_id}")  # commits both together
    return _back(tip)


@bp.route("/tips/<tip_id>/note", methods=["POST"])
@auth.roles_required(*TIP_ROLES)
def note(tip_id: str) -> WResponse:
    """An internal note (the tipster never sees it)."""
    tip = member_tip(tip_id)
    opened_tip(tip)  # a note is sealed to the tip's key: only for a tip this unlock opens
    form = forms.NoteForm()
    if not form.validate_on_submit():
        abort(400)
    user = auth.current_user()
    services.add_note(tip, user.id if user else 0, form.note.data or "")
    auth.audit("note", tip.id)
    return _back(tip)


@bp.route("/tips/<tip_id>/message", methods=["POST"])
@auth.roles_required(*TIP_ROLES)
def message(tip_id: str) -> WResponse:
    """A message the tipster reads with their receipt."""
    tip = member_tip(tip_id)
    thread = opened_tip(tip)
    form = forms.MessageForm()
    if not form.validate_on_submit():
        abort(400)
    services.add_message(thread, "staff", form.message.data or "", [])
    auth.audit("message", tip.id)
    return _back(tip)


@bp.route("/tips/<tip_id>/photos/<photo_id>")
@auth.roles_required(*TIP_ROLES)
def photo(tip_id: str, photo_id: str) -> Response:
    """A decrypted photo (never cached)."""
    thread = opened_tip(member_tip(tip_id))
    found = thread.photo(photo_id[:32])
    if found is None:
        abort(404)
    auth.audit("photo_viewed", thread.tip.id)
    data, media = found
    return Response(data, mimetype=media, headers={"Content-Disposition": "inline"})


@bp.route("/tips/<tip_id>/export.pdf")
@auth.roles_required(*TIP_ROLES)
def export_pdf(tip_id: str) -> Response:
    """One tip as a PDF for a referral to law enforcement."""
    thread = opened_tip(member_tip(tip_id))
    from webapp.staff import pdf  # fpdf2 loads on the first export, not at start

    body = pdf.tip_pdf(thread)
    auth.audit("export_pdf", thread.tip.id)
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="tip-{thread.tip.id[:8]}.pdf"'})
