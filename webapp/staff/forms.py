"""Staff forms. Flask-WTF adds a CSRF token to every one.

Pieces every area shares (messages, limits, EmptyForm) are in webapp.forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from webapp import digits, i18n
from webapp.directory import taxonomy
from webapp.forms import MAX_TEXT, REQUIRED, TOO_LONG, no_control_chars
from webapp.models.tips import STATUSES
from webapp.tips.labels import STATUS_LABELS


class LoginForm(FlaskForm):
    """Username, password and the 6-digit code from the authenticator app."""

    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED),
                                                       Length(max=64, message=TOO_LONG)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED),
                                                         Length(max=200, message=TOO_LONG)])
    code = StringField(_l("Code from your authenticator app"), validators=[
        DataRequired(REQUIRED), Regexp(r"^[0-9]{6}$", message=_l("The code has 6 digits."))],
        filters=[digits.code_filter],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "dir": "ltr"})


class UnlockForm(FlaskForm):
    """The organisation passphrase."""

    passphrase = PasswordField(_l("Organisation passphrase"), validators=[
        DataRequired(REQUIRED), Length(max=500, message=TOO_LONG)])


class StatusForm(FlaskForm):
    """Move a tip along."""

    status = SelectField(_l("Status"),
                         choices=[SelectChoice(s, STATUS_LABELS[s]) for s in STATUSES],
                         validators=[DataRequired(REQUIRED)])


class AssignForm(FlaskForm):
    """Give a tip to a colleague (choices filled in by the view)."""

    assignee = SelectField(_l("Assigned to"), choices=[], validate_choice=True)


def _text(label: object) -> TextAreaField:
    return TextAreaField(label, validators=[DataRequired(REQUIRED),
                                            Length(max=MAX_TEXT, message=TOO_LONG),
                                            no_control_chars])


class NoteForm(FlaskForm):
    """An internal note."""

    note = _text(_l("Add an internal note (never shown to the tipster)"))


class MessageForm(FlaskForm):
    """A message the tipster reads with the receipt."""

    message = _text(_l("Message to the tipster (they read it with their receipt)"))


class UserForm(FlaskForm):
    """A new staff account (admins only)."""

    username = StringField(_l("Username"), validators=[
        DataRequired(REQUIRED), Regexp(r"^[A-Za-z0-9._-]{3,64}$",
                                       message=_l("3 to 64 letters, digits, dots or dashes."))])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(REQUIRED), Length(min=12, max=200,
                                       message=_l("At least 12 characters."))])
    role = SelectField(_l("Role"), choices=[SelectChoice("reviewer", _l("Reviewer")),
                                            SelectChoice("admin", _l("Administrator"))])


ROLE_CHOICES = [SelectChoice("reviewer", _l("Reviewer (reads tips)")),
                SelectChoice("editor", _l("Editor (every listing)")),
                SelectChoice("org-editor", _l("Organisation editor (their organisation's "
                                              "listings)")),
                SelectChoice("admin", _l("Administrator"))]


class InviteForm(FlaskForm):
    """A one-time link for a new colleague or a partner organisation's staff member."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    organization = SelectField(_l("Organisation"), choices=[], validate_choice=False)


class EnrolForm(FlaskForm):
    """The invitee's username, password and a first code from their authenticator app."""

    username = UserForm.username
    password = UserForm.password
    confirm = PasswordField(_l("Password again"), validators=[DataRequired(REQUIRED)])
    code = LoginForm.code


def _code() -> StringField:
    # Optional: a code typed in the last few minutes is enough (auth.confirmed decides).
    return StringField(_l("New code from your authenticator app"), validators=[
        Optional(), Regexp(r"^[0-9]{6}$", message=_l("The code has 6 digits."))],
        filters=[digits.code_filter],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "dir": "ltr"})


class CodeForm(FlaskForm):
    """Only the confirming code, for a form that has its own token (the invitation form)."""

    class Meta:
        csrf = False

    code = _code()


class NewAccountForm(UserForm):
    """A new staff account, confirmed with a code."""

    code = _code()


class AccountForm(FlaskForm):
    """Change one account: its role, disable or enable it, or give it a new TOTP secret."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    code = _code()


class CampaignForm(FlaskForm):
    """A named campaign: which page the code opens, in which language."""

    label = StringField(_l("Campaign name (for staff only)"), validators=[
        DataRequired(REQUIRED), Length(max=80, message=TOO_LONG), no_control_chars])
    language = SelectField(_l("Language"), choices=[SelectChoice(loc.tag, loc.native)
                                                    for loc in i18n.LOCALES])
    target = SelectField(_l("The code opens"), choices=[
        SelectChoice("home", _l("The start page")),
        SelectChoice("tip", _l("Report something you saw")),
        *(SelectChoice(t.code, t.label) for t in taxonomy.CATEGORY_TERMS)])
