"""Bad files through the real upload page: a clear message, never a 500, nothing left behind."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.designs.models import Design, DesignTransition, Mockup, Tag
from tests.accounts.factories import UserFactory
from tests.designs import corpus


def _print_size(fmt: str) -> bytes:
    """A file big enough for print, so that only its truncation is wrong."""
    return corpus.encode(corpus.scene((2600, 2600)), fmt)


BAD: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("zero-byte", corpus.zero_bytes, "art.png", "This file is empty"),
    ("text renamed .png", corpus.text_renamed_png, "art.png", "contains text, not an image"),
    ("truncated PNG", lambda: _print_size("PNG")[:-5000], "art.png", "damaged or incomplete"),
    ("truncated JPEG", lambda: _print_size("JPEG")[:-5000], "art.jpg", "damaged or incomplete"),
    ("PNG bomb 20000×20000", corpus.png_bomb, "art.png", "far more than the 60 megapixels"),
    ("SVG with a script", corpus.svg_with_script, "art.png", "SVG (vector) file"),
    ("GIF renamed .jpg", corpus.gif_renamed_jpg, "art.jpg", "This file is in GIF format"),
    ("below minimum size", corpus.too_small, "art.png", "need at least 2400 px on the long side"),
]


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def logged_in(client: FlaskClient, auth: Any, db_session: Session) -> FlaskClient:
    UserFactory(email="des@example.test")
    auth.login("des@example.test")
    return client


@pytest.mark.parametrize(("name", "make", "filename", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_file_refused_cleanly(
    logged_in: FlaskClient,
    app: Flask,
    db_session: Session,
    name: str,
    make: Callable[[], bytes],
    filename: str,
    message: str,
) -> None:
    response = logged_in.post(
        "/designs/new",
        data={
            "title": name,
            "products": ["tee"],
            "tags": "brand-new-tag",
            "artwork": (io.BytesIO(make()), filename),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    for model in (Design, Mockup, DesignTransition, Tag):
        assert db_session.scalar(select(func.count()).select_from(model)) == 0
    assert _files_under(Path(app.config["UPLOAD_DIR"])) == []


@pytest.mark.parametrize("app_overrides", [{"MAX_CONTENT_LENGTH": 200_000}])
def test_oversize_upload_gets_413_page(
    logged_in: FlaskClient, app: Flask, db_session: Session, app_overrides: dict[str, Any]
) -> None:
    response = logged_in.post(
        "/designs/new",
        data={
            "title": "Huge",
            "products": ["tee"],
            "artwork": (io.BytesIO(b"\x89PNG" + b"\0" * 300_000), "big.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "File too large" in text
    assert "0.2 MB" in text  # the page says what the limit is
    assert db_session.scalar(select(func.count()).select_from(Design)) == 0
    assert _files_under(Path(app.config["UPLOAD_DIR"])) == []
