from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import Role, User
from cocreate.demo.seed import DEMO_LOGINS


def test_create_admin(app: Flask, db_session: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "boss@example.test", "--password", "correct horse battery"]
    )
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.email == "boss@example.test"))
    assert user is not None and user.role is Role.ADMIN and user.is_verified


def test_create_admin_weak_password_refused(app: Flask, db_session: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "boss@example.test", "--password", "short"]
    )
    assert result.exit_code != 0
    assert "Use at least 10 characters" in result.output
    assert db_session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_seed_creates_known_logins_once(app: Flask, db_session: Session) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0, result.output
    for _role, email in DEMO_LOGINS:
        assert email in result.output
        assert db_session.scalar(select(User).where(User.email == email)) is not None
    count = db_session.scalar(select(func.count()).select_from(User))
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert "already present" in result.output
    assert db_session.scalar(select(func.count()).select_from(User)) == count
