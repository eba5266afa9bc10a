"""WSGI entry for tests/core/test_gunicorn_writes.py: the app, as testing, on the database that
COCREATE_TEST_DATABASE_URL names, without CSRF so that a test client can post forms."""

from __future__ import annotations

import os

from cocreate import create_app
from cocreate.config import Config
from tests.conftest import TEST_SECRET

app = create_app(
    Config(
        ENV="testing",
        SECRET_KEY=TEST_SECRET,
        DATABASE_URL=os.environ["COCREATE_TEST_DATABASE_URL"],
        UPLOAD_DIR=os.environ["COCREATE_TEST_UPLOAD_DIR"],
        PUBLIC_URL="http://localhost",
        extra={"WTF_CSRF_ENABLED": False},
    )
)
