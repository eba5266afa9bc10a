"""Password hashing (argon2id) and the strength rules shown on the sign-up form."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext as _

MIN_LENGTH = 10
MAX_LENGTH = 256
_hasher = PasswordHasher()
# A hash of nothing in particular, verified when the email is unknown so that the time taken
# does not reveal which emails have accounts.
_DUMMY_HASH = _hasher.hash("timing-equaliser")

#: The most common passwords that pass the length rule; refused outright.
COMMON = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "qwertyuiop",
        "password12",
        "password123",
        "password1234",
        "iloveyou12",
        "azertyuiop",
        "motdepasse",
        "motdepasse1",
        "1q2w3e4r5t",
        "qwerty1234",
        "abcdefghij",
        "aaaaaaaaaa",
        "letmein123",
        "welcome123",
        "football12",
        "sunshine12",
        "princess12",
        "administrator",
        "changeme123",
        "0987654321",
        "1111111111",
    }
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problems(password: str, *, email: str = "", display_name: str = "") -> list[str]:
    """Sentences telling the member what to change; empty when the password is fine."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(
            _(
                "Use at least %(minimum)d characters (you typed %(count)d).",
                minimum=MIN_LENGTH,
                count=len(password),
            )
        )
    if len(password) > MAX_LENGTH:
        problems.append(_("Use at most %(maximum)d characters.", maximum=MAX_LENGTH))
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 4:
        problems.append(_("This password is too easy to guess; choose something less common."))
    for personal in (email.split("@")[0].lower(), display_name.lower()):
        if len(personal) >= 4 and personal in lowered:
            problems.append(_("Do not put your name or email in your password."))
            break
    return problems
