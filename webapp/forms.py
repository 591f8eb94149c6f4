"""Form pieces every area uses: text limits, the control-character check, the shared messages,
checkbox lists and the token-only form. Areas build their own forms from these in their
`forms.py`.

Every validator carries its own translated message: WTForms ships none in several of Haven's
languages (ti, sq, vi, hi), so its defaults would show English.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import Length, Optional, ValidationError

MAX_TEXT = 5000
MAX_SHORT = 200
# C0 controls but tab and newlines, DEL, and the bidi embeddings, overrides and isolates: text
# that hides what it says, or turns a number or a name around on another reader's screen.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")

REQUIRED = _l("This field is required.")
TOO_LONG = _l("This is too long: at most %(max)d characters.")


def no_control_chars(_form: Form, field: Any) -> None:
    """Refuse invisible control and direction-override characters."""
    if field.data and CONTROL.search(field.data):
        raise ValidationError(_l("Please remove invisible control characters from this text."))


def text(label: Any, limit: int = MAX_TEXT, area: bool = True) -> Any:
    """An optional free-text field with a length limit and the control-character check.
    dir="auto": what is typed takes its own direction, so a phone number or a plate typed on an
    Arabic page reads left to right while it is typed, and Arabic words right to left."""
    cls = TextAreaField if area else StringField
    return cls(label, validators=[
        Optional(),
        Length(max=limit, message=TOO_LONG),
        no_control_chars,
    ], render_kw={"autocomplete": "off", "maxlength": limit, "dir": "auto"})


def at_least_one(_form: Form, field: Any) -> None:
    """One or more boxes ticked. (DataRequired would put `required` on every checkbox, and a
    browser would then refuse the form until all six were ticked.)"""
    if not field.data:
        raise ValidationError(_l("Please tick at least one box."))


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes, several may apply."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class EmptyForm(FlaskForm):
    """Only the CSRF token: a staff button that changes something (lock, sign out, end a
    session) and has nothing else to send."""
