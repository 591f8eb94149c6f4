"""The report form: what is wrong, and optional words. No name, no contact, no CSRF cookie."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Form, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from webapp.forms import no_control_chars

MAX_NOTE = 1000

KIND_CHOICES = [
    ("wrong_phone", _l("A phone number is wrong")),
    ("closed", _l("It has closed or stopped this service")),
    ("moved", _l("It has moved")),
    ("other", _l("Something else")),
]


class ReportForm(Form):
    """What is wrong with one listing."""

    kind = RadioField(
        _l("What is wrong?"), choices=[SelectChoice(v, label) for v, label in KIND_CHOICES],
        validate_choice=False,  # AnyOf says it in the reader's language (WTForms has no ti)
        validators=[
            InputRequired(message=_l("Please choose what is wrong.")),
            AnyOf([v for v, _label in KIND_CHOICES], message=_l("Please choose what is wrong.")),
        ])
    note = TextAreaField(_l("Anything that would help us fix it (optional)"), validators=[
        Optional(),
        Length(max=MAX_NOTE, message=_l("This is too long: at most %(max)d characters.")),
        no_control_chars,
    ], render_kw={"autocomplete": "off", "maxlength": MAX_NOTE, "rows": 4})
