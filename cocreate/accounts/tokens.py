"""Signed links for email verification.

The signature covers the address, so a link sent to an old address stops working once the
member changes their email.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cocreate.config import settings

VERIFY_SALT = "cocreate.email-verify"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().SECRET_KEY, salt=VERIFY_SALT)


def make_verify_token(user_id: int, email: str) -> str:
    return _serializer().dumps({"uid": user_id, "email": email})


class TokenInvalid(Exception):
    pass


class TokenExpired(TokenInvalid):
    pass


def read_verify_token(token: str) -> tuple[int, str]:
    max_age = settings().EMAIL_VERIFY_DAYS * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenExpired from exc
    except BadSignature as exc:
        raise TokenInvalid from exc
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        raise TokenInvalid
    return data["uid"], str(data.get("email", ""))
