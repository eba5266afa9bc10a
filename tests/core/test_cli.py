from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.accounts.models import Role, User
from cocreate.demo.seed import DEMO_LOGINS
from cocreate.designs.models import Design, DesignState


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


@pytest.mark.parametrize("app_overrides", [{"PRODUCT_MIN_LONG_SIDE": {"tee": 300, "poster": 400}}])
def test_demo_seed_creates_known_logins_once(
    app: Flask, db_session: Session, app_overrides: dict[str, int]
) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "--if-empty", "--designs", "12"])
    assert result.exit_code == 0, result.output
    # Not a terminal: plain progress lines a log keeps apart, no carriage returns.
    assert "Drawing demo designs: 12/12\n" in result.output
    assert "\r" not in result.output
    for _role, email in DEMO_LOGINS:
        assert email in result.output
        assert db_session.scalar(select(User).where(User.email == email)) is not None
    count = db_session.scalar(select(func.count()).select_from(User))
    states = db_session.scalars(select(Design.state)).all()
    assert len(states) == 12 and len(set(states)) >= 6  # designs in many states
    assert DesignState.VOTING in states
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert "already present" in result.output
    assert db_session.scalar(select(func.count()).select_from(User)) == count
