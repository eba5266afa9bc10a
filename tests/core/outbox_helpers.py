"""Shared by the outbox tests: a recording transport and apps on their own SQLite file."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context

from cocreate.core import mail
from tests.conftest import make_test_app


@dataclass
class Sent:
    mail: mail.Mail
    in_request: bool
    thread: str


@dataclass
class RecordingTransport:
    """Records each message and where it was sent from; `fail` makes every send raise."""

    sent: list[Sent] = field(default_factory=list)
    fail: Exception | None = None

    def send(self, message: mail.Mail) -> None:
        if self.fail is not None:
            raise self.fail
        self.sent.append(Sent(message, has_request_context(), threading.current_thread().name))

    @property
    def subjects(self) -> list[str]:
        return [s.mail.subject for s in self.sent]


def recording(app: Flask) -> RecordingTransport:
    transport = RecordingTransport()
    mail.set_transport(app, transport)
    return transport


def file_app(template_db: Path, tmp_path: Path, name: str = "app", **overrides: Any) -> Flask:
    """An app on a real SQLite file (a copy of a migrated one): its own engine and
    connections, like a separate server process."""
    path = tmp_path / f"{name}.sqlite3"
    if not path.exists():
        shutil.copyfile(template_db, path)
    return make_test_app(f"sqlite:///{path}", tmp_path / "uploads", **overrides)
