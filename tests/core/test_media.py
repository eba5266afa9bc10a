"""Stored files are served by key with long cache headers, only to those allowed to see them."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cocreate.designs.models import DesignState
from tests.accounts.factories import StaffFactory, UserFactory
from tests.designs.factories import DesignFactory, VotingDesignFactory


def _stored(app: Flask, data: bytes, suffix: str = ".webp") -> str:
    return app.extensions["cocreate.storage"].put(data, suffix=suffix)


def test_public_design_file_cached_immutably(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    key = _stored(app, b"RIFF....WEBPVP8 fake")
    VotingDesignFactory(thumb_webp_key=key)
    response = client.get(f"/media/{key}")
    assert response.status_code == 200
    assert response.data == b"RIFF....WEBPVP8 fake"
    assert response.mimetype == "image/webp"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(f"/media/{key}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_print_master_and_drafts_only_for_designer_and_staff(
    app: Flask, client: FlaskClient, auth: Any, db_session: Session
) -> None:
    master = _stored(app, b"\x89PNG master", ".png")
    draft_thumb = _stored(app, b"draft thumb")
    designer = UserFactory(email="des@example.test")
    VotingDesignFactory(designer=designer, original_key=master)
    DesignFactory(designer=designer, thumb_webp_key=draft_thumb)
    StaffFactory(email="staff@example.test")
    UserFactory(email="other@example.test")
    for key in (master, draft_thumb):
        assert client.get(f"/media/{key}").status_code == 404
    auth.login("other@example.test")
    assert client.get(f"/media/{master}").status_code == 404
    auth.logout()
    for email in ("des@example.test", "staff@example.test"):
        auth.login(email)
        for key in (master, draft_thumb):
            response = client.get(f"/media/{key}")
            assert response.status_code == 200, (email, key)
            assert response.headers["Cache-Control"].startswith("private")
        auth.logout()


def test_removed_design_files_stop_being_served(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    key = _stored(app, b"mockup")
    design = VotingDesignFactory(gallery_webp_key=key)
    assert client.get(f"/media/{key}").status_code == 200
    design.state = DesignState.REMOVED
    db_session.commit()
    assert client.get(f"/media/{key}").status_code == 404


def test_unclaimed_missing_and_malformed_keys_are_404(app: Flask, client: FlaskClient) -> None:
    orphan = _stored(app, b"nobody uses me")
    assert client.get(f"/media/{orphan}").status_code == 404
    for key in ("ab/cd/" + "0" * 64 + ".webp", "../../etc/passwd", "x.exe", "%00", "a" * 500):
        assert client.get(f"/media/{key}").status_code == 404, key
