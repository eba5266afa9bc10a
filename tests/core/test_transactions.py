"""One commit per request: only a view that returned a 2xx/3xx response commits.

The app's session is joined to the test's outer transaction through a SAVEPOINT: a request's
commit releases it, a rollback rolls it back, so `db_session` sees after the request exactly what
the request left committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from cocreate.accounts import services as account_services
from cocreate.accounts import views as account_views
from cocreate.accounts.models import Role, User
from cocreate.core import db
from cocreate.designs.models import DesignState
from tests.accounts.factories import PASSWORD_HASH, AdminFactory, StaffFactory, UserFactory
from tests.conftest import make_test_app
from tests.designs.factories import DesignFactory, VotingDesignFactory

EMAIL = "flushed@example.test"


def _flush_user() -> None:
    session = db.session()
    session.add(User(email=EMAIL, display_name="Flushed", password_hash=PASSWORD_HASH))
    session.flush()


def _stored(db_session: Session) -> bool:
    return db_session.scalar(select(User).where(User.email == EMAIL)) is not None


@pytest.fixture
def ran(app: Flask) -> list[str]:
    """Throwaway routes that flush a user, queue an after-commit callback, then end in a way."""
    calls: list[str] = []

    def flush_then(ending: str) -> Any:
        _flush_user()
        db.after_commit(lambda: calls.append(ending))
        if ending == "raise":
            raise RuntimeError("boom after a flush")
        if ending == "abort":
            abort(404)
        if ending == "redirect":
            return "", 302, {"Location": "/"}
        return ending, int(ending)

    app.add_url_rule("/test/flush/<ending>", view_func=flush_then, methods=["POST"])
    return calls


@pytest.mark.parametrize("ending", ["200", "201", "302", "redirect", "399"])
def test_a_2xx_or_3xx_response_commits_and_runs_callbacks(
    client: FlaskClient, db_session: Session, ran: list[str], ending: str
) -> None:
    client.post(f"/test/flush/{ending}")
    assert _stored(db_session)
    assert ran == [ending]


@pytest.mark.parametrize("ending", ["400", "404", "409", "422", "500", "503"])
def test_a_4xx_or_5xx_response_rolls_back_and_skips_callbacks(
    client: FlaskClient, db_session: Session, ran: list[str], ending: str
) -> None:
    assert client.post(f"/test/flush/{ending}").status_code == int(ending)
    assert not _stored(db_session)
    assert ran == []


def test_an_aborted_view_rolls_back(
    client: FlaskClient, db_session: Session, ran: list[str]
) -> None:
    assert client.post("/test/flush/abort").status_code == 404
    assert not _stored(db_session)
    assert ran == []


def test_an_exception_turned_into_the_error_page_rolls_back(
    app: Flask, client: FlaskClient, db_session: Session, ran: list[str]
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 page is shown
    response = client.post("/test/flush/raise")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
    assert not _stored(db_session)
    assert ran == []


def test_an_exception_that_propagates_rolls_back(
    client: FlaskClient, db_session: Session, ran: list[str]
) -> None:
    # Testing propagates exceptions: after_request does not run, teardown rolls back.
    with pytest.raises(RuntimeError, match="boom after a flush"):
        client.post("/test/flush/raise")
    assert not _stored(db_session)
    assert ran == []


def test_a_failed_sign_up_commits_nothing_its_service_flushed(
    client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def register_then_refuse(*_args: Any, **_kwargs: Any) -> User:
        _flush_user()
        raise account_services.AccountError("An account already uses this email address.")

    monkeypatch.setattr(account_views.services, "register", register_then_refuse)
    response = client.post(
        "/signup",
        data={
            "email": "new@example.test",
            "display_name": "New",
            "password": "correct horse battery staple",
            "confirm": "correct horse battery staple",
        },
    )
    assert response.status_code == 422
    assert "An account already uses this email address." in response.get_data(as_text=True)
    assert not _stored(db_session)


def test_a_failed_settings_form_keeps_the_stored_profile(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    user = UserFactory(email="ana@example.test", display_name="Ana")
    auth.login("ana@example.test")
    response = client.post(
        "/settings", data={"display_name": "", "locale": "en", "timezone": "UTC"}
    )
    assert response.status_code == 422
    db_session.refresh(user)
    assert user.display_name == "Ana"


# Refused state changes answer with their page, the message and 409 (someone moved it first)
# or 422 (what was sent cannot be done).


def test_staff_accepting_an_accepted_design_gets_409(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    StaffFactory(email="staff@example.test")
    design = DesignFactory(state=DesignState.SUBMITTED, title="Twice")
    auth.login("staff@example.test")
    assert client.post(f"/staff/designs/{design.id}/accept").status_code == 302
    response = client.post(f"/staff/designs/{design.id}/accept")
    assert response.status_code == 409
    assert "Only submitted designs can be opened to voting." in response.get_data(as_text=True)
    db_session.refresh(design)
    assert design.state is DesignState.VOTING


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Please give a reason"), ("x" * 2001, "Please keep the reason to 2000 characters")],
)
def test_staff_reject_with_a_bad_reason_gets_422(
    client: FlaskClient, auth: Any, db_session: Session, reason: str, message: str
) -> None:
    StaffFactory(email="staff@example.test")
    design = DesignFactory(state=DesignState.SUBMITTED, title="Kept Waiting")
    auth.login("staff@example.test")
    response = client.post(f"/staff/designs/{design.id}/reject", data={"reason": reason})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "Kept Waiting" in page  # the screening queue, as stored
    db_session.refresh(design)
    assert design.state is DesignState.SUBMITTED


def test_staff_remove_without_reason_gets_422(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    StaffFactory(email="staff@example.test")
    design = VotingDesignFactory(title="Still Here")
    auth.login("staff@example.test")
    response = client.post(f"/staff/designs/{design.id}/remove", data={"reason": "  "})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please give a reason" in page and "Still Here" in page
    db_session.refresh(design)
    assert design.state is DesignState.VOTING


def test_unverified_designer_submitting_gets_422(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    designer = UserFactory(email="new@example.test", email_verified_at=None)
    design = DesignFactory(designer=designer)
    auth.login("new@example.test")
    response = client.post(f"/designs/{design.id}/submit")
    assert response.status_code == 422
    assert "Please confirm your email address" in response.get_data(as_text=True)
    db_session.refresh(design)
    assert design.state is DesignState.DRAFT


def test_withdrawing_a_withdrawn_design_gets_409(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    design = DesignFactory(state=DesignState.WITHDRAWN)
    auth.login(design.designer.email)
    assert client.post(f"/designs/{design.id}/withdraw").status_code == 409


def test_editing_a_submitted_design_gets_409(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    design = DesignFactory(state=DesignState.SUBMITTED, title="Frozen")
    auth.login(design.designer.email)
    response = client.post(f"/designs/{design.id}/edit", data={"title": "Changed"})
    assert response.status_code == 409
    assert "Only drafts can be edited." in response.get_data(as_text=True)
    db_session.refresh(design)
    assert design.title == "Frozen"


def test_admin_demoting_self_gets_422(client: FlaskClient, auth: Any, db_session: Session) -> None:
    admin = AdminFactory(email="admin@example.test")
    auth.login("admin@example.test")
    response = client.post(f"/admin/users/{admin.id}/role", data={"role": "member"})
    assert response.status_code == 422
    assert "cannot remove your own administrator role" in response.get_data(as_text=True)
    db_session.refresh(admin)
    assert admin.role is Role.ADMIN


def test_admin_sending_an_unknown_role_gets_422(
    client: FlaskClient, auth: Any, db_session: Session
) -> None:
    AdminFactory(email="admin@example.test")
    member = UserFactory()
    auth.login("admin@example.test")
    response = client.post(f"/admin/users/{member.id}/role", data={"role": "owner"})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    db_session.refresh(member)
    assert member.role is Role.MEMBER


# SQLite: a writing session takes the write lock when its transaction begins.


def _begins(app: Flask, path: str, method: str) -> list[str]:
    statements: list[str] = []
    engine = db.engine(app)

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.startswith("BEGIN"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with app.test_request_context(path, method=method):
            db.session().execute(text("SELECT 1"))
            db.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


@pytest.fixture
def file_app(database_url: str, tmp_path: Path) -> Flask:
    if not database_url.startswith("sqlite"):
        pytest.skip("BEGIN IMMEDIATE is about SQLite")
    return make_test_app(f"sqlite:///{tmp_path / 'locks.sqlite3'}", tmp_path / "uploads")


@pytest.mark.parametrize(
    ("path", "method", "begin"),
    [
        ("/designs/1", "GET", "BEGIN"),
        ("/designs/1", "HEAD", "BEGIN"),
        ("/staff/designs/1/accept", "POST", "BEGIN IMMEDIATE"),
        ("/verify/some-token", "GET", "BEGIN IMMEDIATE"),  # a GET that writes, marked so
    ],
)
def test_sqlite_writers_begin_immediate(
    file_app: Flask, path: str, method: str, begin: str
) -> None:
    assert _begins(file_app, path, method) == [begin]
    db.engine(file_app).dispose()


def test_sqlite_cli_transaction_begins_immediate(file_app: Flask) -> None:
    engine = db.engine(file_app)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with file_app.app_context(), db.transaction() as session:
            session.execute(text("SELECT 1"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
        engine.dispose()
    assert statements[0] == "BEGIN IMMEDIATE"
