"""Referral forms. Flask-WTF adds a CSRF token to every one."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from webapp.forms import MAX_TEXT, REQUIRED, TOO_LONG, MultiCheckboxField, no_control_chars
from webapp.models.coalition import CONSENTS

CONSENT_LABELS = {
    "agreed": _l("The person agreed to this referral"),
    "urgent": _l("Not asked: it is urgent"),
    "not_applicable": _l("Not applicable (no person to ask)"),
}
STATUS_LABELS = {
    "sent": _l("Sent"),
    "accepted": _l("Accepted"),
    "in_progress": _l("In progress"),
    "declined": _l("Declined"),
    "closed": _l("Closed"),
}
# Each button names what it does, not the status it leaves behind.
ACTION_LABELS = {
    "accepted": _l("Accept referral"),
    "in_progress": _l("Mark in progress"),
    "declined": _l("Decline referral"),
    "closed": _l("Close referral"),
}
# Asked before the change is stored: the other organisation sees every status at once.
CONFIRM_QUESTIONS = {
    "accepted": _l("Accept this referral? The organisation that sent it will see that you "
                   "accepted it."),
    "in_progress": _l("Mark this referral in progress? The organisation that sent it will see "
                      "this status."),
    "declined": _l("Decline this referral? The organisation that sent it will see that you "
                   "declined it."),
    "closed": _l("Close this referral? Once it is closed, neither organisation can change its "
                 "status again."),
}
# Staff words for the parts of a tip a referral carries (the tip form asks the tipster).
FIELD_LABELS = {
    "what": _l("What the tipster reported"),
    "where": _l("Where it happened"),
    "city": _l("City or town"),
    "country": _l("Country"),
    "when": _l("When it happened"),
    "people": _l("People involved"),
    "places": _l("Places, vehicles or businesses involved"),
    "contact": _l("How to reach the tipster"),
}


class ReferForm(FlaskForm):
    """Refer a tip, or part of it, to a partner (choices filled in by the view)."""

    partner = SelectField(_l("Refer to"), choices=[], validate_choice=True,
                          validators=[DataRequired(REQUIRED)])
    fields = MultiCheckboxField(_l("What to share"), choices=[], validate_choice=True)
    photos = BooleanField(_l("Share the photos too"))
    reason = TextAreaField(_l("Why this referral?"), validators=[
        DataRequired(REQUIRED), Length(max=MAX_TEXT, message=TOO_LONG), no_control_chars])
    consent = RadioField(_l("Did the person agree?"),
                         choices=[SelectChoice(c, CONSENT_LABELS[c]) for c in CONSENTS],
                         validators=[DataRequired(_l("Please say whether the person agreed."))])


class MoveForm(FlaskForm):
    """A status change (the buttons carry the status); stored only once `confirm` is "1", sent
    by the confirmation page."""

    status = SelectField(_l("Status"), choices=[], validate_choice=True,
                         validators=[DataRequired(REQUIRED)])
    confirm = HiddenField()


class ReferralNoteForm(FlaskForm):
    """A note only this organisation reads."""

    note = TextAreaField(_l("Note for your organisation only"), validators=[
        DataRequired(REQUIRED), Length(max=MAX_TEXT, message=TOO_LONG), no_control_chars])


def kind_name(kind: str) -> str:
    """A member kind in words."""
    return {
        "ngo": _("NGO"), "shelter": _("Shelter"), "legal": _("Legal aid"),
        "health": _("Health"), "hotline": _("Hotline"),
        "law-enforcement": _("Law enforcement"),
    }.get(kind, kind)
