"""Referral forms. Flask-WTF adds a CSRF token to every one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from webapp.models.coalition import CONSENTS
from webapp.staff.forms import REQUIRED, TOO_LONG
from webapp.tips.forms import MAX_TEXT, MultiCheckboxField, no_control_chars

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
# The tip's own questions name its fields, as on the tip page.
FIELD_LABELS = {
    "what": _l("What happened? Describe what you saw or heard."),
    "where": _l("Where? An address, a landmark or a description of the place."),
    "city": _l("City or town (optional)"),
    "country": _l("Country (optional)"),
    "when": _l("When? A date, a time, or how often."),
    "people": _l("People: how many, ages, languages, descriptions"),
    "places": _l("Places, vehicles (plates) or businesses involved"),
    "contact": _l("A safe way to reach you (optional). Leave empty to stay unreachable."),
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
    """A status change (the buttons carry the status)."""

    status = SelectField(_l("Status"), choices=[], validate_choice=True,
                         validators=[DataRequired(REQUIRED)])


class ReferralNoteForm(FlaskForm):
    """A note only this organisation reads."""

    note = TextAreaField(_l("Note for your organisation only"), validators=[
        DataRequired(REQUIRED), Length(max=MAX_TEXT, message=TOO_LONG), no_control_chars])
