"""Shelter space forms. Flask-WTF adds a CSRF token to every one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from webapp import digits, i18n
from webapp.directory import taxonomy
from webapp.exchange import capacity
from webapp.forms import REQUIRED, TOO_LONG, MultiCheckboxField, no_control_chars
from webapp.models.coalition import (
    CHILD_AGES,
    HOUSEHOLDS,
    NEEDS,
    POPULATIONS,
    SPACE_UNITS,
    URGENCIES,
)

STATUS_LABELS = {
    "available": _l("Space available"),
    "limited": _l("Limited space"),
    "full": _l("Full"),
    "unknown": _l("Space unknown"),
}
HOUSEHOLD_LABELS = {
    "single": _l("One adult"),
    "adult_with_children": _l("Adult with children"),
    "couple": _l("Two adults"),
    "group": _l("A group of adults"),
}
NEED_LABELS = {
    "wheelchair": _l("Wheelchair access"),
    "pets": _l("Pets"),
    "medical": _l("Medical care on site"),
    "interpreter": _l("An interpreter"),
}
URGENCY_LABELS = {
    "tonight": _l("Tonight"),
    "days": _l("In the next few days"),
    "week": _l("This week or later"),
}
REQUEST_STATE_LABELS = {
    "open": _l("Waiting for a shelter"),
    "held": _l("A place is held"),
    "hold_expired": _l("The hold has expired"),
    "unmet": _l("No shelter could take it"),
    "cancelled": _l("Cancelled"),
}
ANSWER_LABELS = {
    "pending": _l("Waiting for your answer"),
    "accepted": _l("You accepted"),
    "declined": _l("You declined"),
    "filled": _l("Filled by another shelter"),
}


def population_label(code: str) -> str:
    """A population code in words (the directory's own names)."""
    term = taxonomy.BY_CODE.get((taxonomy.POPULATIONS, code))
    return str(term.label) if term else code


def populations_text(codes: list[str]) -> str:
    """Population codes as the reader's list ("Women, Minors (under 18)"; Arabic with «،»)."""
    return i18n.format_list(population_label(c) for c in codes)


def needs_text(codes: list[str]) -> str:
    """Need codes as the reader's list."""
    return i18n.format_list(str(NEED_LABELS[c]) for c in codes if c in NEED_LABELS)


def _choices(labels: dict[str, object], codes: tuple[str, ...]) -> list[SelectChoice]:
    return [SelectChoice(c, labels[c]) for c in codes]  # type: ignore[arg-type]


UNIT_LABELS = {"places": _l("places"), "beds": _l("beds")}
NOT_A_COUNT = _l("Write the number of free places as a whole number, 0 or more. Nothing was "
                 "saved.")


def _stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class SpaceForm(FlaskForm):
    """One tap: the status button pressed, with the populations ticked; optionally the number
    of free places (alone, it gives the status)."""

    populations = MultiCheckboxField(_l("Who you can take now"), choices=[
        SelectChoice(p, taxonomy.BY_CODE[(taxonomy.POPULATIONS, p)].label) for p in POPULATIONS],
        validate_choice=True)
    # Typed on any keyboard: ٣ or ３ is 3. At most 4 digits: no shelter has 10,000 places.
    free = StringField(_l("Free places now"), validators=[
        Optional(), Regexp(r"^[0-9]{1,4}$", message=NOT_A_COUNT)],
        filters=[digits.field_filter, _stripped],
        render_kw={"inputmode": "numeric", "dir": "ltr", "size": 4, "autocomplete": "off"})
    limited_count = capacity.LIMITED_COUNT  # for the hint: the rule lives in capacity.py
    unit = RadioField(_l("Counted in"), choices=_choices(UNIT_LABELS, SPACE_UNITS),
                      default="places", validate_choice=True)

    def count(self) -> int | None:
        """The number of free places typed, or None (call after validate)."""
        return int(self.free.data) if self.free.data else None


class CountsForm(FlaskForm):
    """A member's choice to show its counts of free places publicly."""

    public = BooleanField(_l("Show the number of free places on public pages and in the open "
                             "data"))


class LinkForm(FlaskForm):
    """A private update link for staff who do not sign in."""

    label = StringField(_l("Who will use the link (for you to recognise it)"), validators=[
        Optional(), Length(max=60, message=TOO_LONG), no_control_chars])


class RequestForm(FlaskForm):
    """A request for a shelter place. There is no name, phone or birth date field on purpose.
    """

    household = RadioField(_l("Household"), choices=_choices(HOUSEHOLD_LABELS, HOUSEHOLDS),
                           validators=[DataRequired(REQUIRED)])
    populations = MultiCheckboxField(_l("Who needs the place"), choices=[
        SelectChoice(p, taxonomy.BY_CODE[(taxonomy.POPULATIONS, p)].label) for p in POPULATIONS],
        validate_choice=True)
    child_ages = MultiCheckboxField(_l("Children's ages"), choices=[
        SelectChoice(a, a) for a in CHILD_AGES], validate_choice=True)
    languages = MultiCheckboxField(_l("Languages spoken"), choices=[], validate_choice=True)
    needs = MultiCheckboxField(_l("Needs"), choices=_choices(NEED_LABELS, NEEDS),
                               validate_choice=True)
    urgency = RadioField(_l("When is the place needed?"),
                         choices=_choices(URGENCY_LABELS, URGENCIES),
                         validators=[DataRequired(REQUIRED)])
    area = StringField(_l("Area (a city or region)"), validators=[
        Optional(), Length(max=80, message=TOO_LONG), no_control_chars])
    details = TextAreaField(_l("Anything else the shelter should know (no names, phone "
                               "numbers or dates of birth)"), validators=[
        Optional(), Length(max=400, message=TOO_LONG), no_control_chars])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.languages.choices = [SelectChoice(loc.tag, loc.native) for loc in i18n.LOCALES]


class AnswerForm(FlaskForm):
    """A shelter's answer to a request (the button pressed says which)."""

    service_id = HiddenField(validators=[DataRequired()])
