"""Editor forms (Flask-WTF: a CSRF token on every one)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FileField, HiddenField, StringField
from wtforms.validators import DataRequired, Regexp

MAX_SHEET_BYTES = 2 * 1024 * 1024
SHEET_NAME = r"^[^/\\]{1,200}\.(csv|xlsx)$"


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
