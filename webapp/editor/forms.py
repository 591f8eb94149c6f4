"""Editor forms (Flask-WTF: a CSRF token on every one). The listing form's fields are the
spreadsheet columns, so a save is checked by the same rules as a sheet import."""

from __future__ import annotations

import zoneinfo

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FileField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp import digits
from webapp.directory import hours, taxonomy
from webapp.directory.presenters import mail_address, web_link
from webapp.editor import snapshot
from webapp.exchange import sheets
from webapp.forms import REQUIRED, TOO_LONG

MAX_SHEET_BYTES = 2 * 1024 * 1024
SHEET_NAME = r"^[^/\\]{1,200}\.(csv|xlsx)$"
AUTO = {"dir": "auto"}  # a listing's text may be in any language


class SheetUploadForm(FlaskForm):
    """A .csv or .xlsx file to preview."""

    sheet = FileField(_l("Spreadsheet (.csv or .xlsx)"), validators=[
        DataRequired(message=_l("Please choose a .csv or .xlsx file."))],
        render_kw={"accept": ".csv,.xlsx"})


class SheetConfirmForm(FlaskForm):
    """The previewed file, carried back unchanged, to import after a second look.

    Carrying the bytes (instead of keeping them on one server) works with several instances;
    the rows are checked again before anything is written.
    """

    filename = StringField(validators=[Regexp(SHEET_NAME, message=_l(
        "Please choose a .csv or .xlsx file."))])
    content = HiddenField(validators=[DataRequired()])


def _phones(form: FlaskForm, field: Field) -> None:
    for number in sheets._list(field.data or ""):
        if not sheets._PHONE.match(number) or sum(c.isdigit() for c in number) < 3:
            raise ValidationError(_l("“%(value)s” is not a phone number.", value=number))


def _coordinate(limit: float) -> object:
    def check(form: FlaskForm, field: Field) -> None:
        value = sheets.decimal(field.data or "") if (field.data or "").strip() else 0.0
        if value is None or not -limit <= value <= limit:
            raise ValidationError(_l("A number between -%(limit)d and %(limit)d.",
                                     limit=int(limit)))
    return check


def _hours(form: FlaskForm, field: Field) -> None:
    try:
        hours.parse_opening_hours(field.data or "")
    except hours.HoursError as exc:
        raise ValidationError(_l("Write hours like “Mo-Fr 09:00-17:00; Sa 10:00-14:00” or "
                                 "“24/7”.")) from exc


def _zone(form: FlaskForm, field: Field) -> None:
    if (field.data or "").strip() and field.data.strip() not in zoneinfo.available_timezones():
        raise ValidationError(_l("A time zone name such as Europe/London."))


def _email(form: FlaskForm, field: Field) -> None:
    if (field.data or "").strip() and mail_address(field.data.strip()) is None:
        raise ValidationError(_l("This is not an e-mail address."))


def _website(form: FlaskForm, field: Field) -> None:
    if (field.data or "").strip() and web_link(field.data.strip()) is None:
        raise ValidationError(_l("A web address starting with https://"))


def _checkboxes(label: object, tax: str) -> SelectMultipleField:
    return SelectMultipleField(
        label, choices=[SelectChoice(t.code, t.label) for t in taxonomy.ALL_TERMS
                        if t.taxonomy == tax],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class ListingForm(FlaskForm):
    """One listing. Organisation choices are filled in by the view (an org-editor has one)."""

    organization = SelectField(_l("Organisation"), choices=[], validate_choice=False)
    new_organization = StringField(_l("Or a new organisation"),
                                   validators=[Length(max=200, message=TOO_LONG)], render_kw=AUTO)
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED),
                                               Length(max=300, message=TOO_LONG)], render_kw=AUTO)
    categories = _checkboxes(_l("Kind of help"), taxonomy.CATEGORIES)
    populations = _checkboxes(_l("For"), taxonomy.POPULATIONS)
    description = TextAreaField(_l("Description"), validators=[
        Length(max=5000, message=TOO_LONG)], render_kw=AUTO)
    eligibility = TextAreaField(_l("Who can use it"), validators=[
        Length(max=2000, message=TOO_LONG)], render_kw=AUTO)
    phone = StringField(_l("Phone"), validators=[_phones], filters=[digits.field_filter],
                        render_kw={"dir": "ltr"})
    sms = StringField(_l("SMS"), validators=[_phones], filters=[digits.field_filter],
                      render_kw={"dir": "ltr"})
    whatsapp = StringField(_l("WhatsApp"), validators=[_phones], filters=[digits.field_filter],
                           render_kw={"dir": "ltr"})
    languages = StringField(_l("Languages spoken (codes such as en;es)"),
                            validators=[Length(max=200, message=TOO_LONG)],
                      render_kw={"dir": "ltr"})
    confidential = BooleanField(_l("Confidential place (shelter, safe house): publish the city "
                                   "only"))
    address = StringField(_l("Street address"), validators=[Length(max=300, message=TOO_LONG)],
                          render_kw=AUTO)
    city = StringField(_l("City"), validators=[Length(max=200, message=TOO_LONG)],
                       render_kw=AUTO)
    region = StringField(_l("Region"), validators=[Length(max=200, message=TOO_LONG)],
                         render_kw=AUTO)
    postal_code = StringField(_l("Postal code"), validators=[Length(max=40, message=TOO_LONG)],
                              filters=[digits.field_filter], render_kw={"dir": "auto"})
    country = StringField(_l("Country code"), validators=[
        DataRequired(REQUIRED), Regexp(r"^[A-Za-z]{2}$", message=_l(
            "A two-letter country code such as US or GB."))], render_kw={"dir": "ltr"})
    latitude = StringField(_l("Latitude"), validators=[_coordinate(90)],
                           filters=[digits.field_filter],
                           render_kw={"dir": "ltr", "inputmode": "decimal"})
    longitude = StringField(_l("Longitude"), validators=[_coordinate(180)],
                            filters=[digits.field_filter],
                            render_kw={"dir": "ltr", "inputmode": "decimal"})
    hours = StringField(_l("Opening hours"), validators=[_hours], render_kw={"dir": "ltr"})
    timezone = StringField(_l("Time zone"), validators=[_zone], render_kw={"dir": "ltr"})
    free = BooleanField(_l("Free of charge"))
    fees = StringField(_l("Cost details"), validators=[Length(max=500, message=TOO_LONG)],
                       render_kw=AUTO)
    email = StringField(_l("E-mail"), validators=[_email], render_kw={"dir": "ltr"})
    website = StringField(_l("Website"), validators=[_website], render_kw={"dir": "ltr"})
    status = SelectField(_l("Status"), choices=[
        SelectChoice("active", _l("Open")),
        SelectChoice("temporarily closed", _l("Temporarily closed")),
        SelectChoice("inactive", _l("Retired (hidden from the public)"))])
    revision = HiddenField()

    def fill(self, snap: snapshot.Snapshot) -> None:
        """Show a stored listing."""
        for name in sheets.COLUMNS + snapshot.EXTRA:
            if name in ("organization", "categories", "populations", "confidential", "free"):
                continue
            getattr(self, name).data = snap.get(name, "")
        self.organization.data = snap.get("organization_id", "")
        self.categories.data = sheets._list(snap.get("categories", ""))
        self.populations.data = sheets._list(snap.get("populations", ""))
        self.confidential.data = snap.get("confidential") == "yes"
        self.free.data = snap.get("free") == "yes"

    def to_snapshot(self, base: snapshot.Snapshot, org_name: str) -> snapshot.Snapshot:
        """The stored listing with this form's fields in place (translations untouched)."""
        out = dict(base)
        for name in sheets.COLUMNS + snapshot.EXTRA:
            field = getattr(self, name, None)
            if field is not None and isinstance(field.data, str):
                out[name] = field.data.strip()
        out["organization"] = org_name
        out["organization_id"] = self.organization.data or ""
        out["categories"] = ";".join(self.categories.data or [])
        out["populations"] = ";".join(self.populations.data or [])
        out["confidential"] = "yes" if self.confidential.data else "no"
        out["free"] = "yes" if self.free.data else "no"
        out["country"] = out.get("country", "").upper()
        return out


class TranslationForm(FlaskForm):
    """A listing's name, description and eligibility in one language."""

    name = StringField(_l("Name"), validators=[Optional(), Length(max=300, message=TOO_LONG)])
    description = TextAreaField(_l("Description"), validators=[
        Length(max=5000, message=TOO_LONG)])
    eligibility = TextAreaField(_l("Who can use it"), validators=[
        Length(max=2000, message=TOO_LONG)])
    reviewed = BooleanField(_l("A person who reads this language checked this translation"))
    revision = HiddenField()


class RevisionForm(FlaskForm):
    """Verify, retire or revert: the revision the page showed, so a stale click is refused."""

    revision = HiddenField(validators=[DataRequired()])


def expected_revision(form: ListingForm | TranslationForm | RevisionForm) -> int | None:
    """The revision the page showed, if the form carried one."""
    data = form.revision.data or ""
    return int(data) if data.isdigit() else None


def revision_or_400(form: RevisionForm) -> int:
    """The revision a one-click action (verify, retire, undo) started from."""
    expected = expected_revision(form)
    if not form.validate_on_submit() or expected is None:
        abort(400)
    return expected
