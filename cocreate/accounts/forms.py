"""Account forms. Labels and messages are lazy so they render in the reader's language."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from cocreate.core.i18n import LANGUAGE_NAMES
from cocreate.core.inputs import Visible, clean_field


class SignupForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(), Visible(), Length(min=2, max=60)],
        filters=[clean_field],
        description=_l("Shown beside your designs."),
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        description=_l("At least 10 characters; a short sentence works well."),
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me logged in on this device"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class ChangeEmailForm(FlaskForm):
    email = EmailField(_l("New email"), validators=[DataRequired(), Length(max=254)])
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


def _timezone_choices() -> list[tuple[str, str]]:
    return [
        (name, name.replace("_", " "))
        for name in sorted(available_timezones())
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/"))
    ]


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(), Visible(), Length(min=2, max=60)],
        filters=[clean_field],
    )
    bio = TextAreaField(
        _l("About you"),
        validators=[Optional(), Length(max=1000)],
        filters=[clean_field],
        description=_l("Shown on your public profile. Plain text, up to 1000 characters."),
    )
    avatar = FileField(
        _l("Avatar"),
        validators=[
            FileAllowed(["png", "jpg", "jpeg", "webp"], _l("Use a PNG, JPEG or WebP image."))
        ],
    )
    remove_avatar = BooleanField(_l("Remove my avatar"))
    locale = SelectField(_l("Language"))
    timezone = SelectField(_l("Time zone"))

    def __init__(self, *args: object, locales: tuple[str, ...] = ("en",), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = [(code, LANGUAGE_NAMES.get(code, code)) for code in locales]
        self.timezone.choices = _timezone_choices()


#: The roles staff can be given, with their labels (also used in the confirmation message).
ROLE_LABELS = {"member": _l("Member"), "staff": _l("Staff"), "admin": _l("Administrator")}


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=list(ROLE_LABELS.items()))
