"""Uploads cost the server real work: only confirmed accounts may upload, within a per-account
budget (RATELIMIT_UPLOAD), and the stored master of a JPEG upload is a JPEG."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, JpegImagePlugin
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocreate.designs.models import Design
from tests.accounts.factories import UserFactory
from tests.designs import corpus
from tests.designs.factories import DesignFactory

SMALL = {"PRODUCT_MIN_LONG_SIDE": {"tee": 300, "poster": 400, "tote": 300}}


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return SMALL


def _form(data: bytes | None, filename: str = "art.png", **fields: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "title": "Sunny Side",
        "description": "",
        "tags": "",
        "products": ["tee"],
    }
    form.update(fields)
    if data is not None:
        form["artwork"] = (io.BytesIO(data), filename)
    return form


def _art_png() -> bytes:
    return corpus.encode(corpus.scene((480, 320), "RGBA"), "PNG")


def _designs(db_session: Session) -> int:
    return db_session.scalar(select(func.count()).select_from(Design)) or 0


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _upload(client: FlaskClient, data: bytes, filename: str = "art.png") -> Any:
    return client.post(
        "/designs/new", data=_form(data, filename), content_type="multipart/form-data"
    )


# --- Verified accounts only ----------------------------------------------------------------------


def test_unverified_member_cannot_upload(
    client: FlaskClient, auth: Any, app: Flask, db_session: Session
) -> None:
    UserFactory(email="new@example.test", email_verified_at=None)
    auth.login("new@example.test")
    page = client.get("/designs/new")
    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert "Confirm your email address before you upload artwork" in text
    assert "new@example.test" in text
    assert 'action="/verify/resend"' in text and "Send the link again" in text

    response = _upload(client, _art_png())
    assert response.status_code == 403
    assert "Confirm your email address before you upload artwork" in response.get_data(as_text=True)
    assert _designs(db_session) == 0
    assert _files_under(Path(app.config["UPLOAD_DIR"])) == []


def test_unverified_member_cannot_replace_artwork(
    client: FlaskClient, auth: Any, app: Flask, db_session: Session
) -> None:
    user = UserFactory(email="changed@example.test", email_verified_at=None)
    design = DesignFactory(designer=user, title="Old title")
    auth.login("changed@example.test")
    response = client.post(
        f"/designs/{design.id}/edit",
        data=_form(_art_png(), title="New title"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    db_session.refresh(design)
    assert design.title == "Old title"
    assert _files_under(Path(app.config["UPLOAD_DIR"])) == []


def test_verified_member_can_upload(client: FlaskClient, auth: Any, db_session: Session) -> None:
    UserFactory(email="ok@example.test")
    auth.login("ok@example.test")
    assert client.get("/designs/new").status_code == 200
    assert _upload(client, _art_png()).status_code == 302
    assert _designs(db_session) == 1


# --- Per-account rate limit ----------------------------------------------------------------------


@pytest.mark.parametrize("app_overrides", [{**SMALL, "RATELIMIT_UPLOAD": "2 per hour"}])
def test_upload_over_the_limit_is_429(
    client: FlaskClient, auth: Any, app: Flask, db_session: Session, app_overrides: dict[str, Any]
) -> None:
    UserFactory(email="busy@example.test")
    auth.login("busy@example.test")
    assert _upload(client, _art_png()).status_code == 302  # 1st
    # A refused file counts too: it was read and checked all the same.
    assert _upload(client, corpus.text_renamed_png()).status_code == 422  # 2nd: the limit
    third = _upload(client, _art_png())
    assert third.status_code == 429
    assert "Too many attempts" in third.get_data(as_text=True)
    assert _designs(db_session) == 1
    # The form itself still opens, and the limit is the uploader's alone.
    assert client.get("/designs/new").status_code == 200
    auth.logout()
    UserFactory(email="other@example.test")
    auth.login("other@example.test")
    assert _upload(client, _art_png()).status_code == 302
    assert _designs(db_session) == 2


@pytest.mark.parametrize("app_overrides", [{**SMALL, "RATELIMIT_UPLOAD": "1 per hour"}])
def test_new_designs_and_replaced_artwork_share_one_budget(
    client: FlaskClient, auth: Any, db_session: Session, app_overrides: dict[str, Any]
) -> None:
    UserFactory(email="busy@example.test")
    auth.login("busy@example.test")
    assert _upload(client, _art_png()).status_code == 302
    design = db_session.scalars(select(Design)).one()
    edit = f"/designs/{design.id}/edit"
    replaced = client.post(edit, data=_form(_art_png()), content_type="multipart/form-data")
    assert replaced.status_code == 429
    # Editing the words uploads nothing and is not counted.
    renamed = client.post(
        edit, data=_form(None, title="Renamed"), content_type="multipart/form-data"
    )
    assert renamed.status_code == 302
    db_session.refresh(design)
    assert design.title == "Renamed"


# --- What is stored ------------------------------------------------------------------------------


def _stored(app: Flask, key: str) -> bytes:
    return app.extensions["cocreate.storage"].open(key)


def test_jpeg_upload_keeps_a_jpeg_master(
    client: FlaskClient, auth: Any, app: Flask, db_session: Session
) -> None:
    UserFactory(email="photo@example.test")
    auth.login("photo@example.test")
    data = corpus.encode(corpus.scene((640, 480)), "JPEG", quality=90)
    assert _upload(client, data, "photo.jpg").status_code == 302
    design = db_session.scalars(select(Design)).one()
    assert design.original_key.endswith(".jpg")
    with Image.open(io.BytesIO(_stored(app, design.original_key))) as master:
        master.load()
        assert master.format == "JPEG" and master.size == (640, 480)
        assert isinstance(master, JpegImagePlugin.JpegImageFile)
        assert JpegImagePlugin.get_sampling(master) == 0  # 4:4:4, no chroma subsampling


def test_png_upload_keeps_a_png_master_with_its_alpha(
    client: FlaskClient, auth: Any, app: Flask, db_session: Session
) -> None:
    UserFactory(email="flat@example.test")
    auth.login("flat@example.test")
    art = Image.new("RGBA", (480, 320), (0, 0, 0, 0))
    art.paste((230, 80, 40, 255), (100, 100, 380, 220))
    assert _upload(client, corpus.encode(art, "PNG")).status_code == 302
    design = db_session.scalars(select(Design)).one()
    assert design.original_key.endswith(".png")
    with Image.open(io.BytesIO(_stored(app, design.original_key))) as master:
        master.load()
        assert master.format == "PNG" and master.mode == "RGBA" and master.size == (480, 320)
        assert master.getpixel((10, 10)) == (0, 0, 0, 0)
        assert master.getpixel((200, 150)) == (230, 80, 40, 255)
