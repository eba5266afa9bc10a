"""Two sign-ups with one email: one account, and a clear message for the other, never a 500."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.accounts import services
from cocreate.accounts.models import User
from cocreate.core import db
from tests.concurrency import TIMEOUT, Concurrent

PASSWORD = "a long enough passphrase 42"
TAKEN = "An account already uses this email. Log in or reset your password."


def _count(session: Session, email: str) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.email == email)) or 0


@pytest.mark.usefixtures("request_ctx")
def test_refused_duplicate_leaves_the_session_usable(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unique index refuses the second insert (as when two sign-ups race): only the
    savepoint is rolled back, and the same transaction goes on and commits."""
    services.register(db_session, email="Ada@Example.test", display_name="Ada", password=PASSWORD)
    # Simulate the race: the other sign-up is not visible to the look-up, only to the index.
    monkeypatch.setattr(services, "find_by_email", lambda session, email: None)

    with pytest.raises(services.AccountError) as refused:
        services.register(
            db_session, email="ada@example.test", display_name="Ada Two", password=PASSWORD
        )

    assert str(refused.value) == TAKEN
    assert _count(db_session, "ada@example.test") == 1
    db_session.add(User(email="grace@example.test", display_name="Grace", password_hash="x"))
    db.commit()
    assert _count(db_session, "ada@example.test") == 1
    assert _count(db_session, "grace@example.test") == 1


@pytest.mark.postgres_only
def test_two_simultaneous_signups_with_one_email(concurrent: Concurrent) -> None:
    """The first sign-up has inserted but not committed; the second one's look-up sees nothing,
    so its insert waits on the unique index. Once the first commits, the second is refused with
    the message, and its transaction is still usable."""
    first_inserted = threading.Event()
    first_may_commit = threading.Event()
    email = "twin@example.test"

    def first() -> int:
        session = concurrent.session()
        with concurrent.request(session):
            user = services.register(session, email=email, display_name="One", password=PASSWORD)
            first_inserted.set()
            assert first_may_commit.wait(TIMEOUT)
            db.commit()
            return user.id

    def second() -> tuple[str, int]:
        session = concurrent.session()
        assert first_inserted.wait(TIMEOUT)
        with concurrent.request(session):
            try:
                services.register(session, email=email, display_name="Two", password=PASSWORD)
            except services.AccountError as error:
                message = str(error)
            else:
                message = "no error"
            # Same transaction, after the refusal: it reads and commits without a rollback.
            seen = _count(session, email)
            db.commit()
            return message, seen

    one = concurrent.start(first)
    two = concurrent.start(second)
    assert first_inserted.wait(TIMEOUT)
    concurrent.wait_until_blocked(1)  # the second insert waits on the first one's key
    first_may_commit.set()
    concurrent.join()

    assert one.error is None and two.error is None, (one.error, two.error)
    assert two.result == (TAKEN, 1)
    with concurrent.session() as check:
        users = check.scalars(select(User).where(User.email == email)).all()
        assert [(u.id, u.display_name) for u in users] == [(one.result, "One")]
