"""Avatars go through the shared guarded decoder: hostile or broken files get a 422 with a clear
message, never a 500, and nothing is stored."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from cocreate.accounts.models import User
from tests.accounts.factories import UserFactory
from tests.designs import corpus


@pytest.fixture
def member(client: FlaskClient, auth: object, db_session: Session) -> User:
    user = UserFactory(email="ana@example.test")
    auth.login("ana@example.test")  # type: ignore[attr-defined]
    return user


def post_avatar(client: FlaskClient, data: bytes, filename: str = "me.jpg") -> object:
    return client.post(
        "/settings",
        data={
            "display_name": "Ana",
            "bio": "",
            "locale": "en",
            "timezone": "Europe/Paris",
            "avatar": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _truncated_jpeg() -> bytes:
    data = corpus.encode(corpus.noisy((400, 400)), "JPEG", quality=90)
    return data[: len(data) // 2]


REFUSED: list[tuple[str, Callable[[], bytes], str]] = [
    (
        "PNG bomb 20000×20000",
        corpus.png_bomb,
        "This image is too large; use one under 40 megapixels.",
    ),
    ("PNG 8000×8000 (64 Mpx)", lambda: corpus.png_bomb(8000, 8000), "under 40 megapixels"),
    ("text", corpus.text_renamed_png, "This file is not an image we can read."),
    ("random bytes", lambda: bytes(range(256)) * 4, "This file is not an image we can read."),
    ("GIF", corpus.gif_renamed_jpg, "Use a PNG, JPEG or WebP image."),
    ("SVG", corpus.svg_with_script, "Use a PNG, JPEG or WebP image."),
    ("truncated JPEG", _truncated_jpeg, "This image is damaged or incomplete."),
    ("truncated PNG", corpus.truncated_png, "This image is damaged or incomplete."),
    ("empty", corpus.zero_bytes, "This file is empty."),
]


@pytest.mark.parametrize(("name", "make", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_avatar_is_422_with_a_message(
    client: FlaskClient,
    app: Flask,
    db_session: Session,
    member: User,
    name: str,
    make: Callable[[], bytes],
    message: str,
) -> None:
    response = post_avatar(client, make())
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert message in response.get_data(as_text=True)  # type: ignore[attr-defined]
    db_session.refresh(member)
    assert member.avatar_key is None
    assert _files_under(Path(app.config["UPLOAD_DIR"])) == []


@pytest.mark.parametrize("variant", ["ascii", "long"])
def test_malformed_exif_is_ignored_not_a_500(
    client: FlaskClient, app: Flask, db_session: Session, member: User, variant: str
) -> None:
    data = corpus.jpeg_with_malformed_exif((600, 400), variant)
    response = post_avatar(client, data)
    assert response.status_code == 302  # type: ignore[attr-defined]
    db_session.refresh(member)
    assert member.avatar_key is not None and member.avatar_key.endswith(".webp")
    served = client.get(f"/media/{member.avatar_key}")
    with Image.open(io.BytesIO(served.data)) as avatar:
        assert avatar.size == (256, 256) and avatar.format == "WEBP"
        assert not avatar.getexif()


def test_good_avatar_is_upright_square_and_clean(
    client: FlaskClient, app: Flask, db_session: Session, member: User
) -> None:
    # Stored 300×200, left half red, EXIF orientation 6 ("rotate 90° clockwise to display"):
    # upright it is 200×300 with the red half on top.
    stored = Image.new("RGB", (300, 200), (240, 240, 240))
    stored.paste((220, 20, 20), (0, 0, 150, 200))
    exif = Image.Exif()
    exif[0x0112] = 6
    data = corpus.encode(stored, "JPEG", quality=95, exif=exif, comment=corpus.LEAK_COMMENT)
    response = post_avatar(client, data)
    assert response.status_code == 302  # type: ignore[attr-defined]
    db_session.refresh(member)
    assert member.avatar_key is not None
    served = client.get(f"/media/{member.avatar_key}")
    assert corpus.LEAK_COMMENT not in served.data
    with Image.open(io.BytesIO(served.data)) as avatar:
        avatar.load()
        assert avatar.size == (256, 256) and not avatar.getexif()
        rgb = avatar.convert("RGB")
        red, green, blue = rgb.getpixel((128, 20))
        assert red > 200 and green < 60 and blue < 60  # top: red
        assert min(rgb.getpixel((128, 236))) > 220  # bottom: the light half
        assert min(rgb.getpixel((20, 236))) > 220  # not sideways


def test_animated_avatar_keeps_its_first_frame(
    client: FlaskClient, db_session: Session, member: User
) -> None:
    response = post_avatar(client, corpus.animated_png(), "me.png")
    assert response.status_code == 302  # type: ignore[attr-defined]
