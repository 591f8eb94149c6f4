"""The tip form and the receipt forms (WTForms; no CSRF cookie on public pages)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    Form,
    HiddenField,
    MultipleFileField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from webapp import digits
from webapp.forms import (
    MAX_SHORT,
    MAX_TEXT,
    TOO_LONG,
    MultiCheckboxField,
    at_least_one,
    no_control_chars,
    text,
)

KIND_CHOICES = [
    ("labour", _l("Forced or exploited labour")),
    ("sexual", _l("Sexual exploitation")),
    ("domestic", _l("Domestic servitude")),
    ("criminality", _l("Forced criminal activity (e.g. drugs, theft, begging)")),
    ("child", _l("A child being exploited")),
    ("other", _l("Something else")),
]


IDEMPOTENCY = Regexp(r"^[A-Za-z0-9_-]{16,64}$", message=_l("This form has expired. Please reload "
                                                          "the page and send it again."))


class TipForm(Form):
    """What was seen, where, when, who; photos; an optional safe way to reach the tipster."""

    kinds = MultiCheckboxField(
        _l("What did you see? Tick all that apply."),
        choices=[SelectChoice(v, label) for v, label in KIND_CHOICES],
        validators=[at_least_one])
    what = TextAreaField(_l("What happened? Describe what you saw or heard."), validators=[
        DataRequired(message=_l("Please describe what you saw.")),
        Length(max=MAX_TEXT, message=TOO_LONG),
        no_control_chars,
    ], render_kw={"autocomplete": "off", "maxlength": MAX_TEXT, "required": True})
    where = text(_l("Where? An address, a landmark or a description of the place."))
    country = text(_l("Country (optional)"), MAX_SHORT, area=False)
    city = text(_l("City or town (optional)"), MAX_SHORT, area=False)
    when = text(_l("When? A date, a time, or how often."), MAX_SHORT, area=False)
    people = text(_l("People: how many, ages, languages, descriptions"))
    places = text(_l("Places, vehicles (plates) or businesses involved"))
    photos = MultipleFileField(_l("Photos (optional, up to 3; JPEG, PNG or WebP, 10 MB each)"),
                               render_kw={"accept": "image/jpeg,image/png,image/webp"})
    contact = text(_l("A safe way to reach you (optional). Leave empty to stay unreachable."),
                   MAX_SHORT, area=False)
    # Which member organisation receives the tip, where the deployment offers a choice; the
    # route fills in the choices and checks the answer.
    recipient = RadioField(_l("Who should receive this tip?"), choices=[],
                           validate_choice=False)
    # Honeypot: hidden from people by CSS and aria-hidden; bots fill it in.
    website = StringField(_l("Leave this field empty"), validators=[Optional()],
                          render_kw={"autocomplete": "off", "tabindex": "-1"})
    idempotency_key = HiddenField(validators=[IDEMPOTENCY])


class ReceiptForm(Form):
    """Type the receipt: to check it was saved, or to open the thread."""

    receipt = StringField(_l("Your receipt number (16 digits)"), validators=[
        DataRequired(message=_l("Please type your receipt number.")),
        Length(max=40, message=_l("A receipt number has 16 digits.")),
    ], filters=[digits.field_filter],
        # Left to right like the printed receipt, whatever the page's direction: groups typed
        # on an Arabic page must not show in reverse order against what was written down.
        render_kw={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false",
                   "dir": "ltr"})


class ConfirmForm(ReceiptForm):
    """The receipt page's check: the form key lets us show the same receipt again."""

    idempotency_key = HiddenField(validators=[IDEMPOTENCY])


class ReplyForm(Form):
    """The tipster answers staff, optionally with one more photo."""

    receipt = HiddenField()
    message = TextAreaField(_l("Your reply"), validators=[
        Optional(),
        Length(max=MAX_TEXT, message=TOO_LONG),
        no_control_chars,
    ], render_kw={"autocomplete": "off", "maxlength": MAX_TEXT})
    photos = MultipleFileField(_l("Add a photo (optional)"),
                               render_kw={"accept": "image/jpeg,image/png,image/webp"})
