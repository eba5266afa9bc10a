"""Shared by the comment tests: a spy on the notification entry point, and a comment factory."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import factory
import pytest
from sqlalchemy import Engine, event

from cocreate.voting import notifications
from cocreate.voting.comment_models import Comment
from tests.accounts.factories import BaseFactory, UserFactory
from tests.designs.factories import VotingDesignFactory


class NotifySpy:
    """Stands in for notifications.comment_posted (implemented by the notifications work)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, session: object, **kwargs: Any) -> None:
        assert session is not None
        self.calls.append(kwargs)


def spy_on_notifications(monkeypatch: pytest.MonkeyPatch) -> NotifySpy:
    spy = NotifySpy()
    monkeypatch.setattr(notifications, "comment_posted", spy)
    return spy


class CommentFactory(BaseFactory):
    """A comment row written directly: it moves no counter (post through the service for that)."""

    class Meta:
        model = Comment

    class Params:
        design = factory.SubFactory(VotingDesignFactory)
        author = factory.SubFactory(UserFactory)

    design_id = factory.SelfAttribute("design.id")
    author_id = factory.SelfAttribute("author.id")
    body = factory.Sequence(lambda n: f"Comment {n}")


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)
