"""Sign-up, log-in, verification, password reset and the member's own settings."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cocreate.accounts import auth, avatars, services, sessions
from cocreate.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    SignupForm,
)
from cocreate.accounts.models import User, UserSession
from cocreate.config import settings as app_settings
from cocreate.core import db
from cocreate.core.clock import clock
from cocreate.core.i18n import select_locale
from cocreate.core.inputs import single_line
from cocreate.core.ratelimit import limiter, login_limit, reset_limit, signup_limit
from cocreate.core.responses import form_page
from cocreate.core.security import safe_next

bp = Blueprint("accounts", __name__, template_folder="templates")


def _failed(response: object) -> bool:
    # Only failed attempts count toward the log-in limit: a redirect means success (a wrong
    # password answers 422).
    return getattr(response, "status_code", 200) != 302


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(signup_limit, methods=["POST"])
def signup() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = services.register(
                db.session(),
                email=form.email.data or "",
                display_name=form.display_name.data or "",
                password=form.password.data or "",
                locale=select_locale(),
            )
        except services.AccountError as error:
            form.form_errors.append(str(error))
        else:
            auth.log_in(user)
            flash(
                _(
                    "Welcome, %(name)s! We sent a link to %(email)s to confirm your address.",
                    name=user.display_name,
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("site.home"))
    return form_page("accounts/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"], deduct_when=_failed)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("site.home")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(
            db.session(), form.email.data or "", form.password.data or "", now=clock().now()
        )
        if user is not None:
            auth.log_in(user, kept=bool(form.remember.data))
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next"), url_for("site.home")))
        form.form_errors.append(_("This email and password do not match an account."))
    return form_page("accounts/login.html", form=form)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    auth.log_out()
    flash(_("You are logged out."), "info")
    return redirect(url_for("site.home"))


@bp.get("/verify/<token>")
@db.writes
def verify_email(token: str) -> ResponseReturnValue:
    try:
        user = services.verify_email(db.session(), token, now=clock().now())
    except services.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("site.home"))
    flash(_("Thank you, %(email)s is confirmed.", email=user.email), "success")
    return redirect(url_for("site.home"))


@bp.post("/verify/resend")
@login_required
@limiter.limit(reset_limit)
def resend_verification() -> ResponseReturnValue:
    if current_user.is_verified:
        flash(_("Your email address is already confirmed."), "info")
    else:
        services.send_verification_email(current_user)
        flash(
            _("We sent a new confirmation link to %(email)s.", email=current_user.email), "success"
        )
    return redirect(safe_next(request.form.get("next"), url_for("accounts.settings")))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(db.session(), form.email.data or "", now=clock().now())
        flash(
            _(
                "If an account uses %(email)s, we sent it a link to choose a new password.",
                email=form.email.data,
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return form_page("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def reset_password(token: str) -> ResponseReturnValue:
    session = db.session()
    try:
        services.check_reset_token(session, token, now=clock().now())
    except services.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(
                session, token, form.password.data or "", now=clock().now()
            )
        except services.AccountError as error:
            form.password.errors = [*form.password.errors, str(error)]
        else:
            auth.log_in(user)
            flash(_("Your password is changed and you are logged in."), "success")
            return redirect(url_for("site.home"))
    return form_page("accounts/reset_password.html", form=form)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    user: User = current_user._get_current_object()
    form = ProfileForm(obj=user, locales=app_settings().LOCALES)
    if request.method == "GET":
        form.locale.data = user.locale or select_locale()
        form.timezone.data = user.timezone or app_settings().DEFAULT_TIMEZONE
    if form.validate_on_submit():
        try:
            avatars.update_avatar(user, form.avatar.data, remove=bool(form.remove_avatar.data))
        except avatars.AvatarError as error:
            form.avatar.errors = [*form.avatar.errors, str(error)]
        else:
            user.display_name = single_line(form.display_name.data or "")
            user.bio = (form.bio.data or "").strip()
            user.locale = form.locale.data
            user.timezone = form.timezone.data
            flash(_("Your settings are saved."), "success")
            return redirect(url_for("accounts.settings"))
    return form_page(
        "accounts/settings.html",
        form=form,
        email_form=ChangeEmailForm(prefix="email"),
        password_form=ChangePasswordForm(prefix="password"),
    )


@bp.post("/settings/email")
@login_required
@limiter.limit(reset_limit)
def change_email() -> ResponseReturnValue:
    form = ChangeEmailForm(prefix="email")
    if form.validate_on_submit():
        try:
            services.change_email(
                db.session(),
                current_user,
                form.current_password.data or "",
                form.email.data or "",
                now=clock().now(),
            )
        except services.AccountError as error:
            form.email.errors = [*form.email.errors, str(error)]
        else:
            flash(
                _(
                    "Your email is now %(email)s. Please confirm it with the link we sent.",
                    email=current_user.email,
                ),
                "success",
            )
            return redirect(url_for("accounts.settings"))
    return _settings_with(email_form=form)


@bp.post("/settings/password")
@login_required
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm(prefix="password")
    if form.validate_on_submit():
        try:
            services.change_password(
                db.session(),
                current_user,
                form.current_password.data or "",
                form.password.data or "",
                now=clock().now(),
                keep=auth.current_session(),
            )
        except services.AccountError as error:
            form.password.errors = [*form.password.errors, str(error)]
        else:
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("accounts.settings"))
    return _settings_with(password_form=form)


@bp.context_processor
def _session_list() -> dict[str, Any]:
    # A function, so only the settings page, which calls it, queries the sessions.
    return {
        "member_sessions": _member_sessions,
        "current_session": auth.current_session,
        "describe_device": sessions.describe_device,
    }


def _member_sessions() -> list[UserSession]:
    return sessions.active(
        db.session(), current_user, now=clock().now(), lifetimes=auth.lifetimes()
    )


@bp.post("/settings/sessions/<int:session_id>/end")
@auth.member_required
def end_session(session_id: int) -> ResponseReturnValue:
    row = sessions.end_own(
        db.session(), current_user, session_id, now=clock().now(), lifetimes=auth.lifetimes()
    )
    if row is None:
        abort(404)
    current = auth.current_session()
    if current is not None and row.id == current.id:
        auth.log_out()
        flash(_("You are logged out."), "info")
        return redirect(url_for("site.home"))
    flash(_("That session is ended: the device is logged out."), "success")
    return redirect(url_for("accounts.settings", _anchor="sessions"))


@bp.post("/settings/sessions/end-others")
@auth.member_required
def end_other_sessions() -> ResponseReturnValue:
    sessions.end_all(db.session(), current_user, now=clock().now(), keep=auth.current_session())
    flash(_("Your other sessions are ended: only this device is still logged in."), "success")
    return redirect(url_for("accounts.settings", _anchor="sessions"))


def _settings_with(**forms: object) -> ResponseReturnValue:
    user = current_user
    profile = ProfileForm(obj=user, locales=app_settings().LOCALES, formdata=None)
    context: dict[str, Any] = {
        "email_form": ChangeEmailForm(prefix="email", formdata=None),
        "password_form": ChangePasswordForm(prefix="password", formdata=None),
    }
    context.update(forms)
    return form_page("accounts/settings.html", form=profile, **context)
