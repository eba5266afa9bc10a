"""Account rules: sign-up, log-in checks, email verification, password reset, roles.

Services flush; the request (or CLI command) commits. Emails are queued to go after the commit.
Rules that depend on time take `now` from their caller (`core.clock`), so tests can move it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocreate.accounts import passwords, sessions, tokens
from cocreate.accounts.models import PasswordResetToken, Role, User, UserSession
from cocreate.config import settings
from cocreate.core.inputs import single_line
from cocreate.core.mail import public_url, send_mail


class AccountError(Exception):
    """A problem the member can fix; `str(error)` is a translated sentence."""


def normalise_email(raw: str) -> str:
    """Lower-cased, syntax-checked address; raises AccountError with the reason."""
    try:
        # Outside production, allow the special-use domains (.test, .localhost) of demo data.
        result = validate_email(
            raw.strip(),
            check_deliverability=False,
            test_environment=settings().ENV != "production",
        )
    except EmailNotValidError as exc:
        raise AccountError(_("This email address is not valid: please check it.")) from exc
    return result.normalized.lower()


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def register(
    session: Session,
    *,
    email: str,
    display_name: str,
    password: str,
    locale: str | None = None,
    role: Role = Role.MEMBER,
    send_verification: bool = True,
) -> User:
    email = normalise_email(email)
    problems = passwords.password_problems(password, email=email, display_name=display_name)
    if problems:
        raise AccountError(" ".join(problems))
    if find_by_email(session, email) is not None:
        raise AccountError(_("An account already uses this email. Log in or reset your password."))
    user = User(
        email=email,
        display_name=single_line(display_name),
        password_hash=passwords.hash_password(password),
        role=role,
        locale=locale,
    )
    try:
        # Add and flush inside a savepoint: when a sign-up racing this one took the email
        # first, only the savepoint rolls back and the request's transaction stays usable.
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as exc:
        raise AccountError(
            _("An account already uses this email. Log in or reset your password.")
        ) from exc
    if send_verification:
        send_verification_email(user)
    return user


def authenticate(session: Session, email: str, password: str, *, now: datetime) -> User | None:
    user = find_by_email(session, email)
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = now
    return user


def send_verification_email(user: User) -> None:
    token = tokens.make_verify_token(user.id, user.email)
    link = public_url("accounts.verify_email", token=token)
    send_mail("verify_email", to=user.email, locale=user.locale, user=user, link=link)


def verify_email(session: Session, token: str, *, now: datetime) -> User:
    try:
        user_id, email = tokens.read_verify_token(token)
    except tokens.TokenExpired as exc:
        raise AccountError(
            _("This verification link has expired. We can send you a new one.")
        ) from exc
    except tokens.TokenInvalid as exc:
        raise AccountError(_("This verification link is not valid.")) from exc
    user = session.get(User, user_id)
    if user is None or user.email != email:
        raise AccountError(_("This verification link is for an address no longer on the account."))
    if user.email_verified_at is None:
        user.email_verified_at = now
    return user


def request_password_reset(session: Session, email: str, *, now: datetime) -> None:
    """Email a single-use link. Says nothing about whether the account exists."""
    user = find_by_email(session, email)
    if user is None or not user.is_active:
        return
    token = secrets.token_urlsafe(32)
    hours = settings().PASSWORD_RESET_HOURS
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=sessions.hash_token(token),
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    link = public_url("accounts.reset_password", token=token)
    send_mail(
        "reset_password", to=user.email, locale=user.locale, user=user, link=link, hours=hours
    )


def check_reset_token(
    session: Session, token: str, *, now: datetime, lock: bool = False
) -> PasswordResetToken:
    """The unused token row; a link is valid strictly before `expires_at`, refused from it on."""
    token_hash = sessions.hash_token(token)
    query = select(PasswordResetToken).where(PasswordResetToken.token_hash == token_hash)
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise AccountError(_("This password reset link is not valid. Ask for a new one."))
    if row.used_at is not None:
        raise AccountError(_("This password reset link has already been used. Ask for a new one."))
    if row.expires_at <= now:
        raise AccountError(_("This password reset link has expired. Ask for a new one."))
    return row


def reset_password(session: Session, token: str, new_password: str, *, now: datetime) -> User:
    row = check_reset_token(session, token, now=now, lock=True)
    user = session.get_one(User, row.user_id)
    _check_strength(user, new_password)
    # Mark it used with a guarded UPDATE, so two simultaneous uses cannot both succeed.
    used = session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise AccountError(_("This password reset link has already been used. Ask for a new one."))
    _set_password(session, user, new_password, now=now)
    # Opening the emailed link proves the address too.
    if user.email_verified_at is None:
        user.email_verified_at = now
    return user


def _check_strength(user: User, new_password: str) -> None:
    problems = passwords.password_problems(
        new_password, email=user.email, display_name=user.display_name
    )
    if problems:
        raise AccountError(" ".join(problems))


def _set_password(
    session: Session,
    user: User,
    new_password: str,
    *,
    now: datetime,
    keep: UserSession | None = None,
) -> None:
    _check_strength(user, new_password)
    user.password_hash = passwords.hash_password(new_password)
    # Whoever knew the old password is logged out everywhere but on the device asking.
    sessions.end_all(session, user, now=now, keep=keep)
    _revoke_reset_links(session, user, now=now)


def _revoke_reset_links(session: Session, user: User, *, now: datetime) -> None:
    """Links sent before a password or email change must not work after it."""
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )


def change_password(
    session: Session,
    user: User,
    current_password: str,
    new_password: str,
    *,
    now: datetime,
    keep: UserSession | None = None,
) -> None:
    """`keep` is the session of the device asking: it stays logged in, every other one ends."""
    if not passwords.verify_password(user.password_hash, current_password):
        raise AccountError(_("Your current password is not right."))
    _set_password(session, user, new_password, now=now, keep=keep)


def change_email(
    session: Session, user: User, current_password: str, new_email: str, *, now: datetime
) -> None:
    if not passwords.verify_password(user.password_hash, current_password):
        raise AccountError(_("Your current password is not right."))
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError(_("This is already your email address."))
    if find_by_email(session, new_email) is not None:
        raise AccountError(_("An account already uses this email."))
    old_email = user.email
    user.email = new_email
    user.email_verified_at = None
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise AccountError(_("An account already uses this email.")) from exc
    _revoke_reset_links(session, user, now=now)
    send_mail("email_changed", to=old_email, locale=user.locale, user=user, new_email=new_email)
    send_verification_email(user)


def set_role(session: Session, actor: User, user: User, role: Role) -> None:
    if not actor.is_admin:
        raise AccountError(_("Only administrators can change roles."))
    if user.id == actor.id and role is not Role.ADMIN:
        raise AccountError(_("You cannot remove your own administrator role."))
    user.role = role
    session.flush()
