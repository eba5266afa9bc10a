"""Email-verification links: signed, bound to the address, valid EMAIL_VERIFY_DAYS (7) days.

Time is moved by pinning the clock the signer reads (itsdangerous' TimestampSigner), never by
sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from cocreate.accounts.tokens import (
    VERIFY_SALT,
    TokenExpired,
    TokenInvalid,
    make_verify_token,
    read_verify_token,
)
from cocreate.config import override
from tests.accounts.factories import UserFactory
from tests.conftest import TEST_SECRET

DAY = 86400
SIGNED_AT = 1_800_000_000  # 2027-01-15 08:00:00 UTC


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock(SIGNED_AT)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: clock.now)
    yield clock


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app


def by_hand(payload: Any, secret: str = TEST_SECRET, salt: str = "cocreate.email-verify") -> str:
    return URLSafeTimedSerializer(secret, salt=salt).dumps(payload)


def flip(token: str, index: int) -> str:
    """The token with one base64 character changed (not the last, whose low bits are unused)."""
    chars = list(token)
    chars[index] = "A" if chars[index] != "A" else "B"
    return "".join(chars)


def test_the_salt_is_fixed() -> None:
    # Changing it would void every link already in members' inboxes.
    assert VERIFY_SALT == "cocreate.email-verify"


def test_a_token_reads_back_its_member_and_address(app_ctx: Flask, clock: Clock) -> None:
    token = make_verify_token(42, "ada@example.test")
    assert read_verify_token(token) == (42, "ada@example.test")
    # The token is what the app's secret and salt sign, and nothing else.
    assert token == by_hand({"uid": 42, "email": "ada@example.test"})


def test_a_token_made_elsewhere_with_the_same_secret_and_salt_is_read(
    app_ctx: Flask, clock: Clock
) -> None:
    assert read_verify_token(by_hand({"uid": 7, "email": "b@example.test"})) == (
        7,
        "b@example.test",
    )
    # A token without an address reads as an empty one (it then matches no account).
    assert read_verify_token(by_hand({"uid": 7})) == (7, "")


@pytest.mark.parametrize(
    ("age", "valid"),
    [
        (0, True),
        (DAY, True),  # a day later
        (7 * DAY - 1, True),
        (7 * DAY, True),  # exactly EMAIL_VERIFY_DAYS: the last valid second
        (7 * DAY + 1, False),  # one second after
        (8 * DAY, False),
    ],
)
def test_expiry_boundary(app_ctx: Flask, clock: Clock, age: int, valid: bool) -> None:
    token = make_verify_token(42, "ada@example.test")
    clock.now = SIGNED_AT + age
    if valid:
        assert read_verify_token(token) == (42, "ada@example.test")
    else:
        with pytest.raises(TokenExpired):
            read_verify_token(token)


def test_expiry_follows_the_setting(app_ctx: Flask, clock: Clock) -> None:
    override(app_ctx, EMAIL_VERIFY_DAYS=2)
    token = make_verify_token(42, "ada@example.test")
    clock.now = SIGNED_AT + 2 * DAY
    assert read_verify_token(token) == (42, "ada@example.test")
    clock.now = SIGNED_AT + 2 * DAY + 1
    with pytest.raises(TokenExpired):
        read_verify_token(token)


def test_an_expired_token_is_also_an_invalid_one() -> None:
    # Callers that only care about "usable or not" can catch TokenInvalid alone.
    assert issubclass(TokenExpired, TokenInvalid)


@pytest.mark.parametrize(
    "make",
    [
        lambda token: flip(token, -5),  # signature changed
        lambda token: flip(token, 3),  # payload changed
        lambda token: token.split(".")[0],  # signature cut off
        lambda token: "",
        lambda token: "not-a-token",
        lambda token: by_hand({"uid": 42, "email": "ada@example.test"}, secret="other" * 10),
        lambda token: by_hand({"uid": 42, "email": "ada@example.test"}, salt="cocreate.reset"),
    ],
)
def test_tampered_or_foreign_tokens_are_invalid_not_expired(
    app_ctx: Flask, clock: Clock, make: Any
) -> None:
    bad = make(make_verify_token(42, "ada@example.test"))
    with pytest.raises(TokenInvalid) as info:
        read_verify_token(bad)
    assert type(info.value) is TokenInvalid


@pytest.mark.parametrize(
    "payload",
    [
        [42, "ada@example.test"],
        "42",
        None,
        {"email": "ada@example.test"},
        {"uid": "42", "email": "ada@example.test"},
        {"uid": None, "email": "ada@example.test"},
    ],
)
def test_a_well_signed_token_with_a_bad_payload_is_invalid(
    app_ctx: Flask, clock: Clock, payload: Any
) -> None:
    with pytest.raises(TokenInvalid) as info:
        read_verify_token(by_hand(payload))
    assert type(info.value) is TokenInvalid


# -- through the site -----------------------------------------------------------------------


def _open(client: FlaskClient, token: str) -> tuple[int, str]:
    response = client.get(f"/verify/{token}")
    status = response.status_code
    page = client.get(response.headers["Location"]).get_data(as_text=True) if status == 302 else ""
    return status, page


def test_a_link_still_works_one_day_later(
    app: Flask, client: FlaskClient, db_session: Session, clock: Clock
) -> None:
    user = UserFactory(email="ada@example.test", email_verified_at=None)
    with app.app_context():
        token = make_verify_token(user.id, user.email)
    clock.now = SIGNED_AT + DAY
    status, page = _open(client, token)
    assert status == 302
    assert "Thank you, ada@example.test is confirmed." in page
    db_session.refresh(user)
    assert user.email_verified_at is not None


def test_an_expired_link_is_refused_cleanly(
    app: Flask, client: FlaskClient, db_session: Session, clock: Clock
) -> None:
    user = UserFactory(email="ada@example.test", email_verified_at=None)
    with app.app_context():
        token = make_verify_token(user.id, user.email)
    clock.now = SIGNED_AT + 7 * DAY + 1
    status, page = _open(client, token)
    assert status == 302
    assert "This verification link has expired. We can send you a new one." in page
    db_session.refresh(user)
    assert user.email_verified_at is None


def test_a_tampered_link_is_refused_cleanly(
    app: Flask, client: FlaskClient, db_session: Session, clock: Clock
) -> None:
    user = UserFactory(email="ada@example.test", email_verified_at=None)
    with app.app_context():
        token = make_verify_token(user.id, user.email)
    status, page = _open(client, flip(token, -5))
    assert status == 302
    assert "This verification link is not valid." in page
    db_session.refresh(user)
    assert user.email_verified_at is None


def test_a_link_for_an_old_address_is_refused(
    app: Flask, client: FlaskClient, db_session: Session, clock: Clock
) -> None:
    user = UserFactory(email="new@example.test", email_verified_at=None)
    with app.app_context():
        token = make_verify_token(user.id, "old@example.test")
    status, page = _open(client, token)
    assert status == 302
    assert "This verification link is for an address no longer on the account." in page
    db_session.refresh(user)
    assert user.email_verified_at is None
