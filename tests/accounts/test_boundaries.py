"""Exact password boundaries, the personal-information rule and re-hashing at log-in."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from cocreate.accounts.passwords import password_problems, verify_password
from tests.accounts.factories import UserFactory
from tests.conftest import Auth

PASSWORD_256 = ("correct horse battery staple " * 9)[:256]


def _signup(client: FlaskClient, password: str, **fields: str) -> int:
    data = {"email": "new@example.test", "display_name": "Newcomer", "password": password}
    data.update(fields)
    return client.post("/signup", data=data).status_code


def _users(db_session: Session) -> int:
    return db_session.scalar(select(func.count()).select_from(User)) or 0


def test_password_lengths_at_the_limits() -> None:
    assert len(PASSWORD_256) == 256
    assert password_problems(PASSWORD_256) == []
    assert password_problems(PASSWORD_256 + "x") == ["Use at most 256 characters."]
    assert password_problems("kq7!zm3#pw") == []
    assert password_problems("kq7!zm3#p") == ["Use at least 10 characters (you typed 9)."]


def test_signup_with_a_256_character_password(client: FlaskClient, db_session: Session) -> None:
    assert _signup(client, PASSWORD_256) == 302
    assert _users(db_session) == 1


def test_signup_with_a_257_character_password(client: FlaskClient, db_session: Session) -> None:
    assert _signup(client, PASSWORD_256 + "x") != 302
    assert _users(db_session) == 0


def test_signup_with_exactly_10_characters(client: FlaskClient, db_session: Session) -> None:
    assert _signup(client, "kq7!zm3#pw") == 302
    assert _users(db_session) == 1


def test_signup_with_9_characters(client: FlaskClient, db_session: Session) -> None:
    response = client.post(
        "/signup",
        data={"email": "new@example.test", "display_name": "Newcomer", "password": "kq7!zm3#p"},
    )
    assert response.status_code != 302
    assert "Use at least 10 characters (you typed 9)." in response.get_data(as_text=True)
    assert _users(db_session) == 0


NAME_RULE = "Do not put your name or email in your password."


@pytest.mark.parametrize(
    ("password", "email", "display_name", "refused"),
    [
        ("my marguerite garden", "marguerite@example.test", "Daisy", True),
        ("my MARGUERITE garden", "marguerite@example.test", "Daisy", True),
        ("the anna collection", "anna@example.test", "Daisy", True),  # 4 characters: checked
        ("the ann collection", "ann@example.test", "Daisy", False),  # 3 characters: too short
        ("rosalind franklin rocks", "rf@example.test", "Rosalind Franklin", True),
        ("Rosalind Franklin rocks", "rf@example.test", "rosalind franklin", True),
        ("rosalind in the lab", "rf@example.test", "Rosalind Franklin", False),
        ("sailing at dawn, 1987", "marguerite@example.test", "Rosalind Franklin", False),
    ],
)
def test_name_or_email_in_password(
    password: str, email: str, display_name: str, refused: bool
) -> None:
    problems = password_problems(password, email=email, display_name=display_name)
    assert (NAME_RULE in problems) is refused


def test_signup_with_own_name_in_password(client: FlaskClient, db_session: Session) -> None:
    response = client.post(
        "/signup",
        data={
            "email": "marguerite@example.test",
            "display_name": "Marguerite Duras",
            "password": "marguerite duras forever",
        },
    )
    assert response.status_code != 302
    assert NAME_RULE in response.get_data(as_text=True)
    assert _users(db_session) == 0


def test_old_hash_is_upgraded_at_login(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    old_hash = weak.hash("an old but good passphrase")
    assert old_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    user = UserFactory(email="old@example.test", password_hash=old_hash)

    response = auth.login("old@example.test", "an old but good passphrase")

    assert response.status_code == 302
    db_session.refresh(user)
    assert user.password_hash != old_hash
    assert not user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert verify_password(user.password_hash, "an old but good passphrase")
    assert not verify_password(user.password_hash, "another passphrase")


def test_current_hash_is_kept_at_login(
    client: FlaskClient, auth: Auth, db_session: Session
) -> None:
    user = UserFactory(email="new@example.test")
    before = user.password_hash
    assert auth.login("new@example.test").status_code == 302
    db_session.refresh(user)
    assert user.password_hash == before
